"""Cost of a config's model: FLOPs (``flops``) and measured step time and memory (``benchmark``)."""
