"""Class names: label files (one name per line, line i names label i)."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.config import Config

from loki_video.user_error import UserFileError

LABEL_DIR = osp.join(osp.dirname(osp.dirname(__file__)), 'labels')
KINETICS400_LABELS = osp.join(LABEL_DIR, 'kinetics400.txt')


def read_labels(path: str) -> List[str]:
    """Class names from a label file; blank lines are ignored."""
    if not osp.isfile(path):
        raise UserFileError(f'label file {path} does not exist; it must list one class name '
                            'per line (tools/data/build_video_list.py --label-names writes one)')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def config_label_file(cfg: Config) -> Optional[str]:
    """The config's ``label_file`` (a path, relative to the working directory), or None."""
    return cfg.get('label_file')


def resolve_labels(labels: Union[str, Sequence[str], None], cfg: Optional[Config] = None) -> Optional[List[str]]:
    """Class names from a list, a label file path, or else the config's ``label_file``; or None."""
    if labels is None and cfg is not None:
        labels = config_label_file(cfg)
    if labels is None or isinstance(labels, (list, tuple)):
        return labels
    return read_labels(labels)
