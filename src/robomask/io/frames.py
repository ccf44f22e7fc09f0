"""Frame sources: a folder of images or an .mp4, read one frame at a time.

Frames are RGB ``uint8`` arrays of shape (height, width, 3). Nothing here keeps more
than one decoded frame in memory.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
from PIL import Image

from robomask.errors import FrameError, SceneError, excerpt
from robomask.io.image_files import end_problem, png_checksum_problem
from robomask.io.video_decode import Damage, decode_reporting_damage

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4",)
MIN_FRAME_WH = (16, 16)  # smaller frames break optical flow and GrabCut (opencv backend)
MAX_FRAME_SIDE = 16384


def check_frame_size(size_wh: tuple[int, int], where: str) -> tuple[int, int]:
    """``size_wh`` when robomask can work on frames of that size, else a FrameError."""
    w, h = size_wh
    if w < MIN_FRAME_WH[0] or h < MIN_FRAME_WH[1] or max(w, h) > MAX_FRAME_SIDE:
        raise FrameError(f"{where}: expected frames of {MIN_FRAME_WH[0]}x{MIN_FRAME_WH[1]} to "
                         f"{MAX_FRAME_SIDE}x{MAX_FRAME_SIDE} pixels, got {w}x{h}")
    return size_wh


@runtime_checkable
class FrameSource(Protocol):
    """A video: ``len()`` frames of one size, random access and streaming."""

    path: Path
    stems: list[str]
    size_wh: tuple[int, int]

    def __len__(self) -> int: ...

    def __getitem__(self, frame_index: int) -> np.ndarray: ...

    def __iter__(self) -> Iterator[np.ndarray]: ...

    def describe(self, frame_index: int) -> str: ...


_INTEGER = re.compile(r"-?[0-9]{1,30}")  # ASCII digits: isdigit() also takes "²"


def integer_stems(stems: Sequence[str]) -> list[int] | None:
    """The stems as integers when every one is a plain decimal number (timestamps,
    ``00042``, ``-3``), else None (``--5``, ``²``, ``frame_1``)."""
    if not all(_INTEGER.fullmatch(s) for s in stems):
        return None
    return [int(s) for s in stems]


def sort_frame_names(names: list[str]) -> list[str]:
    """Integer-stem order when every stem is an integer (timestamps), else name order."""
    values = integer_stems([Path(n).stem for n in names])
    if names and values is not None:
        return [n for _, n in sorted(zip(values, names, strict=True))]
    return sorted(names)


class FolderFrames:
    """Frames stored as .png/.jpg/.jpeg files in one folder; other files are ignored.

    Args:
        path: The folder (e.g. ``.../cam_105422061350/color``).

    Raises:
        SceneError: The folder is missing or holds no frame.
        FrameError: The first frame cannot be read.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise SceneError(f"{self.path}: expected a folder of frames, got nothing there")
        names = [p.name for p in self.path.iterdir()
                 if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")]
        if not names:
            raise SceneError(
                f"{self.path}: expected frames (*.png, *.jpg, *.jpeg), got none"
            )
        self._files = [self.path / n for n in sort_frame_names(names)]
        self.stems = [f.stem for f in self._files]
        self.size_wh = check_frame_size(self._header_size(0), self.describe(0))

    def __len__(self) -> int:
        return len(self._files)

    def describe(self, frame_index: int) -> str:
        return f"{self._files[frame_index]} (frame {frame_index})"

    def file(self, frame_index: int) -> Path:
        """Path of the image of ``frame_index``."""
        return self._files[self._check_index(frame_index)]

    def _check_index(self, frame_index: int) -> int:
        if not 0 <= frame_index < len(self._files):
            raise IndexError(
                f"{self.path}: expected frame_index in [0, {len(self._files) - 1}], "
                f"got {frame_index}"
            )
        return frame_index

    def _header_size(self, frame_index: int) -> tuple[int, int]:
        f = self._files[frame_index]
        try:
            with Image.open(f) as im:
                return im.size
        except Exception as exc:
            raise FrameError(
                f"{self.describe(frame_index)}: expected a readable image, got "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def check_sizes(self, *, checksums: bool = False) -> None:
        """Read every frame's header and last bytes; raise on the first unreadable,
        truncated or odd-sized frame. ``checksums`` also reads every PNG whole and checks
        its chunk checksums (corrupted data); JPEG data is only checked by decoding."""
        for i in range(len(self._files)):
            wh = self._header_size(i)
            if wh != self.size_wh:
                raise FrameError(
                    f"{self.describe(i)}: expected {self.size_wh[0]}x{self.size_wh[1]} "
                    f"like frame 0, got {wh[0]}x{wh[1]}"
                )
            problem = end_problem(self._files[i]) or (
                png_checksum_problem(self._files[i]) if checksums else None)
            if problem:
                raise FrameError(f"{self.describe(i)}: {problem}", hint="copy the frame again, "
                                 "or run 'robomask check --decode' to decode every frame")

    def __getitem__(self, frame_index: int) -> np.ndarray:
        f = self._files[self._check_index(frame_index)]
        bgr = cv2.imread(str(f), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FrameError(
                f"{self.describe(frame_index)}: expected a readable image, got a corrupt "
                "or unreadable file"
            )
        h, w = bgr.shape[:2]
        if (w, h) != self.size_wh:
            raise FrameError(
                f"{self.describe(frame_index)}: expected {self.size_wh[0]}x{self.size_wh[1]} "
                f"like frame 0, got {w}x{h}"
            )
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]


class VideoFileFrames:
    """Frames of an .mp4 file, decoded with PyAV; stems are 5-digit frame indices.

    Reading forward decodes each frame once. Any other access seeks to the keyframe at
    or before the wanted frame and decodes forward from there, keeping the last frames
    decoded in a small cache (about 64 MB), so that a backward pass costs one keyframe
    interval per cache-full of frames instead of a decode from the start per frame.
    """

    CACHE_BYTES = 64 * 2**20
    covers_file = True  # every frame of ``path`` (a subclass may read a part of the file)

    def __init__(self, path: Path) -> None:
        import av  # PyAV is a base dependency; imported here to keep start-up light

        self.path = Path(path)
        if not self.path.is_file():
            raise SceneError(f"{self.path}: expected a video file, got nothing there")
        self._av = av
        try:
            with av.open(str(self.path)) as container:
                if not container.streams.video:
                    kinds = sorted({s.type for s in container.streams}) or ["no streams"]
                    raise SceneError(f"{self.path}: expected a video stream, got "
                                     f"{', '.join(kinds)} only")
                stream = container.streams.video[0]
                packets = self._scan_packets(container, stream)
                self.size_wh = (stream.codec_context.width, stream.codec_context.height)
        except av.error.FFmpegError as exc:
            raise FrameError(f"{self.path}: expected a readable video, got {exc}") from exc
        if not packets:
            raise SceneError(f"{self.path}: expected video frames, got none")
        check_frame_size(self.size_wh, str(self.path))
        if av.logging.get_level() is None:  # decoder errors must reach the capture
            av.logging.set_level(av.logging.ERROR)
        self._n = len(packets)
        self.stems = [f"{i:05d}" for i in range(self._n)]
        seekable = all(pts is not None for pts, _ in packets)
        self._pts = sorted(pts for pts, _ in packets) if seekable else None
        self._index_of = {pts: i for i, pts in enumerate(self._pts or [])}
        self._keyframes = sorted(self._index_of[pts] for pts, key in packets if key) \
            if seekable else [0]
        w, h = self.size_wh
        self._cache_size = max(4, self.CACHE_BYTES // max(w * h * 3, 1))
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._container = None
        self._decoder: Iterator | None = None
        self._damaged: dict[int, str] = {}  # frame index -> what the decoder reported
        self._next_index = 0

    def _scan_packets(self, container, stream) -> list[tuple[int | None, bool]]:
        """(pts, is_keyframe) of the video's frames, in decode order; a subclass may keep
        a part of the file (see :class:`robomask.sources.lerobot.frames.EpisodeFrames`)."""
        return [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.size]

    def __len__(self) -> int:
        return self._n

    def describe(self, frame_index: int) -> str:
        return f"{self.path} (frame {frame_index})"

    def _keyframe_before(self, frame_index: int) -> int:
        """The last keyframe at or before ``frame_index`` (0 when there is none)."""
        pos = bisect.bisect_right(self._keyframes, frame_index) - 1
        return self._keyframes[pos] if pos >= 0 else 0

    def _seek(self, frame_index: int) -> None:
        """Position the decoder at the keyframe at or before ``frame_index``."""
        self.close()
        self._container = self._av.open(str(self.path))
        stream = self._container.streams.video[0]
        key = self._keyframe_before(frame_index)
        if self._pts is not None and (key > 0 or self._pts[0] > 0):
            # Backward: the keyframe at or before; frames before pts[0] are skipped below.
            self._container.seek(self._pts[key], stream=stream, backward=True, any_frame=False)
        else:
            key = 0
        self._decoder = decode_reporting_damage(self._av, self._container, stream)
        self._next_index = key

    def _remember(self, frame_index: int, rgb: np.ndarray) -> None:
        self._cache[frame_index] = rgb
        self._cache.move_to_end(frame_index)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def __getitem__(self, frame_index: int) -> np.ndarray:
        if not 0 <= frame_index < self._n:
            raise IndexError(
                f"{self.path}: expected frame_index in [0, {self._n - 1}], got {frame_index}"
            )
        if frame_index in self._damaged:
            raise self._damage_error(frame_index, "")
        if frame_index in self._cache:
            self._cache.move_to_end(frame_index)
            return self._cache[frame_index]
        if (self._decoder is None or frame_index < self._next_index
                or self._keyframe_before(frame_index) > self._next_index):
            self._seek(frame_index)  # backwards, or a keyframe closer than decoding on
        while True:
            item = next(self._decoder, None)  # type: ignore[arg-type]
            if isinstance(item, Damage):
                i = self._frame_of(item.pts)
                if i is not None:
                    self._damaged[i] = item.message
                continue
            if item is None:
                raise self._damage_error(frame_index, "the end of the video stream (the file "
                                         "is cut short or corrupt)")
            i = self._frame_of(item.pts)
            if i is None:  # a frame outside this source's part of the file
                continue
            self._next_index = i + 1
            if i > frame_index:
                raise self._damage_error(frame_index, f"none (the decoder went on to frame {i})")
            if i == frame_index and i in self._damaged:
                raise self._damage_error(i, "")
            rgb = item.to_ndarray(format="rgb24")
            self._remember(i, rgb)
            if i == frame_index:
                return rgb

    def _frame_of(self, pts: int | None) -> int | None:
        """Index of the decoded frame with ``pts``; None for a frame outside the part of
        the file this source reads (before or after an episode)."""
        if self._pts is None or pts is None:
            return self._next_index
        return self._index_of.get(pts)

    def _damage_error(self, frame_index: int, got: str) -> FrameError:
        """The error for a frame that failed to decode, with what the decoder reported."""
        damage = self._damaged.get(frame_index)
        got = f"decoder errors ({excerpt(damage, 120)})" if damage else got
        return FrameError(f"{self.describe(frame_index)}: expected a cleanly decoded frame, "
                          f"got {got}", hint="re-encode the video, or list every such frame "
                                             "with 'robomask check --decode'")

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self._n):
            yield self[i]

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._decoder = None


def open_frames(path: Path) -> FrameSource:
    """Open a folder of images or an .mp4 file as a :class:`FrameSource`."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFileFrames(path)
    return FolderFrames(path)


def encode_image(rgb: np.ndarray, suffix: str = ".png", params: tuple[int, ...] = ()) -> bytes:
    """Encode an RGB uint8 (height, width, 3) frame as ``suffix`` (".png", ".jpg")."""
    ok, buf = cv2.imencode(suffix, np.ascontiguousarray(rgb[..., ::-1]), list(params))
    if not ok:  # pragma: no cover - cv2 only fails on invalid arrays
        raise FrameError(f"expected an encodable {suffix} frame, got shape {rgb.shape}")
    return buf.tobytes()
