"""An overlay mp4 of a whole scene (arm and gripper filled, export outlined, frame numbers
burnt in), encoded frame by frame with PyAV so memory does not grow with length."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robomask.config import Config
from robomask.io.atomic import writing
from robomask.io.frames import integer_stems
from robomask.progress import ProgressCallback, Ticker
from robomask.report.outputs import SceneOutputs
from robomask.report.overlay import draw_label, fit_size, render_frame
from robomask.scenes import Scene

if TYPE_CHECKING:
    import av

DEFAULT_FPS = 30.0


def estimate_fps(stems: list[str], default: float = DEFAULT_FPS) -> float:
    """Frames per second from integer millisecond timestamp stems (median step), or
    ``default`` when the stems are not timestamps or the step is implausible."""
    values = integer_stems(stems)
    if len(stems) < 2 or values is None:
        return default
    step_ms = float(np.median(np.diff(values)))
    fps = 1000.0 / step_ms if step_ms > 0 else 0.0
    return round(fps, 2) if 1.0 <= fps <= 240.0 else default


def _open_stream(container: av.container.OutputContainer, fps: float, size_wh: tuple[int, int]):
    """An H.264 stream (libx264) when PyAV has it, else MPEG-4 part 2; yuv420p."""
    import av

    rate = Fraction(fps).limit_denominator(1001)
    if "libx264" in av.codecs_available:
        stream = container.add_stream("libx264", rate=rate,
                                      options={"crf": "23", "preset": "veryfast"})
    else:
        stream = container.add_stream("mpeg4", rate=rate)
        stream.bit_rate = 4_000_000
    stream.width, stream.height = size_wh
    stream.pix_fmt = "yuv420p"
    return stream


def write_overlay_video(scene: Scene, config: Config, out: str | Path, *,
                        fps: float | None = None, width: int | None = None,
                        on_progress: ProgressCallback | None = None) -> Path:
    """Write ``scene``'s overlay video to ``out`` (.mp4), atomically.

    Args:
        scene: The scene.
        config: The config.
        out: The .mp4 path.
        fps: Frames per second; default: from timestamp stems, else 30.
        width: Scale frames down to this width in pixels (default: full size).
        on_progress: Receives a :class:`~robomask.progress.Progress` per frame.

    Returns:
        ``out`` as a Path. Width and height are cut to even numbers (yuv420p needs them).
    """
    import av  # PyAV (a base dependency) takes ~0.1 s to import: only when writing a video

    out = Path(out)
    outputs = SceneOutputs(scene, config)
    fw, fh = fit_size(outputs.size_wh, width)
    w, h = fw - fw % 2, fh - fh % 2
    n = len(outputs)
    rate = fps or estimate_fps(outputs.frames.stems)
    thickness = max(2, h // 360)
    out.parent.mkdir(parents=True, exist_ok=True)
    ticker = Ticker(f"{scene.name}/video", n, on_progress)
    with writing(out) as tmp, av.open(str(tmp), mode="w", format="mp4") as container:
        stream = _open_stream(container, rate, (w, h))
        for i in range(n):
            rgb = render_frame(outputs, i, width=width, thickness=thickness)[:h, :w]
            draw_label(rgb, f"frame {i} / {n - 1}", origin_xy=(8, 8))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
            ticker.advance()
        for packet in stream.encode(None):
            container.mux(packet)
    return out
