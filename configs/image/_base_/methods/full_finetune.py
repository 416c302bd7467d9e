# Full fine-tuning: every backbone parameter and the head learn.
backbone_tuning = dict(trainable=('all',))
