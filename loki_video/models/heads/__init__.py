"""Classification heads, registered for mmaction2 configs."""
from .float32_i3d_head import Float32I3DHead

__all__ = ['Float32I3DHead']
