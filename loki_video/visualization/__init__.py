"""Seeing what a model does: class-token attention maps, overlays, training curves, confusion matrices."""
from .attention import SpatialAttentionRecorder, attention_rollout, class_attention, class_attention_maps
from .overlay import attention_grid, heatmap, overlay, save_rgb

__all__ = ['SpatialAttentionRecorder', 'attention_rollout', 'class_attention', 'class_attention_maps',
           'attention_grid', 'heatmap', 'overlay', 'save_rgb']
