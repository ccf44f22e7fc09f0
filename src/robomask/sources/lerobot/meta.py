"""meta/ of a LeRobot dataset: version, fps, cameras, and where each episode's files are."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robomask.errors import SceneError
from robomask.sources.lerobot.tables import read_table

SUPPORTED_VERSIONS = ("v2.0", "v2.1", "v3.0")
INFO_FILE = "meta/info.json"
MASK_SUFFIX = ".robot_mask"  # robomask's mask video feature: {camera}.robot_mask


@dataclass(frozen=True)
class EpisodeFiles:
    """Where one episode of one camera is stored.

    Attributes:
        index: episode_index.
        length: Frames in the episode (meta/).
        video: The mp4 holding the episode.
        from_s: Start of the episode in ``video``, seconds (0 for v2.x).
        to_s: End of the episode in ``video``, seconds (exclusive).
        data: The parquet file holding the episode's rows.
        fps: Frames per second of the dataset.
    """

    index: int
    length: int
    video: Path
    from_s: float
    to_s: float
    data: Path
    fps: float


class LeRobotMeta:
    """The metadata of a LeRobot dataset at ``root``.

    Raises:
        SceneError: No meta/info.json, an unsupported codebase_version, or unreadable meta.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        info_path = self.root / INFO_FILE
        if not info_path.is_file():
            raise SceneError(f"{self.root}: expected a LeRobot dataset with {INFO_FILE}, "
                             "got no such file", hint="check the config key dataset.root")
        try:
            self.info: dict[str, Any] = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SceneError(f"{info_path}: expected JSON, got {exc}") from exc
        self.version = str(self.info.get("codebase_version"))
        if self.version not in SUPPORTED_VERSIONS:
            raise SceneError(f"{info_path}: codebase_version: expected one of "
                             f"{', '.join(SUPPORTED_VERSIONS)}, got {self.version!r}",
                             hint="convert it with lerobot's conversion scripts")
        try:
            self.fps = float(self.info["fps"])
            self.features: dict[str, dict[str, Any]] = self.info["features"]
            self.chunks_size = int(self.info.get("chunks_size", 1000))
            self.data_path = str(self.info["data_path"])
            self.video_path = str(self.info["video_path"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SceneError(f"{info_path}: expected fps, features, data_path and video_path, "
                             f"got an error reading {exc}") from exc
        self._episodes: dict[int, dict[str, Any]] | None = None

    @property
    def is_v3(self) -> bool:
        return self.version.startswith("v3")

    @property
    def video_keys(self) -> list[str]:
        """Feature keys of the dataset's cameras, e.g. ``observation.images.cam_high``."""
        return [k for k, f in self.features.items() if f.get("dtype") == "video"]

    def camera(self, key: str | None) -> str:
        """``key`` checked against the dataset's cameras; None picks the only one (mask
        videos of an earlier ``robomask export --format lerobot`` aside).

        Raises:
            SceneError: ``key`` is not a video feature (the message lists those there).
        """
        keys = self.video_keys
        cameras = [k for k in keys if not k.endswith(MASK_SUFFIX)]
        if key is None and len(cameras) == 1:
            return cameras[0]
        if key not in keys:
            raise SceneError(f"{self.root / INFO_FILE}: dataset.camera: expected one of "
                             f"{', '.join(keys) or '(no video features)'}, "
                             f"got {'nothing' if key is None else repr(key)}")
        return key

    def episodes(self) -> dict[int, dict[str, Any]]:
        """episode_index -> that episode's row of meta/ (length and, for v3, file columns)."""
        if self._episodes is None:
            self._episodes = self._read_v3_episodes() if self.is_v3 else self._read_v2_episodes()
        return self._episodes

    def _read_v2_episodes(self) -> dict[int, dict[str, Any]]:
        path = self.root / "meta/episodes.jsonl"
        out: dict[int, dict[str, Any]] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SceneError(f"{path}: expected the episode list, got {exc}") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out[int(row["episode_index"])] = {"length": int(row["length"])}
            except (ValueError, KeyError, TypeError) as exc:
                raise SceneError(f"{path}: line {n}: expected JSON with episode_index and "
                                 f"length, got {line[:80]!r}") from exc
        return out

    def _read_v3_episodes(self) -> dict[int, dict[str, Any]]:
        files = sorted((self.root / "meta/episodes").glob("*/*.parquet"))
        if not files:
            raise SceneError(f"{self.root / 'meta/episodes'}: expected "
                             "chunk-XXX/file-YYY.parquet episode tables, got none")
        cols = ["episode_index", "length", "data/chunk_index", "data/file_index"]
        for key in self.video_keys:
            cols += [f"videos/{key}/{c}" for c in
                     ("chunk_index", "file_index", "from_timestamp", "to_timestamp")]
        out: dict[int, dict[str, Any]] = {}
        for f in files:
            table = read_table(f, cols)
            for i, ep in enumerate(table["episode_index"]):
                out[int(ep)] = {c: table[c][i] for c in cols}
        return out

    def files(self, episode_index: int, camera: str) -> EpisodeFiles:
        """Where ``episode_index`` of ``camera`` is stored (the files may be missing)."""
        row = self.episodes()[episode_index]
        length = int(row["length"])
        if self.is_v3:
            v = f"videos/{camera}/"
            video = self.video_path.format(video_key=camera, chunk_index=row[v + "chunk_index"],
                                           file_index=row[v + "file_index"])
            data = self.data_path.format(chunk_index=row["data/chunk_index"],
                                         file_index=row["data/file_index"])
            span = (float(row[v + "from_timestamp"]), float(row[v + "to_timestamp"]))
        else:
            chunk = episode_index // self.chunks_size
            video = self.video_path.format(episode_chunk=chunk, video_key=camera,
                                           episode_index=episode_index)
            data = self.data_path.format(episode_chunk=chunk, episode_index=episode_index)
            span = (0.0, math.inf)
        return EpisodeFiles(episode_index, length, self.root / video, span[0], span[1],
                            self.root / data, self.fps)
