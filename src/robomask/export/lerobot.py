"""``robomask export --format lerobot``: the masks as a video feature of the LeRobot
dataset they came from.

A copy of the dataset (or the dataset itself with ``in_place``) gains the feature
``{camera}.robot_mask``: one grayscale mask video per episode in the dataset's own layout
and chunking (v2.1: ``videos/chunk-XXX/{feature}/episode_XXXXXX.mp4``; v3.0:
``videos/{feature}/chunk-XXX/file-YYY.mp4`` holding the same episodes at the same
``from_timestamp`` / ``to_timestamp`` as the camera's file), meta/info.json's features
and, for v3.0, the ``videos/{feature}/...`` columns of meta/episodes. Each mask frame
sits at its source frame's timestamp, so LeRobotDataset returns it beside the frame.
Every video is read back after writing: the result carries the round-trip IoU (masks
thresholded at 127) and the largest timestamp error.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robomask.config import Config
from robomask.errors import ExportError
from robomask.export.base import Exporter, SceneExport, commit_staged, staging_path
from robomask.export.lerobot_video import (
    CODEC,
    PIX_FMT,
    RoundTrip,
    encode_masks,
    read_back,
)
from robomask.export.masks import finished_store
from robomask.io.atomic import refuse_overwrite, write_json, writing
from robomask.io.maskstore import MaskStore
from robomask.progress import ProgressCallback, Ticker
from robomask.scenes import Scene, SceneFailure
from robomask.sources.lerobot.frames import EpisodeFrames
from robomask.sources.lerobot.meta import INFO_FILE, MASK_SUFFIX, LeRobotMeta
from robomask.sources.lerobot.source import LeRobotSource, scene_name
from robomask.sources.lerobot.tables import read_table


@dataclass(frozen=True)
class MaskVideo:
    """One written mask video.

    Attributes:
        path: The .mp4, relative to the dataset root.
        episodes: Episodes it holds (one for v2.1).
        bytes: File size.
        check: How it reads back.
    """

    path: Path
    episodes: tuple[int, ...]
    bytes: int
    check: RoundTrip


@dataclass(frozen=True)
class LeRobotExport:
    """What an export wrote: the dataset, the feature and every mask video."""

    dataset: Path
    feature: str
    videos: tuple[MaskVideo, ...]
    seconds: float

    @property
    def frames(self) -> int:
        return sum(v.check.frames for v in self.videos)

    @property
    def bytes_per_frame(self) -> float:
        return sum(v.bytes for v in self.videos) / max(self.frames, 1)

    @property
    def min_iou(self) -> float:
        return min((v.check.min_iou for v in self.videos), default=1.0)

    @property
    def max_time_error_s(self) -> float:
        return max((v.check.max_time_error_s for v in self.videos), default=0.0)


class LeRobotExporter(Exporter):
    """``--format lerobot``: the whole dataset at once (a v3.0 video holds several
    episodes), so :meth:`run` replaces the per-scene loop of :class:`Exporter`.

    Params:
        in_place: Write into the dataset itself instead of a copy at ``out_dir``.
    """

    name = "lerobot"
    stages = ("export", "arm", "gripper")
    params = ("in_place",)
    result: LeRobotExport | None = None

    def targets(self, scene: Scene) -> list[Path]:
        return [self.options.out_dir]

    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        raise ExportError("--format lerobot: expected the whole dataset exported at once "
                          "(LeRobotExporter.run), got one scene")

    def run(self, scenes: Sequence[Scene], on_progress: ProgressCallback | None = None
            ) -> tuple[list[SceneExport], list[SceneFailure]]:
        """Export every episode of ``scenes`` (one dataset, written whole or not at all);
        one :class:`SceneExport` per mask video, no failures."""
        self.result = export_lerobot(
            self.config, scenes, self.options.out_dir,
            in_place=bool(self.options.params.get("in_place")), stage=self.stage,
            force=self.options.force, on_progress=on_progress)
        r = self.result
        share = r.seconds / max(r.frames, 1)
        return [SceneExport(", ".join(scene_name(e) for e in v.episodes), (r.dataset / v.path,),
                            v.check.frames, v.check.frames * share) for v in r.videos], []

    def next_steps(self, results: Sequence[SceneExport]) -> list[str]:
        r = self.result
        if r is None:
            return []
        return [f"dataset: {r.dataset} with video feature '{r.feature}': {r.frames} mask "
                f"frames, {r.bytes_per_frame:.0f} bytes/frame, round-trip IoU >= "
                f"{r.min_iou:.4f} (threshold 127), timestamps within "
                f"{r.max_time_error_s * 1e6:.0f} us",
                f"load it: LeRobotDataset(repo_id, root='{r.dataset}') -> "
                f"item['{r.feature}']"]


def export_lerobot(config: Config, scenes: Sequence[Scene], out_dir: Path | None, *,
                   in_place: bool = False, stage: str = "export", force: bool = False,
                   on_progress: ProgressCallback | None = None) -> LeRobotExport:
    """Add the masks of ``scenes`` (episodes) to a copy of their LeRobot dataset.

    Args:
        config: A config with ``dataset.format: lerobot``.
        scenes: The episodes to export; each needs complete masks of ``stage``.
        out_dir: Where the copy goes (ignored with ``in_place``).
        in_place: Write into the dataset itself instead of a copy.
        stage: Masks to encode: ``export``, ``arm`` or ``gripper``.
        force: Replace an existing copy, or an existing mask feature.
        on_progress: Frames encoded so far.

    Raises:
        ExportError: Not a LeRobot config, no scenes, incomplete masks, a v3.0 file with
            an episode not exported, or an existing target without ``force``.
    """
    t0 = time.perf_counter()
    if config.dataset.format != "lerobot":
        raise ExportError(f"--format lerobot: expected a config with dataset.format lerobot, "
                          f"got {config.dataset.format!r}")
    if not scenes:
        raise ExportError("--format lerobot: expected at least one episode, got none")
    source = LeRobotSource(config)
    meta, feature = source.meta, f"{source.camera}{MASK_SUFFIX}"
    if in_place:
        target = work = meta.root
    elif out_dir is None:
        raise ExportError("--out: expected the folder of the dataset copy, got none")
    else:
        target = Path(out_dir)
        refuse_overwrite(target, force=force, got="an existing dataset copy",
                         instead="--out elsewhere")
        if target.resolve().is_relative_to(meta.root.resolve()):
            raise ExportError(f"--out {target}: expected a folder outside the dataset "
                              f"{meta.root}, got one inside it")
        work = staging_path(target)
    if feature in meta.features and not force:
        raise ExportError(f"{meta.root / INFO_FILE}: expected no feature '{feature}', got "
                          "one from an earlier export", hint="pass --force to replace it")
    opened = {_episode_index(s): _open(s, stage) for s in scenes}  # before any copying
    groups = _groups(meta, source.camera, opened)
    if work is not meta.root:
        _copy_tree(meta.root, work, on_progress)
    try:
        videos = _write_videos(meta, source.camera, groups, opened, work, on_progress)
        _update_meta(meta, work, feature, videos, opened[videos[0].episodes[0]][0].size_wh)
    except BaseException:
        if work is not meta.root:
            shutil.rmtree(work, ignore_errors=True)
        raise
    if work is not meta.root:
        commit_staged(work, target)
    return LeRobotExport(target, feature, tuple(videos), time.perf_counter() - t0)


def _copy_tree(root: Path, work: Path, on_progress: ProgressCallback | None) -> None:
    """Copy the dataset folder ``root`` to ``work``; progress in MB (a dataset can hold
    gigabytes of video)."""
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    ticker = Ticker("lerobot/copy dataset", round(total / 1e6), on_progress, unit="MB")
    copied = 0

    def copy(src: str, dst: str) -> None:
        nonlocal copied
        shutil.copy2(src, dst)
        copied += os.path.getsize(src)
        ticker.advance(round(copied / 1e6) - ticker.done)

    shutil.copytree(root, work, copy_function=copy)


def _episode_index(scene: Scene) -> int:
    if scene.episode is None:
        raise ExportError(f"scene '{scene.name}': expected a LeRobot episode, got a folder "
                          "scene")
    return scene.episode.index


def _open(scene: Scene, stage: str) -> tuple[EpisodeFrames, MaskStore]:
    """The episode's frames and its finished mask store of ``stage``."""
    frames = scene.frames()
    assert isinstance(frames, EpisodeFrames)  # a LeRobot scene (checked by _episode_index)
    return frames, finished_store(scene, frames, stage)


def _groups(meta: LeRobotMeta, camera: str, episodes: Mapping[int, object]
            ) -> list[tuple[Path, list[int]]]:
    """(mask video path relative to the root, its episodes in file order) per video."""
    feature = f"{camera}{MASK_SUFFIX}"
    if not meta.is_v3:
        return [(Path(meta.video_path.format(episode_chunk=e // meta.chunks_size,
                                             video_key=feature, episode_index=e)), [e])
                for e in sorted(episodes)]
    col = f"videos/{camera}/"
    files: dict[tuple[int, int], list[int]] = {}
    for e, row in meta.episodes().items():
        files.setdefault((row[col + "chunk_index"], row[col + "file_index"]), []).append(e)
    out = []
    for (chunk, file), members in sorted(files.items()):
        if not any(e in episodes for e in members):
            continue
        absent = [e for e in members if e not in episodes]
        if absent:
            raise ExportError(
                f"episode {absent[0]}: expected masks of every episode stored in "
                f"{meta.video_path.format(video_key=camera, chunk_index=chunk, file_index=file)}"
                f" (a v3.0 video holds several), got {scene_name(absent[0])} not selected",
                hint="select all of: " + ", ".join(scene_name(e) for e in members[:8]))
        members.sort(key=lambda e: meta.episodes()[e][col + "from_timestamp"])
        out.append((Path(meta.video_path.format(video_key=feature, chunk_index=chunk,
                                                file_index=file)), members))
    return out


def _write_videos(meta: LeRobotMeta, camera: str, groups: list[tuple[Path, list[int]]],
                  opened: dict[int, tuple[EpisodeFrames, MaskStore]], work: Path,
                  on_progress: ProgressCallback | None) -> list[MaskVideo]:
    """Encode each group's masks into its video under ``work``, then read it back."""
    ticker = Ticker(f"lerobot/{camera}{MASK_SUFFIX}",
                    sum(len(f) for f, _ in opened.values()), on_progress)
    videos = []
    for rel, members in groups:
        times = [meta.files(e, camera).from_s + t for e in members
                 for t in opened[e][0].timestamps]
        path = work / rel
        with writing(path) as tmp:
            size = encode_masks(tmp, _masks(opened, members, ticker), times, meta.fps,
                                opened[members[0]][0].size_wh)
            check = read_back(tmp, _masks(opened, members), times)
        videos.append(MaskVideo(rel, tuple(members), size, check))
    return videos


def _masks(opened: dict[int, tuple[EpisodeFrames, MaskStore]], members: list[int],
           ticker: Ticker | None = None) -> Iterator[np.ndarray]:
    """The masks of ``members``' episodes in file order, read one at a time."""
    for e in members:
        store = opened[e][1]
        for i in range(len(store)):
            yield store.read(i)
            if ticker is not None:
                ticker.advance()


def _update_meta(meta: LeRobotMeta, work: Path, feature: str, videos: list[MaskVideo],
                 size_wh: tuple[int, int]) -> None:
    """info.json's feature (and v2 total_videos); v3: the episode columns of the feature."""
    info = json.loads((work / INFO_FILE).read_text(encoding="utf-8"))
    w, h = size_wh
    had = feature in info["features"]
    info["features"][feature] = {
        "dtype": "video", "shape": [h, w, 3], "names": ["height", "width", "channel"],
        "info": {"video.height": h, "video.width": w, "video.codec": CODEC,
                 "video.pix_fmt": PIX_FMT, "video.is_depth_map": False,
                 "video.fps": meta.fps, "video.channels": 3, "has_audio": False}}
    if "total_videos" in info and not meta.is_v3 and not had:
        info["total_videos"] = int(info["total_videos"]) + len(videos)
    if meta.is_v3:
        _update_v3_episodes(meta, work, feature, videos)
    write_json(work / INFO_FILE, info)


def _update_v3_episodes(meta: LeRobotMeta, work: Path, feature: str,
                        videos: list[MaskVideo]) -> None:
    """Add (or replace) the ``videos/{feature}/...`` columns of every meta/episodes file;
    episodes without a mask video get nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    camera = feature.removesuffix(MASK_SUFFIX)
    written = {e for v in videos for e in v.episodes}
    cols = ("chunk_index", "file_index", "from_timestamp", "to_timestamp")
    for path in sorted((work / "meta/episodes").glob("*/*.parquet")):
        table = pq.read_table(path)
        eps = read_table(path, ["episode_index"])["episode_index"]
        for c in cols:
            name = f"videos/{feature}/{c}"
            values = [meta.episodes()[e][f"videos/{camera}/{c}"] if e in written else None
                      for e in eps]
            typ = pa.int64() if c.endswith("index") else pa.float64()
            if name in table.column_names:
                table = table.drop_columns([name])
            table = table.append_column(name, pa.array(values, typ))
        with writing(path) as tmp:
            pq.write_table(table, tmp)
