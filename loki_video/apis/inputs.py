"""Turn a video file, a frames array or an image into a model input with a config's test pipeline.

Video configs (``default_scope='mmaction'``) read files with the pipeline as
it is (``VideoInit`` ... ``PackActionInputs``); for frames already in
memory, the pipeline's ``*Init`` step is dropped and its ``*Decode`` step
becomes mmaction2's ``ArrayDecode``. Image configs (``'mmpretrain'``) get the
image as the BGR array their loading step (``LoadImageFromFile``/``ToBGR``)
would give, and the loading step is dropped.
"""
import copy
import os
import os.path as osp
import sys
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import cv2  # imported before decord: decord bundles a zlib that breaks cv2's PNG decoding
import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import TRANSFORMS
from tqdm import tqdm

from loki_video.config import VIDEO_SCOPE
from loki_video.datasets.multi_view import Views, count_views, get_test_pipeline, parse_views, set_views
from loki_video.datasets.video_reader import decode_failure
from loki_video.user_error import UserError, UserFileError, UserValueError

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')
IMAGE_LOADERS = ('LoadImageFromFile', 'ToBGR')
# Raised by a misconfigured pipeline rather than by the file: a fault, with its traceback, not an unreadable input.
PIPELINE_FAULTS = (KeyError, TypeError, AttributeError, NameError, ImportError, NotImplementedError)
# The first formatting step of each family: an extra resize goes right before it.
FORMAT_STEPS = ('FormatShape', 'PackInputs', 'PackActionInputs')


class UnreadableInputError(UserError, ValueError):
    """An input file that exists but cannot be decoded (a corrupt, truncated or mislabelled file)."""

    @classmethod
    def of_video(cls, video: str, error: Exception) -> 'UnreadableInputError':
        """The error for ``video``, naming the decoder's failure ``error``."""
        return cls(f'not a readable video: {video} ({decode_failure(error)}); '
                   'tools/data/check_videos.py finds such files in a list')


def is_video_config(cfg: Config) -> bool:
    """Whether ``cfg`` is an mmaction2 (video) config rather than an mmpretrain (image) one."""
    return cfg.get('default_scope', VIDEO_SCOPE) == VIDEO_SCOPE


def input_kind(path: str) -> str:
    """``'video'`` or ``'image'`` from a file's extension."""
    suffix = osp.splitext(path)[1].lower()
    if suffix in VIDEO_EXTENSIONS:
        return 'video'
    if suffix in IMAGE_EXTENSIONS:
        return 'image'
    raise UserValueError(f'{path}: unknown file type {suffix!r}; videos: {VIDEO_EXTENSIONS}, '
                         f'images: {IMAGE_EXTENSIONS}')


def collect_inputs(paths: Sequence[str]) -> List[Tuple[str, str]]:
    """Video and image files of the given files and folders (folders searched recursively, sorted).

    Returns:
        ``[(file, name), ...]``: ``name`` identifies the file in output file
        names: its path below the folder given (separators as ``__``, no
        extension), or its own name without extension. Names that would
        repeat (``a/0001.mp4`` and ``b/0001.mp4``) become the paths below the
        folder the files share (``a__0001``, ``b__0001``), so no output
        overwrites another.
    """
    found = []
    for path in paths:
        if osp.isfile(path):
            found.append((path, osp.splitext(osp.basename(path))[0]))
        elif osp.isdir(path):
            for folder, _, files in sorted(os.walk(path)):
                for name in sorted(files):
                    if osp.splitext(name)[1].lower() in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS:
                        file = osp.join(folder, name)
                        found.append((file, osp.splitext(osp.relpath(file, path))[0].replace(os.sep, '__')))
        else:
            raise UserFileError(f'input {path} does not exist')
    if not found:
        raise UserFileError(f'no video ({VIDEO_EXTENSIONS}) or image ({IMAGE_EXTENSIONS}) files in {list(paths)}')
    return _distinct_names(found)


def for_each_input(files: Sequence[Tuple[str, str]], work: Callable[[str, str], Any], desc: str) -> None:
    """``work(path, name)`` for each ``(path, name)`` of ``files`` (from :func:`collect_inputs`), with a
    progress bar for several. An input that cannot be decoded is reported in one line on stderr and the
    rest go on; raises SystemExit (status 1) at the end, naming them, if any failed."""
    failed = []
    for path, name in tqdm(files, desc=desc, disable=len(files) < 2):
        try:
            work(path, name)
        except UnreadableInputError as error:
            tqdm.write(str(error), file=sys.stderr)
            failed.append(path)
    if failed:
        raise SystemExit(f'{len(failed)} of {len(files)} inputs could not be read: {", ".join(failed)}')


def _distinct_names(found):
    """``found`` with each repeated name replaced by the file's path below the folder shared by its namesakes."""
    by_name = {}
    for file, name in found:
        by_name.setdefault(name, []).append(osp.abspath(file))
    distinct, used = [], set()
    for file, name in found:
        namesakes = by_name[name]
        if len(set(namesakes)) > 1:
            below = osp.relpath(osp.abspath(file), osp.commonpath(namesakes))
            name = osp.splitext(below)[0].replace(os.sep, '__')
        unique, copy = name, 1
        while unique in used:                      # the same file given twice
            copy += 1
            unique = f'{name}_{copy}'
        used.add(unique)
        distinct.append((file, unique))
    return distinct


def read_image_rgb(path: str) -> np.ndarray:
    """An image file as an (H, W, 3) uint8 RGB array."""
    if not osp.isfile(path):
        raise UserFileError(f'image {path} does not exist')
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise UnreadableInputError(f'not a readable image: {path} (OpenCV cannot decode it)')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def inference_pipeline(cfg: Config, views: Optional[Views] = None,
                       size: Optional[Tuple[int, int]] = None) -> List[dict]:
    """A copy of the config's test transforms (list of dicts), edited for inference.

    Args:
        cfg (Config): a loaded config.
        views (Views, optional): ``'CLIPSxCROPS'`` or ``(clips, crops)`` test views (video configs).
            Defaults to None.
        size (Tuple[int, int], optional): ``(H, W)``: resize every frame to this size right before
            formatting, i.e. after the pipeline's own resize and crop. Defaults to None.
    """
    cfg = copy.deepcopy(cfg)
    if views is not None:
        clips, crops = parse_views(views) if isinstance(views, str) else views
        if count_views(get_test_pipeline(cfg)) != (clips, crops):
            set_views(cfg, clips, crops)
    pipeline = list(get_test_pipeline(cfg))
    if size is not None:
        index = next((i for i, t in enumerate(pipeline) if t['type'] in FORMAT_STEPS), None)
        if index is None:
            raise UserValueError(f'the test pipeline has none of {FORMAT_STEPS}, so --size has no place '
                                 'to resize the frames')
        height, width = size
        pipeline.insert(index, dict(type='Resize', scale=(int(width), int(height)), keep_ratio=False))
    return pipeline


def _array_video_pipeline(pipeline):
    """Video transforms for frames in memory: no ``*Init``, ``ArrayDecode`` for ``*Decode``."""
    edited = []
    for transform in pipeline:
        name = transform['type']
        if name.endswith('Init'):
            continue
        edited.append(dict(type='ArrayDecode') if name.endswith('Decode') else transform)
    return edited


def _check_frames(frames):
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise UserValueError(f'frames must be a (T, H, W, 3) uint8 RGB array, got shape {frames.shape} '
                             f'and dtype {frames.dtype}')
    return frames


def video_inputs(cfg: Config, video: Union[str, np.ndarray], views: Optional[Views] = None,
                 size: Optional[Tuple[int, int]] = None) -> dict:
    """Run a video config's test pipeline on a video file or frames; return a collated batch.

    Args:
        video (Union[str, np.ndarray]): a video path, or frames as a (T, H, W, 3) uint8 RGB array.

    Returns:
        ``dict(inputs=[tensor (V, C, T', H', W')], data_samples=[ActionDataSample])``,
        V = clips x crops views, ready for ``model.test_step``.
    """
    pipeline = inference_pipeline(cfg, views, size)
    if isinstance(video, str):
        if not osp.isfile(video):
            raise UserFileError(f'video {video} does not exist')
        results = dict(filename=video, label=-1, start_index=0, modality='RGB')
    else:
        frames = _check_frames(video)
        pipeline = _array_video_pipeline(pipeline)
        results = dict(array=frames, total_frames=len(frames), label=-1, start_index=0, modality='RGB')
    try:
        return pseudo_collate([Compose(pipeline)(results)])
    except PIPELINE_FAULTS:
        raise
    except Exception as error:
        if not isinstance(video, str):
            raise
        raise UnreadableInputError.of_video(video, error) from error


def sampled_span(cfg: Config, video: str, views: Optional[Views] = None) -> Tuple[float, float, int]:
    """``(first, last, frames)``: the seconds of the first and last frame the test pipeline samples from
    ``video`` for its views, and how many distinct frames; nothing is decoded (the pipeline runs up to its
    frame sampler)."""
    results = dict(filename=video, label=-1, start_index=0, modality='RGB')
    for transform in inference_pipeline(cfg, views):
        results = TRANSFORMS.build(transform)(results)
        if 'frame_inds' in results:
            break
    else:
        raise UserValueError('the test pipeline has no frame sampler (SampleFrames): nothing tells which frames '
                             'a prediction comes from')
    indices = np.unique(results['frame_inds'])
    rate = results.get('avg_fps')
    if not rate or not np.isfinite(rate) or rate <= 0:
        raise UserValueError(f'{video}: no frame rate in its header, so the sampled frames cannot be placed in '
                             'seconds; re-encode it at a constant rate: ffmpeg -i IN -r 30 OUT.mp4')
    return float(indices[0] / rate), float(indices[-1] / rate), len(indices)


def image_inputs(cfg: Config, image: Union[str, np.ndarray], size: Optional[Tuple[int, int]] = None) -> dict:
    """Run an image config's test pipeline (without its loading step) on an image.

    Args:
        image (Union[str, np.ndarray]): an image path, or an (H, W, 3) uint8 RGB array.

    Returns:
        ``dict(inputs=[tensor (C, H', W')], data_samples=[DataSample])`` (BGR channels,
        as after ``LoadImageFromFile``), ready for ``model.test_step``.
    """
    rgb = read_image_rgb(image) if isinstance(image, str) else np.asarray(image)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise UserValueError(f'image must be an (H, W, 3) RGB array, got shape {rgb.shape}')
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    pipeline = [t for t in inference_pipeline(cfg, size=size) if t['type'] not in IMAGE_LOADERS]
    results = dict(img=bgr, img_shape=bgr.shape[:2], ori_shape=bgr.shape[:2])
    return pseudo_collate([Compose(pipeline)(results)])


def source_kind(source: Union[str, np.ndarray]) -> str:
    """``'video'`` or ``'image'``: a path by its extension, an array by its dimensions."""
    if isinstance(source, str):
        return input_kind(source)
    if np.ndim(source) not in (3, 4):
        raise UserValueError(f'expected an (H, W, 3) image or (T, H, W, 3) frames, got shape {np.shape(source)}')
    return 'image' if np.ndim(source) == 3 else 'video'


def model_inputs(cfg: Config, source: Union[str, np.ndarray], views: Optional[Views] = None,
                 size: Optional[Tuple[int, int]] = None) -> dict:
    """Batch of one input for any config, ready for ``model.test_step``.

    Args:
        source (Union[str, np.ndarray]): a video or image path (told apart by extension), frames as a
            (T, H, W, 3) uint8 RGB array, or an image as an (H, W, 3) one.
        views (Views, optional): ``'CLIPSxCROPS'`` test views (video configs). Defaults to None.
        size (Tuple[int, int], optional): ``(H, W)`` frame size after the test pipeline's crop. Defaults to None.

    An image given to a video config becomes a still clip: the 1-frame array
    goes through the test pipeline, whose frame sampler repeats it to the
    clip length.
    """
    kind = source_kind(source)
    if kind == 'image' and isinstance(source, str):
        source = read_image_rgb(source)
    if is_video_config(cfg):
        return video_inputs(cfg, np.asarray(source)[None] if kind == 'image' else source, views, size)
    if kind == 'video':
        raise UserValueError('a video was given to an image (mmpretrain) config; use a video config')
    return image_inputs(cfg, source, size)


def display_frames(cfg: Config, batch: dict) -> np.ndarray:
    """The frames the model saw, as (T, H, W, 3) uint8 RGB (first view of a video batch).

    Pixel values are the pipeline's output before the data preprocessor's
    normalisation; channels are flipped when the preprocessor has ``to_rgb``.
    """
    inputs = batch['inputs'][0]
    if inputs.ndim == 5:                       # (V, C, T, H, W) video
        frames = inputs[0].permute(1, 2, 3, 0)
    elif inputs.ndim == 3:                     # (C, H, W) image
        frames = inputs.permute(1, 2, 0)[None]
    else:
        raise UserValueError(f'cannot display inputs of shape {tuple(inputs.shape)}; expected '
                             '(V, C, T, H, W) from FormatShape(NCTHW) or (C, H, W)')
    frames = frames.numpy().clip(0, 255).astype(np.uint8)
    if cfg.model.get('data_preprocessor', {}).get('to_rgb', False):
        frames = frames[..., ::-1]
    return np.ascontiguousarray(frames)
