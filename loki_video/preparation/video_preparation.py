"""One video re-encoded for cheap random access, verified, with a record for the manifest.

:func:`prepare_video` decodes a source with PyAV (FFmpeg), resamples it to a constant frame rate (the
source's average rate, FFmpeg's ``fps`` filter, so that frame ``i`` of the output is the frame shown at
``i / rate``), scales it to a short side (FFmpeg's ``scale`` filter, bicubic) and encodes H.264 with
libx264 through PyAV into an ordinary MP4 (``+faststart``: the index comes first). The layout is set in
codec terms (:class:`EncodingSettings`): the GOP (frames from one keyframe to the next; 1 makes every
frame a keyframe, so a reader reaches any frame by decoding that frame alone), the CRF and x264's
preset and tune. The file is written through :func:`~loki_video.checkpoints.atomic_write.atomic_file`:
a kill at any moment leaves no file under the output's name but a whole, verified one.

Verification decodes every frame of the output in order, counts them against the frames the source
gave at the output rate, checks the duration, and opens the output with the reader the training
pipeline uses (its frame count and rate must agree); the PSNR of a sample of frames against the source
frames scaled the same way (Y, U and V planes, as FFmpeg's ``psnr`` filter) goes into the record.
"""
import dataclasses
import math
import os
import os.path as osp
import time
from fractions import Fraction
from typing import Dict, List, Optional

import numpy as np

from loki_video.checkpoints.atomic_write import atomic_file
from loki_video.datasets.video_reader import decode_failure, open_video

PSNR_SAMPLES = 32  # frames of each video compared with the scaled source


class UnusableSource(Exception):
    """A source that cannot be prepared (unreadable, empty or truncated); the message says why, in one line."""


@dataclasses.dataclass(frozen=True)
class EncodingSettings:
    """How videos are laid out (``tools/data/prepare_videos.py`` options; docs/data.md measures them).

    Args:
        short_side (int): pixels of the shorter side (the longer keeps the aspect ratio, rounded to an
            even number); 0 keeps the source's size. Defaults to 256, what the configs train at.
        gop (int): frames from one keyframe to the next; 1 makes every frame a keyframe. Defaults to 1.
        crf (float): x264's constant rate factor (lower: larger files, higher fidelity). Defaults to 26.
        preset (str): x264's speed preset. Defaults to ``'medium'``.
        tune (str): x264's tune (``'psnr'``, ``'fastdecode'``, ``'film'``...; ``''`` for none). Defaults
            to ``'psnr'``: at the same bytes it keeps 0.8 dB more than x264's default psycho-visual tuning.
    """
    short_side: int = 256
    gop: int = 1
    crf: float = 26
    preset: str = 'medium'
    tune: str = 'psnr'

    def output_size(self, width: int, height: int) -> tuple:
        """``(width, height)`` of the output for a source of that size."""
        if not self.short_side:
            return width + width % 2, height + height % 2
        if width <= height:
            return self.short_side, 2 * round(height * self.short_side / width / 2)
        return 2 * round(width * self.short_side / height / 2), self.short_side

    def x264_options(self) -> Dict[str, str]:
        options = {'crf': f'{self.crf:g}', 'preset': self.preset, 'bf': '0', 'keyint_min': str(self.gop),
                   'sc_threshold': '0'}  # keyframes exactly every gop frames, no B-frames (decode order = order)
        if self.tune:
            options['tune'] = self.tune
        return options


def _scaling_graph(stream, rate: Fraction, size: tuple):
    """An FFmpeg filter graph: the source's frames at a constant ``rate``, scaled to ``size``, yuv420p."""
    import av
    graph = av.filter.Graph()
    graph.link_nodes(graph.add_buffer(template=stream), graph.add('fps', f'fps={rate.numerator}/{rate.denominator}'),
                     graph.add('scale', f'{size[0]}:{size[1]}:flags=bicubic'), graph.add('format', 'yuv420p'),
                     graph.add('buffersink')).configure()
    return graph


def _pull(graph) -> List:
    import av
    frames = []
    while True:
        try:
            frames.append(graph.vpull())
        except (av.error.BlockingIOError, av.error.EOFError):
            return frames


def _psnr(mse: float) -> float:
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def _encode(source: str, temporary: str, settings: EncodingSettings) -> dict:
    """Decode, resample, scale and encode ``source`` into ``temporary``; keep a sample of scaled source
    frames (yuv420p planes) for the PSNR."""
    import av
    try:
        container = av.open(source)
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise UnusableSource(f'unreadable: {decode_failure(error)}') from error
    with container:
        if not container.streams.video:
            raise UnusableSource('unreadable: no video stream')
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        rate = stream.average_rate or stream.guessed_rate
        if not rate or rate <= 0:
            raise UnusableSource('unreadable: no frame rate in the file')
        size = settings.output_size(stream.codec_context.width, stream.codec_context.height)
        stated = stream.frames or (round(float(stream.duration * stream.time_base) * rate) if stream.duration else 0)
        sample_at = set(np.linspace(0, max(stated, 1) - 1, PSNR_SAMPLES).round().astype(int).tolist())
        graph = _scaling_graph(stream, Fraction(rate), size)
        reference, written, decoded, times = {}, 0, 0, []
        with av.open(temporary, 'w', format='mp4', options={'movflags': '+faststart'}) as output:
            encoder = output.add_stream('libx264', rate=rate, options=settings.x264_options())
            encoder.width, encoder.height, encoder.pix_fmt = size[0], size[1], 'yuv420p'
            encoder.codec_context.gop_size = settings.gop
            encoder.codec_context.thread_count = 1

            def write(frames):
                nonlocal written
                for frame in frames:
                    if written in sample_at:
                        reference[written] = frame.to_ndarray()
                    frame.pts, frame.time_base = written, Fraction(1) / rate
                    output.mux(encoder.encode(frame))
                    written += 1
            try:
                for frame in container.decode(stream):
                    decoded += 1
                    times.append(frame.time)
                    graph.vpush(frame)
                    write(_pull(graph))
            except av.error.FFmpegError as error:
                raise UnusableSource(f'truncated: decoding stops after {decoded} frames: {decode_failure(error)}'
                                     ) from error
            graph.vpush(None)
            write(_pull(graph))
            output.mux(encoder.encode(None))
    if decoded == 0:
        raise UnusableSource('empty: no frame decodes')
    if stated and decoded < stated - 1:
        raise UnusableSource(f'truncated: {decoded} of the {stated} frames its header states decode')
    times = [t for t in times if t is not None]
    at_rate = round((max(times) - min(times)) * rate) + 1 if times else decoded
    if abs(written - at_rate) > 1:
        raise RuntimeError(f'{written} frames were written where the source spans {at_rate} at {float(rate):.3f} fps')
    return dict(rate=Fraction(rate), size=size, source_frames=decoded, frames=written, reference=reference)


def _verify(path: str, encoded: dict) -> float:
    """Decode every frame of ``path`` in order and check it against what was encoded; returns the PSNR
    of the sampled frames against the scaled source.

    Raises:
        RuntimeError: a frame count, rate or size that does not match.
    """
    import av
    squared_error, pixels, count = 0., 0, 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        for frame in container.decode(stream):
            if count in encoded['reference']:
                difference = frame.to_ndarray().astype(np.int32) - encoded['reference'][count]
                squared_error += float(np.square(difference).sum())
                pixels += difference.size
            count += 1
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.
    expected_duration = encoded['frames'] / encoded['rate']
    if count != encoded['frames'] or abs(duration - expected_duration) > 1.5 / encoded['rate']:
        raise RuntimeError(f'the output decodes to {count} frames over {duration:.3f} s; {encoded["frames"]} '
                           f'frames over {float(expected_duration):.3f} s were written')
    reader = open_video(path)
    if reader.num_frames != count or abs(reader.fps - encoded['rate']) > 1e-3 * encoded['rate']:
        raise RuntimeError(f'the {reader.backend} reader sees {reader.num_frames} frames at {reader.fps:.3f} fps; '
                           f'{count} at {float(encoded["rate"]):.3f} were written')
    return _psnr(squared_error / max(pixels, 1))


def prepare_video(source: str, output: str, settings: EncodingSettings = EncodingSettings()) -> dict:
    """Re-encode ``source`` as ``output`` (module docstring) and verify it.

    Returns:
        The manifest record: ``source``, ``output``, ``frames``, ``fps``, ``width``, ``height``,
        ``bytes``, ``psnr_db`` (sampled frames against the scaled source), ``source_frames`` (frames the
        source decoded to), ``source_bytes``, ``seconds`` (time taken) and ``settings``.
    Raises:
        UnusableSource: an unreadable, empty or truncated source (nothing is written).
    """
    started = time.perf_counter()
    if osp.getsize(source) == 0:
        raise UnusableSource('empty: a zero-byte file')
    with atomic_file(output) as temporary:
        encoded = _encode(source, temporary, settings)
        psnr = _verify(temporary, encoded)
    return dict(source=source, output=output, frames=encoded['frames'], fps=float(encoded['rate']),
                fps_fraction=str(encoded['rate']), width=encoded['size'][0], height=encoded['size'][1],
                bytes=os.path.getsize(output), psnr_db=round(psnr, 3), source_frames=encoded['source_frames'],
                source_bytes=osp.getsize(source), seconds=round(time.perf_counter() - started, 3),
                settings=dataclasses.asdict(settings))


def describe_failure(error: Exception) -> str:
    """One line for a video that could not be prepared."""
    return str(error) if isinstance(error, UnusableSource) else f'failed: {decode_failure(error)}'


def source_signature(path: str) -> Optional[dict]:
    """Size and modification time of a source, to tell whether an earlier output still stands for it."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return dict(source_bytes=status.st_size, source_mtime_ns=status.st_mtime_ns)
