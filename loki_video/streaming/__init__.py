"""Live streams: frames as they arrive (:mod:`.live_source`) and predictions over the last seconds
(:mod:`.stream_classifier`); ``tools/stream_demo.py``."""
