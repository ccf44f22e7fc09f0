"""Mask videos for a LeRobot dataset: 0/255 masks encoded so that thresholding the
decoded frames at 127 gives the masks back, each frame at a given time.

H.264 lossless (``qp 0``, yuv420p, High 4:4:4 Predictive profile) keeps every pixel: the
round trip is exact and a mostly flat mask costs well under a kilobyte per frame at
640x480 (docs/datasets.md). ``g 2`` (a keyframe every 2 frames) is LeRobot's own setting
for fast random access in training.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from robomask.errors import ExportError

CODEC = "h264"  # as info.json names it
ENCODER = "libx264"
PIX_FMT = "yuv420p"
OPTIONS = {"qp": "0", "g": "2", "preset": "veryfast"}
TIME_BASE = Fraction(1, 90000)  # 11 us steps: far below LeRobot's 0.1 ms tolerance
THRESHOLD = 127


@dataclass(frozen=True)
class RoundTrip:
    """How a written mask video reads back.

    Attributes:
        frames: Frames decoded.
        min_iou: Lowest IoU of a decoded, thresholded frame against its mask (1.0 when
            both are empty).
        max_time_error_s: Largest gap between a decoded frame's time and its given time.
    """

    frames: int
    min_iou: float
    max_time_error_s: float


def encode_masks(path: Path, masks: Iterable[np.ndarray], times_s: Sequence[float],
                 fps: float, size_wh: tuple[int, int], *, encoder: str = ENCODER,
                 options: dict[str, str] | None = None) -> int:
    """Encode bool (height, width) masks as a grayscale mp4, frame k at ``times_s[k]``.

    Args:
        path: The .mp4 to write (its folder must exist).
        masks: One mask per time, in order.
        times_s: Presentation time of each frame in the file, seconds, increasing.
        fps: Nominal frame rate (container metadata).
        size_wh: (width, height) of the masks in pixels.
        encoder: FFmpeg encoder (benchmarks/lerobot.py compares others).
        options: Encoder options (default :data:`OPTIONS`).

    Returns:
        Bytes written.
    """
    import av

    w, h = size_wh
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream(encoder, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, PIX_FMT
        stream.time_base = TIME_BASE
        stream.options = dict(OPTIONS if options is None else options)
        for n, (mask, t) in enumerate(zip(masks, times_s, strict=True)):
            if mask.shape != (h, w):
                raise ExportError(f"{path}: frame {n}: expected a {w}x{h} mask, got "
                                  f"{mask.shape[1]}x{mask.shape[0]}")
            frame = av.VideoFrame.from_ndarray(mask.astype(np.uint8) * 255, format="gray")
            frame.pts = round(t / TIME_BASE)
            frame.time_base = TIME_BASE
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return Path(path).stat().st_size


def read_back(path: Path, masks: Iterable[np.ndarray], times_s: Sequence[float]) -> RoundTrip:
    """Decode ``path``, threshold at 127 and compare frame by frame with ``masks`` and
    ``times_s`` (what :func:`encode_masks` was given).

    Raises:
        ExportError: The file holds another number of frames.
    """
    import av

    worst_iou, worst_dt, n = 1.0, 0.0, 0
    with av.open(str(path)) as container:
        decoded = container.decode(video=0)
        for mask, t in zip(masks, times_s, strict=False):
            frame = next(decoded, None)
            if frame is None:
                break
            got = frame.to_ndarray(format="gray") > THRESHOLD
            union = np.count_nonzero(got | mask)
            iou = np.count_nonzero(got & mask) / union if union else 1.0
            worst_iou = min(worst_iou, iou)
            worst_dt = max(worst_dt, abs(float(frame.time) - t))
            n += 1
        n += sum(1 for _ in decoded)
    if n != len(times_s):
        raise ExportError(f"{path}: expected {len(times_s)} mask frames read back, got {n}")
    return RoundTrip(n, worst_iou, worst_dt)
