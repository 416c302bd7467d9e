# Bias tuning (BitFit): every bias of the backbone (projections, MLPs, norms) and the head learn.
backbone_tuning = dict(trainable=('bias',))
