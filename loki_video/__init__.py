"""loki_video: parameter-efficient fine-tuning of image ViTs for video and image classification."""
import warnings

from .dependencies import check_dependencies

# mmcv-lite has no compiled ops, and mmcv warns at import that one of them (multi-scale
# deformable attention, a detection op no model here uses) is missing.
warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')

check_dependencies()

__version__ = '0.1.0'
