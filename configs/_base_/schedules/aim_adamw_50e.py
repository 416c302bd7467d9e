# AIM's schedule stretched to 50 epochs, as AIM trains Something-Something v2 and Diving-48.
_base_ = ['./aim_adamw_30e.py']
train_cfg = dict(max_epochs=50)
param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], end=50)]
