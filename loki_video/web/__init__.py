"""The web demo: a Gradio page over model folders (``tools/web_demo.py``; needs ``pip install -e .[web]``)."""
