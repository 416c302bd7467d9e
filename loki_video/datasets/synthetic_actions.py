"""Synthetic action videos: a shape whose motion over time defines the class.

Eight classes need temporal order to be told apart: ``move_left``,
``move_right``, ``move_up``, ``move_down``, ``rotate_clockwise``,
``rotate_anticlockwise``, ``grow`` and ``shrink``. Each video shows one shape
(circle, square or arrow-like triangle) in a colour family (red, yellow,
green, blue) over a textured or noisy coloured background. Every shape
has a dark front so the rotation direction is visible. Rotations are clockwise as seen on screen.

Layout written by :func:`generate_dataset` under ``root``::

    videos/<split>/<class>/<id>.mp4   mp4v videos readable by decord
    <split>_list.txt                  "videos/<split>/<class>/<id>.mp4 <label>"
    <split>_boxes.json                per-frame shape boxes, see below
    classes.txt                       one class name per line
    manifest.json                     generation parameters

``<split>_boxes.json`` holds ``image_size`` [H, W], ``num_frames`` T,
``box_format`` and ``videos``: for each list path, its ``shape``, ``colour``
and ``boxes``, a (T, 4) list of ``[x1, y1, x2, y2]`` pixel boxes.

:func:`generate_frame_dataset` writes single frames as PNG in the
mmpretrain ``CustomDataset`` layout ``frames/<split>/<shape>_<colour>/*.png``
(12 classes), for pretraining an image backbone that must find and recognise
the shape on a cluttered background. With ``labels='pose'`` it writes
``pose_frames/<split>/x<col>y<row>_<direction>_<size>/*.png`` instead (72
classes: the 3x3 grid cell of the shape centre, where its marker points and
whether it is small or large), for a backbone whose features must say where
a shape is, which way it points and how big it is: what the action classes
change over time.

Both functions are seeded and byte-for-byte deterministic, and skip work when
``manifest.json`` already records the same parameters.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from loki_video.user_error import UserValueError

ACTION_CLASSES = ('move_left', 'move_right', 'move_up', 'move_down',
                  'rotate_clockwise', 'rotate_anticlockwise', 'grow',
                  'shrink')
SHAPES = ('circle', 'square', 'triangle')
# OpenCV hue (0-179) at the centre of each colour family.
COLOUR_HUES = {'red': 0, 'yellow': 28, 'green': 62, 'blue': 115}
SPLITS = ('train', 'val', 'test')
MANIFEST_NAME = 'manifest.json'
DEFAULT_VIDEOS_PER_CLASS = dict(train=40, val=10, test=15)
DEFAULT_FRAMES_PER_CLASS = dict(train=200, val=40, test=40)
FRAME_LABELS = {'shape_colour': 'frames', 'pose': 'pose_frames'}  # labels -> folder
POSE_CELLS = 3
# Where the marker points, clockwise from +x on screen; each bin spans 90 degrees.
POSE_DIRECTIONS = ('right', 'down', 'left', 'up')
# Radius ranges as fractions of the shorter side; together they cover the video shapes.
POSE_SIZES = {'small': (0.10, 0.17), 'large': (0.17, 0.29)}

# Sub-pixel precision for OpenCV drawing: coordinates are scaled by 2**4.
_SHIFT = 4
_CIRCLE_POINTS = 32


def _unit_outline(shape: str) -> np.ndarray:
    """Outline of a shape with radius about 1, front pointing to +x: (P, 2)."""
    if shape == 'circle':
        angles = np.linspace(0, 2 * np.pi, _CIRCLE_POINTS, endpoint=False)
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if shape == 'square':
        return np.array([[0.8, 0.8], [-0.8, 0.8], [-0.8, -0.8], [0.8, -0.8]])
    if shape == 'triangle':
        return np.array([[1.0, 0.0], [-0.7, 0.75], [-0.7, -0.75]])
    raise UserValueError(f'unknown shape {shape!r}; expected one of {SHAPES}')


_MARKER_COLOUR = (20, 20, 20)
# Unit x from which a shape's front, drawn dark, starts.
_FRONT_FROM = 0.25


def _front_part(outline: np.ndarray) -> np.ndarray:
    """The part of a convex unit outline (P, 2) with x >= _FRONT_FROM: (Q, 2)."""
    kept = []
    for point, following in zip(outline, np.roll(outline, -1, axis=0)):
        if point[0] >= _FRONT_FROM:
            kept.append(point)
        if (point[0] - _FRONT_FROM) * (following[0] - _FRONT_FROM) < 0:
            t = (_FRONT_FROM - point[0]) / (following[0] - point[0])
            kept.append(point + t * (following - point))
    return np.array(kept)


def _rotate(points: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotate (P, 2) points clockwise on screen (y points down)."""
    theta = np.deg2rad(angle_deg)
    cos, sin = np.cos(theta), np.sin(theta)
    return points @ np.array([[cos, sin], [-sin, cos]])


def _random_colour(rng: np.random.Generator, family: str) -> Tuple[int, ...]:
    """A saturated BGR colour from a colour family, jittered in hue/value."""
    hue = (COLOUR_HUES[family] + rng.integers(-6, 7)) % 180
    hsv = np.array([[[hue, rng.integers(190, 256), rng.integers(190, 256)]]],
                   dtype=np.uint8)
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _random_background(rng: np.random.Generator,
                       size: Tuple[int, int]) -> np.ndarray:
    """A dull textured or noisy coloured background: (H, W, 3) float32."""
    height, width = size
    base = rng.uniform(40, 150, size=3)
    if rng.random() < 0.5:
        cells = rng.integers(3, 9)
        grid = rng.normal(0, 30, size=(cells, cells, 3)).astype(np.float32)
        texture = cv2.resize(grid, (width, height),
                             interpolation=cv2.INTER_CUBIC)
    else:
        texture = rng.normal(0, 18, size=(height, width, 3))
    return (base + texture).astype(np.float32)


def _noisy_frames(background: np.ndarray, rng: np.random.Generator,
                  num_frames: int) -> np.ndarray:
    """Background with fresh sensor noise per frame: (T, H, W, 3) uint8."""
    noise = rng.integers(-10, 11, (num_frames, ) + background.shape,
                         dtype=np.int16)
    return np.clip(background.astype(np.int16) + noise, 0,
                   255).astype(np.uint8)


def _draw_shape(frame: np.ndarray, shape: str, colour: Tuple[int, ...],
                centre: Sequence[float], radius: float,
                angle: float) -> List[float]:
    """Draw a shape into an (H, W, 3) uint8 frame in place.

    Returns the shape box [x1, y1, x2, y2] in pixels.
    """
    scale = 1 << _SHIFT
    outline = _rotate(_unit_outline(shape), angle) * radius + centre
    cv2.fillPoly(frame, [np.round(outline * scale).astype(np.int32)], colour,
                 cv2.LINE_AA, _SHIFT)
    # The front of the shape is dark, so its orientation reads at 32x32.
    front = _rotate(_front_part(_unit_outline(shape)), angle) * radius + centre
    cv2.fillPoly(frame, [np.round(front * scale).astype(np.int32)], _MARKER_COLOUR,
                 cv2.LINE_AA, _SHIFT)
    height, width = frame.shape[:2]
    x1, y1 = np.clip(outline.min(axis=0), 0, [width - 1, height - 1])
    x2, y2 = np.clip(outline.max(axis=0), 0, [width - 1, height - 1])
    return [round(float(v), 2) for v in (x1, y1, x2, y2)]


def _action_trajectory(rng: np.random.Generator, action: str,
                       size: Tuple[int, int], num_frames: int) -> np.ndarray:
    """Per-frame (cx, cy, radius, angle) of one action: (T, 4)."""
    height, width = size
    side = min(height, width)
    progress = np.linspace(0.0, 1.0, num_frames)
    angle0 = rng.uniform(0, 360)
    if action in ('grow', 'shrink'):
        small = rng.uniform(0.10, 0.12) * side
        large = small * rng.uniform(2.0, 2.4)
        radius = small + (large - small) * progress
        if action == 'shrink':
            radius = radius[::-1]
        margin = large + 1
    elif action.startswith('rotate_'):
        # Large, so that the turning hand crosses several patches.
        radius = np.full(num_frames, rng.uniform(0.22, 0.28) * side)
        margin = radius[0] + 1
    else:
        radius = np.full(num_frames, rng.uniform(0.15, 0.21) * side)
        margin = radius[0] + 1
    cx = np.full(num_frames, rng.uniform(margin, width - margin))
    cy = np.full(num_frames, rng.uniform(margin, height - margin))
    angle = np.full(num_frames, angle0)
    if action.startswith('move_'):
        horizontal = action in ('move_left', 'move_right')
        extent = width if horizontal else height
        free = extent - 2 * margin                 # room for the centre to move in
        distance = min(rng.uniform(0.4, 0.55) * extent, free)
        start = margin + rng.uniform(0, free - distance)
        path = start + distance * progress
        if action in ('move_left', 'move_up'):
            path = path[::-1]
        if horizontal:
            cx = path
        else:
            cy = path
    elif action.startswith('rotate_'):
        # The front starts near 'up' (270 degrees clockwise from +x): the
        # sense of rotation is then in how the direction changes with time,
        # while the direction averaged over a 270-330 degree turn is much
        # the same for both senses.
        angle0 = 270 + rng.uniform(-20, 20)
        turn = rng.uniform(270, 330)
        sign = 1.0 if action == 'rotate_clockwise' else -1.0
        angle = angle0 + sign * turn * progress
    return np.stack([cx, cy, radius, angle], axis=1)


def write_video(path: str, frames: np.ndarray, fps: float) -> None:
    """Write BGR frames (T, H, W, 3) as an mp4v video."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    if not writer.isOpened():
        raise RuntimeError(
            f'OpenCV could not open a mp4v VideoWriter for {path}; check '
            'that opencv-python-headless is installed with FFMPEG support.')
    for frame in frames:
        writer.write(frame)
    writer.release()


def _make_video(rng: np.random.Generator, action: str, size: Tuple[int, int],
                num_frames: int) -> Tuple[np.ndarray, dict]:
    """Render one action video: frames (T, H, W, 3) and its box record."""
    shape = SHAPES[rng.integers(len(SHAPES))]
    family = list(COLOUR_HUES)[rng.integers(len(COLOUR_HUES))]
    colour = _random_colour(rng, family)
    frames = _noisy_frames(_random_background(rng, size), rng, num_frames)
    trajectory = _action_trajectory(rng, action, size, num_frames)
    boxes = [
        _draw_shape(frame, shape, colour, (cx, cy), radius, angle)
        for frame, (cx, cy, radius, angle) in zip(frames, trajectory)
    ]
    return frames, dict(shape=shape, colour=family, boxes=boxes)


def _normalise_counts(counts: Dict[str, int], name: str) -> Dict[str, int]:
    """Check a per-split count dict and return it in split order."""
    unknown = set(counts) - set(SPLITS)
    if unknown:
        raise UserValueError(f'{name}: unknown split(s) {sorted(unknown)}; '
                             f'use keys from {SPLITS}')
    if any(int(n) < 0 for n in counts.values()):
        raise UserValueError(f'{name}: counts must be >= 0, got {counts}')
    return {split: int(counts[split]) for split in SPLITS if split in counts}


def _read_manifest(root: str) -> dict:
    path = osp.join(root, MANIFEST_NAME)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _prepare_output(root: str, key: str, params: dict,
                    owned: Sequence[str]) -> bool:
    """Return False when ``root`` already holds ``key`` made with ``params``.

    Otherwise remove the stale outputs listed in ``owned`` and return True.
    Refuses to overwrite outputs that no manifest accounts for.
    """
    manifest = _read_manifest(root)
    if manifest.get(key) == params:
        return False
    existing = [p for p in owned if osp.exists(osp.join(root, p))]
    if existing and key not in manifest:
        raise FileExistsError(
            f'{osp.join(root, existing[0])} exists but {root}/{MANIFEST_NAME} '
            f'does not describe it; choose an empty --out directory or '
            f'delete {root}.')
    for rel in existing:
        target = osp.join(root, rel)
        if osp.isdir(target):
            shutil.rmtree(target)
        else:
            os.remove(target)
    manifest.pop(key, None)
    _write_manifest(root, manifest)
    return True


def _write_manifest(root: str, manifest: dict) -> None:
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, MANIFEST_NAME), 'w') as f:
        json.dump(manifest, f, indent=2, sort_keys=True)


def generate_dataset(root: str,
                     videos_per_class: Dict[str, int] = None,
                     num_frames: int = 32,
                     size: Tuple[int, int] = (64, 64),
                     fps: float = 8.0,
                     seed: int = 0) -> bool:
    """Write the synthetic action video dataset under ``root``.

    Args:
        root (str): Output directory.
        videos_per_class (Dict[str, int]): Videos per class for each split, e.g.
            ``dict(train=40, val=10, test=15)``. Defaults to None.
        num_frames (int): Frames T per video. Defaults to 32.
        size (Tuple[int, int]): Frame size (H, W). Defaults to ``(64, 64)``.
        fps (float): Frame rate stored in the videos. Defaults to 8.0.
        seed (int): Random seed; equal arguments give identical files. Defaults to 0.

    Returns:
        True if files were written, False if ``root`` was already up to date.
    """
    counts = _normalise_counts(videos_per_class or DEFAULT_VIDEOS_PER_CLASS,
                               'videos_per_class')
    if num_frames < 2:
        raise UserValueError(f'num_frames must be >= 2, got {num_frames}')
    size = (int(size[0]), int(size[1]))
    if min(size) < 16:
        raise UserValueError(f'size must be at least (16, 16), got {size}')
    params = dict(videos_per_class=counts, num_frames=int(num_frames),
                  size=list(size), fps=float(fps), seed=int(seed),
                  classes=list(ACTION_CLASSES))
    owned = ['videos', 'classes.txt'] + [
        f'{split}_{kind}' for split in SPLITS
        for kind in ('list.txt', 'boxes.json')
    ]
    if not _prepare_output(root, 'videos', params, owned):
        return False

    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(ACTION_CLASSES) + '\n')
    for split, count in counts.items():
        if count == 0:
            continue
        lines, records = [], {}
        for label, action in enumerate(ACTION_CLASSES):
            folder = osp.join(root, 'videos', split, action)
            os.makedirs(folder, exist_ok=True)
            for index in range(count):
                rng = np.random.default_rng(
                    [seed, 0, SPLITS.index(split), label, index])
                frames, record = _make_video(rng, action, size, num_frames)
                rel_path = f'videos/{split}/{action}/{index:04d}.mp4'
                write_video(osp.join(root, rel_path), frames, fps)
                lines.append(f'{rel_path} {label}')
                records[rel_path] = record
        with open(osp.join(root, f'{split}_list.txt'), 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        with open(osp.join(root, f'{split}_boxes.json'), 'w') as f:
            json.dump(dict(image_size=list(size), num_frames=num_frames,
                           box_format='xyxy pixels', videos=records), f)
    manifest = _read_manifest(root)
    manifest['videos'] = params
    _write_manifest(root, manifest)
    return True


def frame_classes(labels: str = 'shape_colour') -> List[str]:
    """Names of the frame dataset classes, sorted: ``<shape>_<colour>``
    (``labels='shape_colour'``) or ``x<col>y<row>_<direction>_<size>``
    (``labels='pose'``)."""
    if labels not in FRAME_LABELS:
        raise UserValueError(f'unknown frame labels {labels!r}; expected one of '
                             f'{sorted(FRAME_LABELS)}')
    if labels == 'pose':
        return sorted(f'x{col}y{row}_{direction}_{size}'
                      for col in range(POSE_CELLS) for row in range(POSE_CELLS)
                      for direction in POSE_DIRECTIONS for size in POSE_SIZES)
    return sorted(f'{shape}_{colour}' for shape in SHAPES
                  for colour in COLOUR_HUES)


def _shape_colour_frame(rng: np.random.Generator, name: str,
                        size: Tuple[int, int]) -> np.ndarray:
    """A frame of class ``<shape>_<colour>``: any position, size and angle."""
    shape, family = name.split('_')
    height, width = size
    radius = rng.uniform(0.10, 0.29) * min(size)
    centre = (rng.uniform(radius, width - radius),
              rng.uniform(radius, height - radius))
    frame = _noisy_frames(_random_background(rng, size), rng, 1)[0]
    _draw_shape(frame, shape, _random_colour(rng, family), centre, radius,
                rng.uniform(0, 360))
    return frame


def _pose_frame(rng: np.random.Generator, name: str,
                size: Tuple[int, int]) -> np.ndarray:
    """A frame of class ``x<col>y<row>_<direction>_<size>``: any shape and colour."""
    cell, direction, size_name = name.split('_')
    col, row = int(cell[1]), int(cell[3])
    height, width = size
    low, high = POSE_SIZES[size_name]
    radius = rng.uniform(low, high) * min(size)
    # Centre inside the grid cell and far enough from the border to fit.
    cx = rng.uniform(max(radius, col * width / POSE_CELLS),
                     min(width - radius, (col + 1) * width / POSE_CELLS))
    cy = rng.uniform(max(radius, row * height / POSE_CELLS),
                     min(height - radius, (row + 1) * height / POSE_CELLS))
    angle = 90.0 * POSE_DIRECTIONS.index(direction) + rng.uniform(-45, 45)
    shape = SHAPES[rng.integers(len(SHAPES))]
    family = list(COLOUR_HUES)[rng.integers(len(COLOUR_HUES))]
    frame = _noisy_frames(_random_background(rng, size), rng, 1)[0]
    _draw_shape(frame, shape, _random_colour(rng, family), (cx, cy), radius,
                angle)
    return frame


def generate_frame_dataset(root: str,
                           frames_per_class: Dict[str, int] = None,
                           size: Tuple[int, int] = (64, 64),
                           seed: int = 0,
                           labels: str = 'shape_colour') -> bool:
    """Write single-frame PNGs labelled by shape and colour family, or by pose.

    Layout: ``root/<folder>/<split>/<class>/<index>.png``, readable by
    mmpretrain's ``CustomDataset(data_prefix='<folder>/<split>')``, where
    ``folder`` is ``frames`` for ``labels='shape_colour'`` (shapes at random
    positions, sizes and orientations) and ``pose_frames`` for
    ``labels='pose'`` (random shapes and colours at the class's grid cell,
    marker direction and size range, see :data:`POSE_SIZES`). Backgrounds
    are those of the videos.

    Args:
        root (str): Output directory (may be shared with :func:`generate_dataset`).
        frames_per_class (Dict[str, int]): Images per class for each split. Defaults to None.
        size (Tuple[int, int]): Image size (H, W), at least (16, 16). Defaults to ``(64, 64)``.
        seed (int): Random seed; equal arguments give identical files. Defaults to 0.
        labels (str): ``'shape_colour'`` (12 classes) or ``'pose'`` (72 classes). Defaults to ``'shape_colour'``.

    Returns:
        True if files were written, False if ``root`` was already up to date.
    """
    counts = _normalise_counts(frames_per_class or DEFAULT_FRAMES_PER_CLASS,
                               'frames_per_class')
    size = (int(size[0]), int(size[1]))
    if min(size) < 16:
        raise UserValueError(f'size must be at least (16, 16), got {size}')
    classes = frame_classes(labels)
    folder_name = FRAME_LABELS[labels]
    make_frame = _pose_frame if labels == 'pose' else _shape_colour_frame
    stream = 2 if labels == 'pose' else 1
    params = dict(frames_per_class=counts, size=list(size), seed=int(seed),
                  classes=classes)
    if not _prepare_output(root, folder_name, params, [folder_name]):
        return False

    for split, count in counts.items():
        for label, name in enumerate(classes if count else ()):
            folder = osp.join(root, folder_name, split, name)
            os.makedirs(folder, exist_ok=True)
            for index in range(count):
                rng = np.random.default_rng(
                    [seed, stream, SPLITS.index(split), label, index])
                cv2.imwrite(osp.join(folder, f'{index:04d}.png'),
                            make_frame(rng, name, size))
    manifest = _read_manifest(root)
    manifest[folder_name] = params
    _write_manifest(root, manifest)
    return True


def split_count(item: str) -> Tuple[str, int]:
    """Parse ``'train=40'`` into ``('train', 40)`` (an argparse ``type``)."""
    split, sep, value = item.partition('=')
    if not sep or not value.isdigit() or split not in SPLITS:
        raise argparse.ArgumentTypeError(
            f'expected SPLIT=COUNT with SPLIT in {SPLITS}, such as train=40, got {item!r}')
    return split, int(value)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        description='Generate the synthetic action video dataset and its '
        'single-frame image dataset.')
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument('--videos-per-class', nargs='+', metavar='SPLIT=N',
                        type=split_count,
                        default=list(DEFAULT_VIDEOS_PER_CLASS.items()))
    parser.add_argument('--frames-per-class', nargs='+', metavar='SPLIT=N',
                        type=split_count,
                        default=list(DEFAULT_FRAMES_PER_CLASS.items()),
                        help='images per class of the frame dataset; '
                        'train=0 val=0 test=0 writes none')
    parser.add_argument('--frame-labels', choices=sorted(FRAME_LABELS),
                        default='shape_colour',
                        help='labels of the frame dataset: shape and colour '
                        '(folder frames/) or pose (folder pose_frames/)')
    parser.add_argument('--num-frames', type=int, default=32)
    parser.add_argument('--size', type=int, nargs=2, default=(64, 64),
                        metavar=('H', 'W'))
    parser.add_argument('--fps', type=float, default=8.0)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    try:
        videos = dict(args.videos_per_class)
        frames = dict(args.frames_per_class)
        jobs = (
            ('videos', lambda: generate_dataset(args.out, videos,
                                                args.num_frames,
                                                tuple(args.size), args.fps,
                                                args.seed)),
            (FRAME_LABELS[args.frame_labels], lambda: generate_frame_dataset(
                args.out, frames, tuple(args.size), args.seed,
                args.frame_labels)),
        )
        for name, job in jobs:
            start = time.perf_counter()
            wrote = job()
            state = (f'written in {time.perf_counter() - start:.1f} s'
                     if wrote else 'up to date')
            print(f'{name}: {osp.join(args.out, name)} {state}')
    except (ValueError, FileExistsError) as err:
        parser.error(str(err))


if __name__ == '__main__':
    main()
