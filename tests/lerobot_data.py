"""Small LeRobot datasets (v2.1 and v3.0) in the layout the ``lerobot`` package writes.

lerobot >= 0.4 (the first with v3.0) needs torch < 2.11, so the tests cannot use
LeRobotDataset.create; this writes the documented layout instead, following
lerobot 0.4.4's ``lerobot/datasets/utils.py`` (DEFAULT_DATA_PATH, DEFAULT_VIDEO_PATH,
DEFAULT_EPISODES_PATH, create_empty_dataset_info) and ``lerobot_dataset.py``
(``_save_episode_video``: episodes appended to one mp4, located by
``videos/{key}/from_timestamp`` / ``to_timestamp`` columns of meta/episodes), and the v2.1
layout of lerobot 0.3 (``meta/episodes.jsonl``, one mp4 per episode).

Every frame is a flat colour that encodes (episode, frame): red = 8 * frame,
green = 40 * episode, so a test can tell which frame it got after lossy decoding.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CAMERA = "observation.images.cam"
FPS = 10
SIZE_WH = (64, 48)
STATE_NAMES = ["j0", "j1", "j2"]


def frame_colour(episode: int, frame: int) -> tuple[int, int, int]:
    return (8 * frame) % 256, (40 * episode) % 256, 128


def frame_image(episode: int, frame: int) -> np.ndarray:
    w, h = SIZE_WH
    return np.broadcast_to(np.array(frame_colour(episode, frame), np.uint8), (h, w, 3)).copy()


def which_frame(rgb: np.ndarray, episode: int) -> int:
    """The frame index whose colour ``rgb`` shows (checks the episode's green too)."""
    r, g, _ = (int(v) for v in rgb.reshape(-1, 3).mean(axis=0).round())
    assert abs(g - (40 * episode) % 256) <= 6, (g, episode)
    return round(r / 8)


def _encode(path: Path, frames: list[np.ndarray], *, gop: int = 4) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE_WH
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, FPS)
        stream.options = {"g": str(gop), "sc_threshold": "0", "crf": "4"}
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _features(state_names) -> dict:
    w, h = SIZE_WH
    return {
        "observation.state": {"dtype": "float32", "shape": [3], "names": list(state_names)},
        CAMERA: {"dtype": "video", "shape": [h, w, 3], "names": ["height", "width", "channel"],
                 "info": {"video.height": h, "video.width": w, "video.codec": "h264",
                          "video.pix_fmt": "yuv420p", "video.is_depth_map": False,
                          "video.fps": FPS, "video.channels": 3, "has_audio": False}},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
    }


def _rows(episode: int, length: int, first_index: int) -> dict[str, list]:
    return {"observation.state": [[episode + 0.01 * i, 0.5, -0.5] for i in range(length)],
            "timestamp": [np.float32(i / FPS) for i in range(length)],
            "frame_index": list(range(length)), "episode_index": [episode] * length,
            "index": list(range(first_index, first_index + length)), "task_index": [0] * length}


def _table(rows: dict[str, list]) -> pa.Table:
    return pa.table({**rows, "observation.state": pa.array(rows["observation.state"],
                                                           pa.list_(pa.float32(), 3)),
                     "timestamp": pa.array(rows["timestamp"], pa.float32())})


def make_v21(root: Path, lengths: dict[int, int], *, listed: dict[int, int] | None = None) -> Path:
    """A v2.1 dataset with episodes ``{index: length}``; ``listed`` adds episodes to
    meta/episodes.jsonl whose files are not written."""
    listed = {**lengths, **(listed or {})}
    info = {"codebase_version": "v2.1", "robot_type": "test", "fps": FPS,
            "total_episodes": len(listed), "total_frames": sum(listed.values()),
            "total_tasks": 1, "total_videos": len(listed), "total_chunks": 1,
            "chunks_size": 1000, "splits": {"train": f"0:{len(listed)}"},
            "data_path": "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
            "video_path": "videos/chunk-{episode_chunk:03d}/{video_key}/"
                          "episode_{episode_index:06d}.mp4",
            "features": _features(STATE_NAMES)}
    (root / "meta").mkdir(parents=True)
    (root / "meta/info.json").write_text(json.dumps(info, indent=2))
    (root / "meta/episodes.jsonl").write_text("".join(
        json.dumps({"episode_index": e, "tasks": ["pick"], "length": n}) + "\n"
        for e, n in sorted(listed.items())))
    (root / "meta/tasks.jsonl").write_text(json.dumps({"task_index": 0, "task": "pick"}) + "\n")
    first = 0
    for e, n in sorted(lengths.items()):
        data = root / f"data/chunk-000/episode_{e:06d}.parquet"
        data.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(_table(_rows(e, n, first)), data)
        _encode(root / f"videos/chunk-000/{CAMERA}/episode_{e:06d}.mp4",
                [frame_image(e, i) for i in range(n)])
        first += n
    return root


def make_v30(root: Path, lengths: dict[int, int], *, state_names=STATE_NAMES,
             per_file: int | None = None) -> Path:
    """A v3.0 dataset: all episodes in one data file; ``per_file`` episodes per video file
    (default: all in ``file-000.mp4``; episodes do not start on keyframes, to exercise the
    seek into the middle of a shared file). observation.state of frame i of episode e is
    [e + 0.01 * i, 0.5, -0.5]."""
    info = {"codebase_version": "v3.0", "robot_type": "test", "fps": FPS,
            "total_episodes": len(lengths), "total_frames": sum(lengths.values()),
            "total_tasks": 1, "chunks_size": 1000, "data_files_size_in_mb": 100,
            "video_files_size_in_mb": 200, "splits": {"train": f"0:{len(lengths)}"},
            "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
            "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
            "features": _features(state_names)}
    (root / "meta/episodes/chunk-000").mkdir(parents=True)
    (root / "meta/info.json").write_text(json.dumps(info, indent=2))
    pq.write_table(pa.table({"task_index": [0], "__index_level_0__": ["pick"]}),
                   root / "meta/tasks.parquet")
    rows: dict[str, list] = {}
    episodes: dict[str, list] = {}
    videos: dict[int, list[np.ndarray]] = {}
    for k, (e, n) in enumerate(sorted(lengths.items())):
        start = len(rows.get("index", []))
        for key, v in _rows(e, n, start).items():
            rows.setdefault(key, []).extend(v)
        file = k // per_file if per_file else 0
        frames = videos.setdefault(file, [])
        ep = {"episode_index": e, "tasks": ["pick"], "length": n,
              "data/chunk_index": 0, "data/file_index": 0,
              "dataset_from_index": start, "dataset_to_index": start + n,
              f"videos/{CAMERA}/chunk_index": 0, f"videos/{CAMERA}/file_index": file,
              f"videos/{CAMERA}/from_timestamp": len(frames) / FPS,
              f"videos/{CAMERA}/to_timestamp": (len(frames) + n) / FPS,
              "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0}
        frames += [frame_image(e, i) for i in range(n)]
        for key, v in ep.items():
            episodes.setdefault(key, []).append(v)
    (root / "data/chunk-000").mkdir(parents=True)
    pq.write_table(_table(rows), root / "data/chunk-000/file-000.parquet")
    pq.write_table(pa.table(episodes), root / "meta/episodes/chunk-000/file-000.parquet")
    for file, frames in videos.items():
        _encode(root / f"videos/{CAMERA}/chunk-000/file-{file:03d}.mp4", frames)
    return root
