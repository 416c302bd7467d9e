"""Optimizer wrappers of the runs, registered in mmengine's ``OPTIM_WRAPPERS``."""
from .finite_optim_wrapper import FiniteAmpOptimWrapper, FiniteOptimWrapper

__all__ = ['FiniteAmpOptimWrapper', 'FiniteOptimWrapper']
