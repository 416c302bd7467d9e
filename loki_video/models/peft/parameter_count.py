"""Parameter counts by report group (:func:`~.freeze_policy.report_group`) and their table."""
from collections import OrderedDict

from torch import nn

from .freeze_policy import REPORT_GROUPS, report_group


def count_parameters(model: nn.Module) -> dict:
    """Total and tunable parameter counts, overall and per report group.

    Returns:
        dict with ``total``, ``tunable`` and ``groups``: an ordered mapping
        group -> {'total': int, 'tunable': int} holding only non-empty groups.
    """
    groups = OrderedDict((g, {'total': 0, 'tunable': 0}) for g in REPORT_GROUPS)
    for name, param in model.named_parameters():
        counts = groups[report_group(name)]
        counts['total'] += param.numel()
        counts['tunable'] += param.numel() if param.requires_grad else 0
    groups = OrderedDict((g, c) for g, c in groups.items() if c['total'])
    return dict(total=sum(c['total'] for c in groups.values()),
                tunable=sum(c['tunable'] for c in groups.values()),
                groups=groups)


def format_parameter_report(counts: dict) -> str:
    """A fixed-width table of :func:`count_parameters` output."""
    lines = [f'{"group":<18}{"total":>14}{"tunable":>14}']
    for group, c in counts['groups'].items():
        lines.append(f'{group:<18}{c["total"]:>14,}{c["tunable"]:>14,}')
    share = 100.0 * counts['tunable'] / max(counts['total'], 1)
    lines.append(f'{"all":<18}{counts["total"]:>14,}{counts["tunable"]:>14,}  ({share:.2f}% tunable)')
    return '\n'.join(lines)
