"""Frames of one LeRobot episode: a time span of an mp4, decoded with PyAV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from robomask.errors import SceneError
from robomask.io.frames import VideoFileFrames
from robomask.sources.lerobot.meta import EpisodeFiles
from robomask.sources.lerobot.tables import read_table


class EpisodeFrames(VideoFileFrames):
    """The ``len(frame_indices)`` frames of ``video`` from ``from_s`` on, one at a time.

    Seeks to the episode's start (v3 files hold several episodes), keeps the seeking and
    frame cache of :class:`~robomask.io.frames.VideoFileFrames`, and never holds the
    video in memory.

    Attributes:
        stems: frame_index of each frame, 6 digits (``000000``), as in the parquet.
        timestamps: The parquet's ``timestamp`` of each frame, seconds from the episode's
            start.
        episode_index: The episode.
        covers_file: True when the episode is the whole video file (v2.1); a model that
            reads the file itself needs the frames elsewhere when False (v3.0).

    Raises:
        SceneError: The video has fewer frames in the span than the episode.
    """

    def __init__(self, files: EpisodeFiles, frame_indices: list[int],
                 timestamps: list[float]) -> None:
        self._episode = files
        self.episode_index = files.index
        super().__init__(files.video)
        self.stems = [f"{i:06d}" for i in frame_indices]
        self.timestamps = list(timestamps)

    def _scan_packets(self, container, stream) -> list[tuple[int | None, bool]]:
        f = self._episode
        tb = stream.time_base
        half = 0.5 / f.fps  # a frame belongs to the span when its time rounds into it
        if f.from_s > 0:
            container.seek(int(round(f.from_s / tb)), stream=stream, backward=True,
                           any_frame=False)
        kept, others = [], 0
        for p in container.demux(stream):
            if not p.size or p.pts is None:
                continue
            t = float(p.pts * tb)
            if p.dts is not None and float(p.dts * tb) >= f.to_s + 1.0:
                others += 1
                break  # decode order runs at most a little ahead of presentation order
            if f.from_s - half <= t < f.to_s - half:
                kept.append((p.pts, p.is_keyframe))
            else:
                others += 1
        kept.sort(key=lambda pk: pk[0])
        if len(kept) < f.length:
            end = "its end" if f.to_s == float("inf") else f"{f.to_s:.3f} s"
            raise SceneError(
                f"{f.video}: episode {f.index}: expected {f.length} frames from "
                f"{f.from_s:.3f} s to {end}, got {len(kept)} (video shorter than the episode)")
        self.covers_file = not others and f.from_s <= half and len(kept) == f.length
        return kept[:f.length]

    def describe(self, frame_index: int) -> str:
        return f"{self.path} (episode {self.episode_index}, frame {frame_index})"


@dataclass(frozen=True)
class EpisodeOpener:
    """A LeRobot episode of a :class:`~robomask.sources.base.Scene` (picklable)."""

    files: EpisodeFiles

    @property
    def index(self) -> int:
        return self.files.index

    @property
    def data_path(self) -> Path:
        return self.files.data

    def open(self) -> EpisodeFrames:
        """Read the episode's frame_index and timestamp rows, then open its video.

        Raises:
            SceneError: A file is missing, the rows do not match meta/'s length, or the
                video is shorter than the episode.
        """
        f = self.files
        rows = read_table(f.data, ["frame_index", "timestamp"], episode_index=f.index)
        order = sorted(range(len(rows["frame_index"])), key=rows["frame_index"].__getitem__)
        if len(order) != f.length:
            raise SceneError(f"{f.data}: episode {f.index}: expected {f.length} rows "
                             f"(meta/ length), got {len(order)}")
        return EpisodeFrames(f, [int(rows["frame_index"][i]) for i in order],
                             [float(rows["timestamp"][i]) for i in order])
