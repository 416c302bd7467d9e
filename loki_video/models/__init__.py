"""Models: tuning modules (peft), the slot-holding ViT (backbones) and checkpoint conversion."""
from . import backbones, peft  # noqa: F401  (registers TunableViT)
