"""Registers and spills of the KAN layer's Triton kernels compiled for an NVIDIA GPU, without a GPU.

The kernels are compiled ahead of time (``triton.compile`` for a ``GPUTarget``, then Triton's own
``ptxas -v``) with exactly the arguments, tiles and warps that ``kan_kernels.kan_forward`` and
``kan_backward`` launch them with: those functions run on ``meta`` tensors with a launcher that
compiles instead of running. Register spills to local memory are the first thing that makes such
a kernel slow; ``kan_kernels.TILES`` holds tiles that compile without them. Needs Triton with its
NVIDIA backend, and kernels defined without ``TRITON_INTERPRET=1``.

    python -m loki_video.analysis.kan_kernel_resources 96 12 96 --arch 90
"""
import argparse
import re
import subprocess
import tempfile
from typing import Any, List, Sequence

import torch

TRITON_TYPES = {torch.float32: 'fp32', torch.float16: 'fp16', torch.bfloat16: 'bf16'}


class CompilingLauncher:
    """Stands in for ``wrap_triton``: ``launcher(kernel)[grid](*args, **kwargs)`` compiles the kernel for
    ``arch`` with the argument types of ``args`` and appends ``{kernel, registers, spill_bytes, ...}``."""

    def __init__(self, arch: int, records: list) -> None:
        self.arch = arch
        self.records = records

    def __call__(self, kernel):
        return _Launch(lambda grid, args, kwargs: self.records.append(self.compile(kernel, grid, args, kwargs)))

    def compile(self, kernel: Any, grid: Sequence[int], args: tuple, kwargs: dict) -> None:
        import triton
        from triton.backends.compiler import GPUTarget
        from triton.compiler import ASTSource
        options = {name: kwargs.pop(name) for name in ('num_warps', 'num_stages') if name in kwargs}
        signature = {}
        for param, value in zip(kernel.arg_names, args):
            if isinstance(value, torch.Tensor):
                signature[param] = '*' + TRITON_TYPES[value.dtype]
            else:
                signature[param] = 'fp32' if isinstance(value, float) else 'i32'
        signature.update({name: 'constexpr' for name in kwargs})
        compiled = triton.compile(ASTSource(kernel, signature, kwargs), target=GPUTarget('cuda', self.arch, 32),
                                  options=options)
        gpu = f'sm_{self.arch}' + ('a' if self.arch >= 90 else '')   # as Triton names Hopper and later
        with tempfile.NamedTemporaryFile('w', suffix='.ptx') as ptx:
            ptx.write(compiled.asm['ptx'])
            ptx.flush()
            report = subprocess.run([triton.knobs.nvidia.ptxas.path, '-v', f'--gpu-name={gpu}', ptx.name,
                                     '-o', '/dev/null'], capture_output=True, text=True, check=True).stderr
        return dict(kernel=kernel.__name__.strip('_'), grid=tuple(grid), num_warps=options.get('num_warps', 4),
                    tiles=(kwargs.get('BLOCK_N'), kwargs['BLOCK_I'], kwargs['BLOCK_O']),
                    registers=int(re.search(r'Used (\d+) registers', report).group(1)),
                    spill_bytes=int(re.search(r'(\d+) bytes spill stores', report).group(1)))


class _Launch:
    """``launch[grid](*args, **kwargs)`` calls ``action(grid, args, kwargs)``, as a Triton kernel launches."""

    def __init__(self, action) -> None:
        self.action = action

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.action(grid, args, kwargs)


def kernel_resources(widths: Sequence[int], rows: int = 12608, dtype: torch.dtype = torch.bfloat16, arch: int = 90,
                     grid_size: int = 5, spline_order: int = 3, squash: bool = True) -> List[dict]:
    """Compile the forward and backward kernels of every layer of a KAN of ``widths`` as they launch on
    ``rows`` rows of ``dtype``: one record per kernel, with ``layer`` ``(in, out)``."""
    from ..models.peft.kan_kernels import INTERPRETED, kan_backward, kan_forward
    if INTERPRETED:
        raise RuntimeError('the KAN kernels were defined under TRITON_INTERPRET=1: unset it to compile them')
    records = []
    launcher = CompilingLauncher(arch, records)
    n_bases = grid_size + spline_order
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        start = len(records)
        x = torch.empty(rows, n_in, dtype=dtype, device='meta')
        y = torch.empty(rows, n_out, dtype=dtype, device='meta')
        base, scaler = torch.empty(n_out, n_in, device='meta'), torch.empty(n_out, n_in, device='meta')
        spline = torch.empty(n_out, n_in, n_bases, device='meta')
        geometry = (spline_order, grid_size / 2, spline_order + grid_size / 2, squash, launcher)
        kan_forward(x, base, spline, scaler, y, *geometry)
        kan_backward(y, x, base, spline, scaler, torch.empty_like(x), torch.empty_like(base),
                     torch.empty_like(spline), torch.empty_like(scaler), *geometry)
        for record in records[start:]:
            record['layer'] = (n_in, n_out)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('widths', type=int, nargs='+')
    parser.add_argument('--rows', type=int, default=12608)
    parser.add_argument('--arch', type=int, default=90, help='compute capability x 10 (90: H100/H200, 80: A100)')
    args = parser.parse_args()
    records = kernel_resources(args.widths, args.rows, arch=args.arch)
    print('| layer | kernel | tiles (rows, in, out) | warps | registers | spill bytes |\n|---|---|---|---:|---:|---:|')
    for r in records:
        print(f"| {r['layer'][0]}->{r['layer'][1]} | {r['kernel']} | {r['tiles']} | {r['num_warps']} | "
              f"{r['registers']} | {r['spill_bytes']} |")


if __name__ == '__main__':
    main()
