"""Frame sources: a folder of images or an .mp4, read one frame at a time.

Frames are RGB ``uint8`` arrays of shape (height, width, 3). Nothing here keeps more
than one decoded frame in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
from PIL import Image

from robomask.errors import FrameError, SceneError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
VIDEO_SUFFIXES = (".mp4",)


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


def sort_frame_names(names: list[str]) -> list[str]:
    """Integer-stem order when every stem is an integer (timestamps), else name order."""
    stems = [Path(n).stem for n in names]
    if names and all(s.lstrip("-").isdigit() for s in stems):
        return [n for _, n in sorted(zip((int(s) for s in stems), names, strict=True))]
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

    def check_sizes(self) -> None:
        """Read every frame's header; raise on the first unreadable or odd-sized frame."""
        for i in range(len(self._files)):
            wh = self._header_size(i)
            if wh != self.size_wh:
                raise FrameError(
                    f"{self.describe(i)}: expected {self.size_wh[0]}x{self.size_wh[1]} "
                    f"like frame 0, got {wh[0]}x{wh[1]}"
                )

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
    """Frames of an .mp4 file, decoded with PyAV; stems are 5-digit frame indices."""

    def __init__(self, path: Path) -> None:
        import av  # PyAV is a base dependency; imported here to keep start-up light

        self.path = Path(path)
        if not self.path.is_file():
            raise SceneError(f"{self.path}: expected a video file, got nothing there")
        self._av = av
        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                n = sum(1 for _ in container.demux(stream) if _.size)
                self.size_wh = (stream.codec_context.width, stream.codec_context.height)
        except (av.error.FFmpegError, IndexError) as exc:
            raise FrameError(f"{self.path}: expected a readable video, got {exc}") from exc
        if n == 0:
            raise SceneError(f"{self.path}: expected video frames, got none")
        self._n = n
        self.stems = [f"{i:05d}" for i in range(n)]
        self._container = None
        self._decoder: Iterator | None = None
        self._next_index = 0

    def __len__(self) -> int:
        return self._n

    def describe(self, frame_index: int) -> str:
        return f"{self.path} (frame {frame_index})"

    def _restart(self) -> None:
        self.close()
        self._container = self._av.open(str(self.path))
        self._decoder = self._container.decode(video=0)
        self._next_index = 0

    def __getitem__(self, frame_index: int) -> np.ndarray:
        if not 0 <= frame_index < self._n:
            raise IndexError(
                f"{self.path}: expected frame_index in [0, {self._n - 1}], got {frame_index}"
            )
        if self._decoder is None or frame_index < self._next_index:
            self._restart()
        try:
            while True:
                frame = next(self._decoder)
                i = self._next_index
                self._next_index += 1
                if i == frame_index:
                    return frame.to_ndarray(format="rgb24")
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
