"""A run log that gets to the first iteration in a screenful.

mmengine's Runner logs, before training starts, the build details of PyTorch, the whole config
(about 250 lines; the Runner also writes it to ``WORK_DIR/<config name>.py``), every hook under
every stage (about 95 lines), one line per frozen tensor from the optimizer builder (149 for
ViT-B/16; the table of ``ParameterReportHook`` gives the frozen groups) and mmengine's own
deprecation warnings about ``FileClient``, which mmaction2's ``DecordInit`` uses.
:class:`ShortLogFilter` (on the logger of ``LokiVideoRunner``) keeps one line for the config and
one for the hooks, and drops the rest.
"""
import logging
import re

DROPPED = ('is skipped since its requires_grad=False', '"FileClient" will be deprecated',
           '"HardDiskBackend" is the alias of "LocalBackend"')
BUILD_DETAILS = re.compile(r'\n    PyTorch compiling details:.*?(?=\n    \S)', re.S)
HOOK_LINE = re.compile(r'^\(\w+\s*\) (\w+)', re.M)


class ShortLogFilter(logging.Filter):
    """Shortens the records of a Runner's logger named above.

    Args:
        config_file (str): where the Runner writes the full config (named in the one line left of it).
    """

    def __init__(self, config_file: str) -> None:
        super().__init__()
        self.config_file = config_file

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(text in message for text in DROPPED):
            return False
        if message.startswith('Config:\n'):
            short = f'Config: written in full to {self.config_file}'
        elif message.startswith('Hooks will be executed in the following order'):
            short = 'Hooks: ' + ', '.join(dict.fromkeys(HOOK_LINE.findall(message)))
        elif 'System environment:' in message:
            short = BUILD_DETAILS.sub('', message)
        else:
            return True
        record.msg, record.args = short, ()
        return True
