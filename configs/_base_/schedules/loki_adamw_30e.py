# LoKi's schedule (LoKi, CVPR 2025, as given in the project's specification
# of the paper's setup): AIM's schedule with 4 videos per GPU, lr 4e-4 and
# a cosine decay that stops at 1e-4 instead of 0. Epochs and warm-up as AIM.
_base_ = ['./aim_adamw_30e.py']
optim_wrapper = dict(optimizer=dict(lr=4e-4))
param_scheduler = [_base_.param_scheduler[0], dict(_base_.param_scheduler[1], eta_min=1e-4)]
# lr above is for 8 GPUs x 4 videos (set train_dataloader.batch_size=4 with this schedule).
auto_scale_lr = dict(base_batch_size=32)
