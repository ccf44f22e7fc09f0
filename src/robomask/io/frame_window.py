"""A run of consecutive frames of a video, seen as a video of its own (a long video's
window), and a way to put any frame source into a folder for models that read folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from robomask.io.atomic import write_bytes
from robomask.io.frames import FolderFrames, FrameSource, encode_image


class FrameWindow:
    """Frames ``start .. stop - 1`` of ``source``, indexed from 0.

    Args:
        source: The whole video.
        start: First frame of the window in ``source``.
        stop: One past the last frame of the window in ``source``.

    Raises:
        ValueError: The range is empty or outside the video.
    """

    def __init__(self, source: FrameSource, start: int, stop: int) -> None:
        if not 0 <= start < stop <= len(source):
            raise ValueError(f"frame window: expected 0 <= start < stop <= {len(source)}, "
                             f"got {start}..{stop}")
        self.source, self.start, self.stop = source, start, stop
        self.path = source.path
        self.stems = source.stems[start:stop]
        self.size_wh = source.size_wh

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, frame_index: int) -> np.ndarray:
        return self.source[self._index(frame_index)]

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def describe(self, frame_index: int) -> str:
        return self.source.describe(self._index(frame_index))

    def _index(self, frame_index: int) -> int:
        if not 0 <= frame_index < len(self):
            raise IndexError(f"{self.path}: expected a window frame_index in "
                             f"[0, {len(self) - 1}], got {frame_index}")
        return self.start + frame_index


def frames_to_folder(frames: FrameSource, folder: Path) -> Path:
    """Put ``frames`` into ``folder`` as ``00000.png``, ``00001.png``, ... (frame order).

    Frames of an image folder are linked (no copy); frames of a video file are decoded and
    written as PNG. The names sort by integer value, as model loaders sort them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    offset = frames.start if isinstance(frames, FrameWindow) else 0
    files = FolderFrames(frames.path) if Path(frames.path).is_dir() else None
    for i in range(len(frames)):
        if files is not None:
            file = files.file(offset + i)
            os.symlink(file.resolve(), folder / f"{i:05d}{file.suffix.lower()}")
        else:
            write_bytes(folder / f"{i:05d}.png", encode_image(frames[i], ".png"))
    return folder
