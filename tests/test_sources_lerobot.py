"""LeRobot v2.1 and v3.0 datasets as scenes: frames, order, seeking, timestamps, errors."""

from __future__ import annotations

import json

import pytest

from lerobot_data import CAMERA, FPS, SIZE_WH, make_v21, make_v30, which_frame
from robomask.checks import check_scenes
from robomask.config import config_from_dict
from robomask.errors import ConfigError, SceneError
from robomask.scenes import list_scenes, scene, select_scene_names
from robomask.sources.lerobot.source import parse_episodes

V3_LENGTHS = {0: 7, 1: 9, 2: 6}  # starts at frames 0, 7, 16 of one file; keyframe every 4


def lerobot_config(tmp_path, root, **dataset):
    return config_from_dict({"export_base_dir": str(tmp_path / "out"),
                             "dataset": {"format": "lerobot", "root": str(root), **dataset}})


@pytest.fixture(scope="module")
def v21(tmp_path_factory):
    return make_v21(tmp_path_factory.mktemp("v21") / "ds", {0: 5, 1: 8, 3: 6},
                    listed={2: 4, 4: 3})


@pytest.fixture(scope="module")
def v30(tmp_path_factory):
    return make_v30(tmp_path_factory.mktemp("v30") / "ds", V3_LENGTHS)


def test_v21_episodes_are_scenes_with_every_frame_in_order(tmp_path, v21):
    cfg = lerobot_config(tmp_path, v21)
    assert list_scenes(cfg) == [f"episode_{i:06d}" for i in range(5)]  # all of meta/
    assert cfg.task_name == "ds" and cfg.output_dir == tmp_path / "out" / "ds"
    for ep, n in ((0, 5), (1, 8), (3, 6)):
        s = scene(cfg, f"episode_{ep:06d}")
        frames = s.frames()
        assert len(frames) == n and frames.size_wh == SIZE_WH
        assert [which_frame(rgb, ep) for rgb in frames] == list(range(n))
        assert frames.stems == [f"{i:06d}" for i in range(n)]
        assert frames.timestamps == pytest.approx([i / FPS for i in range(n)])
        # prompts and outputs go under export_base_dir, never into the dataset
        assert s.camera_dir == cfg.output_dir / "prompts" / s.name
        assert s.mask_dir("export") == cfg.output_dir / s.name


def test_v30_episodes_in_one_shared_file_seek_to_their_start(tmp_path, v30):
    cfg = lerobot_config(tmp_path, v30, camera=CAMERA)
    assert select_scene_names(cfg, ["episode_00000[12]"]) == ["episode_000001", "episode_000002"]
    for ep, n in V3_LENGTHS.items():
        frames = scene(cfg, f"episode_{ep:06d}").frames()
        assert len(frames) == n
        assert [which_frame(rgb, ep) for rgb in frames] == list(range(n))
        assert frames.timestamps == pytest.approx([i / FPS for i in range(n)])
    # random access inside the middle episode (starts at frame 7, keyframes at 4 and 8)
    frames = scene(cfg, "episode_000001").frames()
    for i in (5, 0, 8, 3, 1):
        assert which_frame(frames[i], 1) == i
    with pytest.raises(IndexError):
        frames[9]


def test_episode_selection_and_ranges(tmp_path, v30):
    assert parse_episodes("0-2, 5,1") == [0, 1, 2, 5]
    with pytest.raises(ConfigError, match="expected indices like"):
        parse_episodes("1,x")
    cfg = lerobot_config(tmp_path, v30, episodes="0,2")
    assert list_scenes(cfg) == ["episode_000000", "episode_000002"]
    assert list_scenes(lerobot_config(tmp_path, v30, episodes=[2, 0])) == list_scenes(cfg)
    assert list_scenes(lerobot_config(tmp_path, v30, episodes=1)) == ["episode_000001"]
    with pytest.raises(SceneError, match="scene 'episode_000001': expected an episode"):
        scene(cfg, "episode_000001")


def test_bad_datasets_fail_with_one_line_naming_the_culprit(tmp_path, v21):
    with pytest.raises(SceneError, match=r"expected a LeRobot dataset with meta/info.json"):
        list(select_scene_names(lerobot_config(tmp_path, tmp_path), ["*"]))
    with pytest.raises(SceneError, match=r"dataset.camera: expected one of "
                                         r"observation.images.cam, got 'cam_low'"):
        scene(lerobot_config(tmp_path, v21, camera="cam_low"), "episode_000000")
    with pytest.raises(SceneError, match="dataset.episodes: episode 9: expected one of the 5"):
        list_scenes(lerobot_config(tmp_path, v21, episodes="1,9")) or \
            select_scene_names(lerobot_config(tmp_path, v21, episodes="1,9"), ["*"])
    old = tmp_path / "old"
    (old / "meta").mkdir(parents=True)
    (old / "meta/info.json").write_text(json.dumps({"codebase_version": "v1.6"}))
    with pytest.raises(SceneError, match=r"codebase_version: expected one of v2.0, v2.1, "
                                         r"v3.0, got 'v1.6'"):
        scene(lerobot_config(tmp_path, old), "episode_000000")
    with pytest.raises(ConfigError, match="dataset.root: expected the LeRobot dataset folder"):
        config_from_dict({"export_base_dir": "o", "task_name": "t", "data_base_dir": "d",
                          "dataset": {"format": "lerobot"}})


def test_missing_episode_files_fail_that_episode_only(tmp_path, v21):
    cfg = lerobot_config(tmp_path, v21)
    with pytest.raises(SceneError, match=r"episode_000002.mp4: episode 2: expected its video"):
        scene(cfg, "episode_000002")
    problems = check_scenes(cfg, ["episode_*"])
    frame_errors = {p.scene for p in problems if p.what == "frames"}
    assert frame_errors == {"episode_000002", "episode_000004"}
    assert {p.scene for p in problems} >= {"episode_000000", "episode_000001"}  # still checked


def test_missing_parquet_and_short_video(tmp_path):
    root = make_v21(tmp_path / "ds", {0: 5, 1: 4})
    (root / "data/chunk-000/episode_000001.parquet").unlink()
    cfg = lerobot_config(tmp_path, root)
    with pytest.raises(SceneError, match=r"episode_000001.parquet: episode 1: expected its "
                                         "parquet file"):
        scene(cfg, "episode_000001")
    lines = (root / "meta/episodes.jsonl").read_text().replace('"length": 5', '"length": 9')
    (root / "meta/episodes.jsonl").write_text(lines)
    with pytest.raises(SceneError, match=r"episode_000000.parquet: episode 0: expected 9 rows"):
        scene(cfg, "episode_000000").frames()


def test_video_shorter_than_the_episode(tmp_path):
    root = make_v30(tmp_path / "ds", {0: 6, 1: 5})
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = root / "meta/episodes/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    col = f"videos/{CAMERA}/to_timestamp"
    table = table.set_column(table.schema.get_field_index(col), col,
                             pa.array([0.6, 1.5]))  # episode 1 claims 9 frames, file has 5
    table = table.set_column(table.schema.get_field_index("length"), "length", pa.array([6, 9]))
    pq.write_table(table, path)
    data = root / "data/chunk-000/file-000.parquet"
    rows = pq.read_table(data).to_pydict()
    extra = {k: v + v[-4:] for k, v in rows.items()}
    extra["frame_index"] = rows["frame_index"] + [5, 6, 7, 8]
    pq.write_table(pa.table(extra, schema=pq.read_schema(data)), data)
    with pytest.raises(SceneError, match=r"file-000.mp4: episode 1: expected 9 frames from "
                                         r"0.600 s to 1.500 s, got 5"):
        scene(lerobot_config(tmp_path, root), "episode_000001").frames()
