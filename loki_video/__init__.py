"""loki_video: parameter-efficient fine-tuning of image ViTs for video and image classification."""
from .dependencies import check_dependencies

check_dependencies()

__version__ = '0.1.0'
