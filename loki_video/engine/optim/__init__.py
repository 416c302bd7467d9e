"""Optimizer wrappers of the runs, registered in mmengine's ``OPTIM_WRAPPERS``."""
from .finite_optim_wrapper import FiniteAmpOptimWrapper, FiniteOptimWrapper, finite_on_every_rank

__all__ = ['FiniteAmpOptimWrapper', 'FiniteOptimWrapper', 'finite_on_every_rank']
