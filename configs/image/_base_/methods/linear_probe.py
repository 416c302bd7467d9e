# Linear probe: the backbone is frozen; only the new head learns.
backbone_tuning = dict(trainable=())
