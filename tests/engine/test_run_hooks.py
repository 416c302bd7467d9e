"""The hooks every run gets: parameter report, seeding by position in the run, accuracy report."""
import json
import os.path as osp
import random
from types import SimpleNamespace

import numpy as np
import torch

from loki_video.engine import AccuracyReportHook, EpochSeedHook, ParameterReportHook
from loki_video.models.peft import count_parameters

from tiny_runner import RecordingLogger, make_runner


def test_parameter_report_lists_total_and_tunable_counts(tiny_cfg, tmp_path):
    runner = make_runner(tiny_cfg)
    runner.log_dir = str(tmp_path)
    ParameterReportHook().before_run(runner)
    [(level, message)] = runner.logger.records
    counts = count_parameters(runner.model)
    assert level == 'info' and 'tunable' in message
    assert f"{counts['total']:,}" in message and f"{counts['tunable']:,}" in message
    assert 'mlp_slot' in message and 'head' in message
    assert json.loads((tmp_path / 'parameters.json').read_text()) == json.loads(json.dumps(counts))


def draws(*_):
    return random.random(), float(np.random.rand()), float(torch.rand(()))


class DrawingDataset(torch.utils.data.Dataset):
    """``(index, *draws)``: the pipeline's random draws for each sample, numbered as mmengine's
    datasets number them (``sample_idx``)."""

    def __init__(self):
        self.pipeline = draws

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return (index, *self.pipeline(dict(sample_idx=index)))


def sample_runner(seed=7):
    """What the hook uses of a Runner, with a loader of 2 persistent workers."""
    from mmengine.dataset import DefaultSampler
    dataset = DrawingDataset()
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2, persistent_workers=True,
                                         sampler=DefaultSampler(dataset, shuffle=True, seed=seed))
    return SimpleNamespace(seed=seed, epoch=0, cfg={}, train_dataloader=loader, logger=RecordingLogger())


def run_epochs(hook, runner, epochs):
    """``{epoch: {sample index: draws}}`` of training epochs, as the epoch loop calls the hook."""
    hook.before_train(runner)
    seen = {}
    for runner.epoch in epochs:
        hook.before_train_epoch(runner)
        runner.train_dataloader.sampler.set_epoch(runner.epoch)
        seen[runner.epoch] = {int(i): tuple(d.tolist()) for batch in runner.train_dataloader
                              for i, d in zip(batch[0], torch.stack(batch[1:], 1))}
    return seen


def test_samples_in_persistent_workers_are_seeded_by_seed_epoch_and_index():
    uninterrupted = run_epochs(EpochSeedHook(), sample_runner(), epochs=(0, 1, 2))
    resumed = run_epochs(EpochSeedHook(), sample_runner(), epochs=(2, ))  # new workers, started at epoch 2
    assert resumed[2] == uninterrupted[2]
    assert uninterrupted[1] != uninterrupted[2]  # each epoch draws anew
    assert len(set(uninterrupted[2].values())) == 6  # and each sample
    assert run_epochs(EpochSeedHook(), sample_runner(seed=8), epochs=(2, ))[2] != uninterrupted[2]


def test_the_main_process_is_seeded_by_seed_and_the_runs_iteration():
    hook = EpochSeedHook()
    runner = SimpleNamespace(seed=7, iter=11, cfg={})
    hook.before_train_iter(runner, 3)
    first = draws()
    draws()  # whatever ran before the iteration must not matter
    hook.before_train_iter(runner, 0)  # the batch index within the epoch (0 after a mid-epoch resume) does not
    assert draws() == first
    runner.iter = 12
    hook.before_train_iter(runner, 3)
    assert draws() != first
    runner.seed, runner.iter = 8, 11
    hook.before_train_iter(runner, 3)
    assert draws() != first


def test_per_rank_seeds_stay_in_numpys_range_at_rank_63_and_iteration_a_million(monkeypatch):
    import mmengine.runner.utils

    from loki_video.engine.hooks import epoch_seed_hook
    runner = SimpleNamespace(seed=7, iter=10**6, cfg=dict(randomness=dict(diff_rank_seed=True)))
    drawn = {}
    for rank in (0, 63):
        for module in (epoch_seed_hook, mmengine.runner.utils):
            monkeypatch.setattr(module, 'get_rank', lambda rank=rank: rank)
        EpochSeedHook().before_train_iter(runner, 0)
        drawn[rank] = draws()
        with monkeypatch.context() as patched:  # the largest seed the derivation can give
            patched.setattr(epoch_seed_hook, 'derived_seed', lambda *numbers: 2**32 - 1)
            EpochSeedHook().before_train_iter(runner, 0)
    assert drawn[0] != drawn[63]


def test_accuracy_report_counts_views_from_the_inputs(tmp_path):
    runner = SimpleNamespace(logger=RecordingLogger(), work_dir=str(tmp_path),
                             test_dataloader=SimpleNamespace(dataset=range(5)))
    hook = AccuracyReportHook('test_3x3.json', clips=3, crops=3)
    hook.after_test_iter(runner, 0, dict(inputs=[torch.zeros(9, 3, 4, 32, 32)]))
    hook.after_test_epoch(runner, {'acc/top1': 5 / 9, 'acc/top5': 1.0, 'acc/mean1': 0.5})
    report = json.loads((tmp_path / 'test_3x3.json').read_text())
    assert report == dict(views=9, clips=3, crops=3, input_shape=[9, 3, 4, 32, 32], top1=5 / 9, top5=1.0,
                          mean_class_accuracy=0.5, evaluated=5, excluded=0,
                          metrics={'acc/top1': 5 / 9, 'acc/top5': 1.0, 'acc/mean1': 0.5})
    assert '3 clips x 3 crops = 9 views per sample: top-1 0.556, top-5 1.000, mean class accuracy 0.500 ' \
        in runner.logger.records[0][1]  # rounded in the log, exact in the JSON


def test_runner_log_drops_the_per_tensor_frozen_lines_of_the_optimizer_builder(tiny_cfg, tmp_path):
    import logging

    from mmengine.optim import build_optim_wrapper

    from loki_video.engine.run_setup import build_runner
    tiny_cfg.work_dir, tiny_cfg.experiment_name = str(tmp_path), tmp_path.name
    tiny_cfg.optim_wrapper.paramwise_cfg = dict(norm_decay_mult=0.0)  # the path that logs frozen tensors
    runner = build_runner(tiny_cfg)
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    runner.logger.addHandler(handler)
    try:
        build_optim_wrapper(runner.model, tiny_cfg.optim_wrapper)
        runner.logger.warning('kept')
    finally:
        runner.logger.removeHandler(handler)
    assert 'kept' in messages and not any('requires_grad=False' in m for m in messages)
    runner.logger.filters.clear()  # without the filter the builder does log them
    runner.logger.addHandler(handler)
    try:
        build_optim_wrapper(runner.model, tiny_cfg.optim_wrapper)
    finally:
        runner.logger.removeHandler(handler)
    assert any('requires_grad=False' in m for m in messages)


def test_runner_log_reaches_the_first_iteration_in_a_screenful(tiny_cfg, tmp_path):
    import glob

    from loki_video.engine.run_setup import build_runner
    tiny_cfg.work_dir, tiny_cfg.experiment_name = str(tmp_path), tmp_path.name
    runner = build_runner(tiny_cfg)
    log, = glob.glob(str(tmp_path / '*' / '*.log'))
    text = open(log).read()
    config_file = str(tmp_path / osp.basename(tiny_cfg.filename))
    assert f'Config: written in full to {config_file}' in text and osp.isfile(config_file)
    assert 'Hooks: RuntimeInfoHook, ParameterReportHook' in text and 'TunableCheckpointHook' in text
    assert 'Hooks will be executed' not in text and 'PyTorch compiling details' not in text
    assert 'System environment:' in text and 'PyTorch: ' in text
    assert len(text.splitlines()) < 40, text
    assert runner.cfg.pretty_text.count('\n') > 100  # what the single config line stands for


def test_a_runner_of_another_type_gets_the_hooks_every_run_needs_from_default_hooks(tiny_cfg, tmp_path):
    from loki_video.engine.run_setup import build_runner
    tiny_cfg.work_dir, tiny_cfg.experiment_name = str(tmp_path), tmp_path.name
    tiny_cfg.runner_type = 'Runner'  # mmengine's own
    tiny_cfg.custom_hooks = []  # a config's own list does not drop them
    runner = build_runner(tiny_cfg)
    assert type(runner).__name__ == 'Runner'
    assert {'ParameterReportHook', 'EpochSeedHook', 'TunableCheckpointHook'} <= {
        type(hook).__name__ for hook in runner.hooks}


def test_a_resumed_run_with_persistent_workers_repeats_the_uninterrupted_one(tmp_path, train_config):
    from loki_video.checkpoints import safe_torch_load
    from loki_video.datasets.synthetic_actions import generate_dataset

    from tiny_runner import TINY_CONFIG
    data = str(tmp_path / 'data')
    generate_dataset(data, dict(train=2, val=0, test=0), num_frames=16, size=(32, 32))
    loader = dict(train_dataloader=dict(num_workers=2, persistent_workers=True, dataset=dict(data_root=data)))
    uninterrupted = train_config(TINY_CONFIG, str(tmp_path / 'uninterrupted'), loader)
    first_epoch = dict(train_cfg=dict(max_epochs=1))
    train_config(TINY_CONFIG, str(tmp_path / 'resumed'), loader, first_epoch)
    resumed = train_config(TINY_CONFIG, str(tmp_path / 'resumed'), loader, dict(resume=True))
    want, got = safe_torch_load(uninterrupted)['state_dict'], safe_torch_load(resumed)['state_dict']
    assert want.keys() == got.keys() and all(torch.equal(got[k], v) for k, v in want.items())
