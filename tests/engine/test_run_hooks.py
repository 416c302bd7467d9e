"""The hooks every run gets: parameter report, per-epoch seeding, accuracy report."""
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


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_epoch_seed_depends_on_seed_and_epoch_only():
    hook = EpochSeedHook()
    hook.before_train_epoch(SimpleNamespace(seed=7, epoch=1))
    first = draws()
    draws()  # whatever ran before the epoch must not matter
    hook.before_train_epoch(SimpleNamespace(seed=7, epoch=1))
    assert draws() == first
    hook.before_train_epoch(SimpleNamespace(seed=7, epoch=2))
    assert draws() != first


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
    tiny_cfg.work_dir = str(tmp_path)
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
    tiny_cfg.work_dir = str(tmp_path)
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


def test_two_runners_of_one_config_in_one_second_keep_their_own_logs(tiny_cfg, tmp_path,
                                                                    monkeypatch):
    import glob
    import time

    import mmengine.runner.runner as mmengine_runner

    from loki_video.engine.run_setup import build_runner
    started = time.time()  # both runners start in the same second, as quick tests do
    monkeypatch.setattr(mmengine_runner.time, 'time', lambda: started)
    logs = []
    for run in ('first', 'second'):
        cfg = tiny_cfg.copy()
        cfg.work_dir = str(tmp_path / run)
        build_runner(cfg).logger.info(f'message of the {run} run')
        logs.append(glob.glob(str(tmp_path / run / '*' / '*.log')))
    assert all(len(found) == 1 for found in logs), logs
    assert 'message of the second run' in open(logs[1][0]).read()
    assert 'message of the second run' not in open(logs[0][0]).read()


def test_a_runner_of_another_type_gets_the_engine_hooks_too(tiny_cfg, tmp_path):
    from loki_video.engine import ENGINE_HOOKS
    from loki_video.engine.run_setup import build_runner
    tiny_cfg.work_dir = str(tmp_path)
    tiny_cfg.runner_type = 'Runner'  # mmengine's own
    runner = build_runner(tiny_cfg)
    assert type(runner).__name__ == 'Runner'
    assert set(ENGINE_HOOKS) <= {type(hook).__name__ for hook in runner.hooks}
