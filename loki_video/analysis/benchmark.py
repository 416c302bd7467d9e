"""Step time and peak memory of models measured side by side, each in a process of its own.

Every subject (a config's model, or a KAN layer) lives in a worker process, so that its peak
memory is its own. The parent runs warm-up steps, then the timed steps interleaved across the
subjects (A B A B ...: the machine's speed drifts, all subjects see the same drift), and
reports per subject the median step time and the peak memory of a step:

* CUDA: ``torch.cuda.max_memory_allocated`` over the step (weights and optimizer state included);
* CPU: the growth of the peak resident set over the step (``VmHWM`` after the step minus
  ``VmRSS`` before it, the peak reset through ``/proc/self/clear_refs``): what the step adds
  to weights and optimizer state. These steps run after the timed ones with glibc's
  ``mmap`` threshold fixed at 128 KiB, so that every tensor of a step gets pages of its own
  and gives them back when freed, and ``malloc_trim`` before each: the peak then follows the
  tensors alive, not how glibc's heap happened to fragment (docs/performance.md).
"""
import ctypes
import gc
import multiprocessing
import statistics
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch


@dataclass
class Options:
    """How every subject steps: ``mode`` 'train' (forward, backward, optimizer step) or 'test'."""
    mode: str = 'train'
    batch: int = 1
    amp: bool = False
    compile: bool = False
    device: str = 'cpu'
    threads: int = 0  # 0: torch's default
    cfg_options: dict = field(default_factory=dict)
    shape: tuple = None  # (T, H, W) or (H, W) of one view instead of the test pipeline's


@dataclass
class Subject:
    """A config's model (``config``, optionally with activation checkpointing) or a KAN layer stack
    (``kan`` widths on ``tokens`` rows) in one of :data:`KAN_IMPLEMENTATIONS`."""
    name: str
    config: str = None
    with_cp: bool = False
    kan: tuple = None
    tokens: int = 0
    implementation: str = 'closed-form'


# 'triton' and 'closed-form': KANLinear's two backends; 'cox-de-boor': the textbook recursion, the
# reference of the output differences; 'mlp': Linear-GELU-Linear with twice the KAN's hidden widths.
KAN_IMPLEMENTATIONS = ('triton', 'closed-form', 'cox-de-boor', 'mlp')
KAN_LABELS = {'triton': 'Triton', 'closed-form': 'closed form', 'cox-de-boor': 'Cox-de Boor', 'mlp': 'MLP'}


def mlp_widths(widths: Sequence[int]) -> Tuple[int, ...]:
    """The MLP a KAN of ``widths`` is compared with: the hidden widths doubled (96-12-96 -> 96-24-96)."""
    return (widths[0], *(2 * width for width in widths[1:-1]), widths[-1])


def _status_kib(key):
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'/proc/self/status has no {key}: CPU memory needs Linux')


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def _reset_peak_rss() -> None:
    try:
        libc = ctypes.CDLL('libc.so.6')
        libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: freed memory may hide part of the peak
        pass
    with open('/proc/self/clear_refs', 'w') as clear_refs:
        clear_refs.write('5')


def measure(step: Callable[[], Any], device: str, memory: bool = False) -> Tuple[float, Optional[int]]:
    """Run ``step()`` once: ``(seconds, peak bytes or None)``.

    CUDA gives the peak of every step. On CPU, ``memory`` resets the peak first (and from then
    on every tensor pays its page faults: such steps come after the timed ones) and
    ``memory=False`` gives None.
    """
    gc.collect()
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        step()
        torch.cuda.synchronize(device)
        return time.perf_counter() - start, torch.cuda.max_memory_allocated(device)
    if memory:
        _reset_peak_rss()
        before = _status_kib('VmRSS')
    start = time.perf_counter()
    step()
    seconds = time.perf_counter() - start
    return seconds, (_status_kib('VmHWM') - before) * 1024 if memory else None


def _random_batch(cfg, batch, device, shape=None):
    """``batch`` samples of random pixels at the test pipeline's view shape (or ``shape``), as a
    dataloader gives them."""
    from .model_inputs import is_video, view_shape
    shape = view_shape(cfg, shape)
    if is_video(cfg):
        from mmaction.structures import ActionDataSample
        inputs = [torch.randint(0, 256, (1, *shape), dtype=torch.uint8) for _ in range(batch)]
        samples = [ActionDataSample().set_gt_labels(torch.tensor([0])) for _ in range(batch)]
    else:
        from mmpretrain.structures import DataSample
        inputs = [torch.randint(0, 256, shape, dtype=torch.uint8) for _ in range(batch)]
        samples = [DataSample().set_gt_label(0) for _ in range(batch)]
    return dict(inputs=[x.to(device) for x in inputs], data_samples=samples)


def _config_step(subject, options):
    """``(step, info)`` for a config's model: one train or test step on a fixed random batch."""
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper

    from ..config import build_model, load_config
    from ..models.peft import count_parameters
    MMLogger.get_current_instance().setLevel('ERROR')  # the optimizer builder lists every frozen weight
    cfg = load_config(subject.config, options.cfg_options)
    cfg.model.backbone.pretrained = None  # weights do not change the cost
    cfg.model.backbone.with_cp = subject.with_cp
    model = build_model(cfg).to(options.device)
    data = _random_batch(cfg, options.batch, options.device, options.shape)
    info = dict(tunable_params=count_parameters(model)['tunable'])
    if options.mode == 'test':
        model.eval()
        test_step = torch.compile(model.test_step) if options.compile else model.test_step

        def step() -> None:
            with torch.no_grad():
                test_step(data)
        return step, info
    model.train()
    wrapper_cfg = dict(cfg.optim_wrapper)
    if options.amp:
        dtype = 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'
        wrapper_cfg.update(type='AmpOptimWrapper', dtype=dtype)
        info['amp_dtype'] = dtype
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    train_step = torch.compile(model.train_step) if options.compile else model.train_step
    return (lambda: train_step(data, optim_wrapper)), info


def _kan_module(subject):
    """The layer stack of a KAN subject, and its forward: ``(tokens, widths[0]) -> (tokens, widths[-1])``."""
    from torch import nn

    from ..models.peft import KAN
    widths = list(subject.kan)
    if subject.implementation == 'mlp':
        hidden = mlp_widths(widths)
        layers = [module for i, o in zip(hidden[:-1], hidden[1:]) for module in (nn.Linear(i, o), nn.GELU())]
        mlp = nn.Sequential(*layers[:-1])
        return mlp, mlp
    kan = KAN(widths, kan_backend='triton' if subject.implementation == 'triton' else 'torch')
    if subject.implementation != 'cox-de-boor':
        return kan, kan

    def recursion(inputs):
        for layer in kan.layers:
            inputs = layer.reference_forward(inputs)
        return inputs
    return kan, recursion


def _kan_step(subject, options):
    """``(step, info, output)`` for a KAN subject: forward and backward on fixed random tokens
    (under bf16 autocast with ``options.amp``); ``output`` is None for the MLP."""
    torch.manual_seed(0)  # the same weights for every KAN implementation
    module, forward = _kan_module(subject)
    module.to(options.device)
    x = torch.randn(subject.tokens, subject.kan[0], device=options.device, requires_grad=True)
    if options.compile:
        forward = torch.compile(forward)

    def run():
        with torch.autocast(options.device.split(':')[0], dtype=torch.bfloat16, enabled=options.amp):
            return forward(x)

    def step() -> None:
        run().float().sum().backward()

    def output():  # Cox-de Boor's, the reference of the differences, in float32 without autocast
        with torch.no_grad():
            return (forward(x) if subject.implementation == 'cox-de-boor' else run()).float().cpu()
    params = sum(p.numel() for p in module.parameters())
    return step, dict(tunable_params=params), None if subject.implementation == 'mlp' else output


def _worker(connection, subject, options) -> None:
    """Build the subject, then answer 'step' (one measurement), 'output' and 'stop'."""
    try:
        if options.threads:
            torch.set_num_threads(options.threads)
        output = None
        if subject.kan is not None:
            step, info, output = _kan_step(subject, options)
        else:
            step, info = _config_step(subject, options)
        connection.send(('ready', info))
        while True:
            command = connection.recv()
            if command == 'stop':
                return
            if command == 'output':
                connection.send(('output', output() if output else None))
            else:
                connection.send(('step', measure(step, options.device, memory=command == 'memory')))
    except Exception:  # reported by the parent with the subject's name
        connection.send(('error', traceback.format_exc()))


class Worker:
    """A subject in its own (spawned) process."""

    def __init__(self, subject: Subject, options: Options) -> None:
        self.subject = subject
        context = multiprocessing.get_context('spawn')
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, subject, options), daemon=True)
        self.process.start()
        self.info = None  # set by run() once the subject is built

    def ask(self, command: str) -> Any:
        if command is not None:
            self.connection.send(command)
        if not self.connection.poll(timeout=3600):
            raise RuntimeError(f'{self.subject.name}: no answer within an hour')
        kind, value = self.connection.recv()
        if kind == 'error':
            raise RuntimeError(f'{self.subject.name} failed:\n{value}')
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.connection.send('stop')
        self.process.join(timeout=30)


def run(subjects: Sequence[Subject], options: Options, repeat: int = 5, warmup: int = 2,
        log: Callable[[str], Any] = print) -> List[dict]:
    """Measure ``subjects`` side by side; one dict per subject, ratios to the first.

    ``repeat`` timed rounds (on CPU followed by two rounds that measure memory). Keys: ``name``,
    ``tunable_params``, ``step_time_s`` (median), ``step_times_s`` (all), ``clips_per_s``,
    ``peak_memory_bytes`` (largest), ``time_ratio``, ``memory_ratio`` and, for KAN subjects,
    ``max_abs_diff`` from the output of the Cox-de Boor subject of the same widths in float32 (else
    the first subject's).
    """
    workers = []
    try:
        for subject in subjects:  # built in parallel
            log(f'building {subject.name}')
            workers.append(Worker(subject, options))
        for worker in workers:
            worker.info = worker.ask(None)
        for round_ in range(warmup):  # all subjects at once: compiling (--compile) runs in parallel
            log(f'warm-up {round_ + 1}/{warmup}')
            for worker in workers:
                worker.connection.send('step')
            for worker in workers:
                worker.ask(None)
        samples = {worker.subject.name: [] for worker in workers}
        for round_ in range(repeat):
            for worker in workers:
                samples[worker.subject.name].append(worker.ask('step'))
            log(f'round {round_ + 1}/{repeat}: ' + ', '.join(
                f'{name} {values[-1][0]:.3f} s' for name, values in samples.items()))
        memory = {worker.subject.name: [m for _, m in samples[worker.subject.name] if m is not None]
                  for worker in workers}
        if not options.device.startswith('cuda'):
            log('peak memory, 2 rounds')
            for _ in range(2):
                for worker in workers:
                    memory[worker.subject.name].append(worker.ask('memory')[1])
        outputs = [worker.ask('output') for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
    references = {worker.subject.kan: output for worker, output in zip(workers, outputs)
                  if worker.subject.implementation == 'cox-de-boor'}
    results = []
    for worker, output in zip(workers, outputs):
        reference = references.get(worker.subject.kan, outputs[0])
        times = [seconds for seconds, _ in samples[worker.subject.name]]
        median = statistics.median(times)
        result = dict(name=worker.subject.name, **worker.info, step_time_s=median, step_times_s=times,
                      clips_per_s=options.batch / median if worker.subject.kan is None else None,
                      peak_memory_bytes=max(memory[worker.subject.name]))
        if output is not None and reference is not None:
            result['max_abs_diff'] = (output - reference).abs().max().item()
        results.append(result)
    for result in results:
        result['time_ratio'] = result['step_time_s'] / results[0]['step_time_s']
        result['memory_ratio'] = result['peak_memory_bytes'] / max(results[0]['peak_memory_bytes'], 1)
    return results


def format_table(results: Sequence[dict]) -> str:
    """A Markdown table of :func:`run`'s results."""
    kan = any('max_abs_diff' in result for result in results)
    head = ['subject', 'tunable params', 'step (s)', 'clips/s', 'peak memory (MB)', 'time / first',
            'memory / first'] + (['max abs diff'] if kan else [])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in results:
        row = [r['name'], f"{r['tunable_params']:,}", f"{r['step_time_s']:.4g}",
               '-' if r['clips_per_s'] is None else f"{r['clips_per_s']:.3g}",
               f"{r['peak_memory_bytes'] / 2**20:,.0f}", f"{r['time_ratio']:.2f}", f"{r['memory_ratio']:.2f}"]
        if kan:
            row.append(f"{r['max_abs_diff']:.1e}" if 'max_abs_diff' in r else '-')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)
