"""Evaluation: metrics, registered in mmaction2's ``METRICS``."""
from .metrics import ValidAccMetric

__all__ = ['ValidAccMetric']
