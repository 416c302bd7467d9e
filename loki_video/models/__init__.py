"""Models: tuning modules (peft), the slot-holding ViT (backbones), heads and checkpoint conversion."""
from . import backbones, heads, peft  # noqa: F401  (registers TunableViT, Float32I3DHead)
