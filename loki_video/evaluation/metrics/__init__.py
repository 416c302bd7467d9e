"""Metrics (as mmaction2 lays out ``mmaction/evaluation/metrics``)."""
from .valid_acc_metric import ValidAccMetric

__all__ = ['ValidAccMetric']
