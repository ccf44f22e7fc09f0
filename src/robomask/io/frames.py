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

from robomask.errors import FrameError, SceneError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4",)
# End markers: PNG's IEND chunk (type and its fixed CRC), JPEG's EOI.
_END_MARKERS = {".png": b"IEND\xaeB`\x82", ".jpg": b"\xff\xd9", ".jpeg": b"\xff\xd9"}


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
        self.size_wh = self._header_size(0)

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

    def _check_complete(self, frame_index: int) -> None:
        """Raise when the file lacks its end marker in its last KiB, as a copy or a write
        cut short leaves it. Reads ~1 KiB, where decoding (or PIL's verify()) reads all."""
        f = self._files[frame_index]
        with open(f, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(size - 1024, 0))
            tail = fh.read()
        if _END_MARKERS[f.suffix.lower()] not in tail:
            raise FrameError(
                f"{self.describe(frame_index)}: expected a complete image ending in its end "
                f"marker, got a truncated file ({size} bytes)",
                hint="copy the frame again, or run 'robomask check --decode' to decode all")

    def check_sizes(self) -> None:
        """Read every frame's header and last bytes; raise on the first unreadable,
        truncated or odd-sized frame."""
        for i in range(len(self._files)):
            wh = self._header_size(i)
            if wh != self.size_wh:
                raise FrameError(
                    f"{self.describe(i)}: expected {self.size_wh[0]}x{self.size_wh[1]} "
                    f"like frame 0, got {wh[0]}x{wh[1]}"
                )
            self._check_complete(i)

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

    def __init__(self, path: Path) -> None:
        import av  # PyAV is a base dependency; imported here to keep start-up light

        self.path = Path(path)
        if not self.path.is_file():
            raise SceneError(f"{self.path}: expected a video file, got nothing there")
        self._av = av
        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.size]
                self.size_wh = (stream.codec_context.width, stream.codec_context.height)
        except (av.error.FFmpegError, IndexError) as exc:
            raise FrameError(f"{self.path}: expected a readable video, got {exc}") from exc
        if not packets:
            raise SceneError(f"{self.path}: expected video frames, got none")
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
        self._next_index = 0

    def __len__(self) -> int:
        return self._n

    def describe(self, frame_index: int) -> str:
        return f"{self.path} (frame {frame_index})"

    def _seek(self, frame_index: int) -> None:
        """Position the decoder at the keyframe at or before ``frame_index``."""
        self.close()
        self._container = self._av.open(str(self.path))
        stream = self._container.streams.video[0]
        key = self._keyframes[max(bisect.bisect_right(self._keyframes, frame_index) - 1, 0)]
        if key > 0 and self._pts is not None:
            self._container.seek(self._pts[key], stream=stream, backward=True, any_frame=False)
        else:
            key = 0
        self._decoder = self._container.decode(stream)
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
        if frame_index in self._cache:
            self._cache.move_to_end(frame_index)
            return self._cache[frame_index]
        if self._decoder is None or not self._next_index <= frame_index:
            self._seek(frame_index)
        try:
            while True:
                frame = next(self._decoder)
                i = self._index_of.get(frame.pts, self._next_index)
                self._next_index = i + 1
                if i > frame_index:
                    raise StopIteration(f"decoder passed frame {frame_index}")
                rgb = frame.to_ndarray(format="rgb24")
                self._remember(i, rgb)
                if i == frame_index:
                    return rgb
        except (StopIteration, self._av.error.FFmpegError) as exc:
            raise FrameError(
                f"{self.describe(frame_index)}: expected a decodable frame, got {exc!r}"
            ) from exc

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
