"""Frames a decoder decodes to read sampled frames of a video: what a clip costs before any time is measured.

A video's frames can only be decoded from a keyframe on. The readers of the pipelines (TorchCodec's
``get_frames_at``, decord's ``get_batch``) read frames in increasing order and, for each one, go on
decoding from where they are when no keyframe lies between, else seek to the keyframe at or before it.
:func:`frames_decoded` counts the frames that strategy decodes, from the keyframe positions that
:func:`keyframe_layout` reads from the container (its packets' flags; nothing is decoded). On a
prepared video with every frame a keyframe, a clip of 8 frames decodes 8; with x264's default GOP of
250 frames it decodes most of the span up to its last frame.
"""
from typing import List, Sequence, Tuple


def keyframe_layout(path: str) -> Tuple[int, List[int]]:
    """``(frames, keyframe indices)`` of the first video stream of ``path`` (indices in presentation order)."""
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        stamps = sorted((packet.pts, packet.is_keyframe) for packet in container.demux(stream)
                        if packet.size and packet.pts is not None)
    return len(stamps), [index for index, (_, keyframe) in enumerate(stamps) if keyframe]


def frames_decoded(keyframes: Sequence[int], indices: Sequence[int]) -> int:
    """Frames decoded to read the frames at ``indices`` (any order, repeats read once), by the strategy
    of the module docstring, from a video whose keyframes are at ``keyframes`` (sorted)."""
    decoded, position = 0, None   # position: the last frame decoded
    for index in sorted(set(int(i) for i in indices)):
        start = max((k for k in keyframes if k <= index), default=0)
        if position is not None and start <= position < index:
            decoded += index - position   # no keyframe after the current position: decode on
        else:
            decoded += index - start + 1  # seek to the keyframe, decode through the frame
        position = index
    return decoded
