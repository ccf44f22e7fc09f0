"""The lerobot export: a mask video feature in a copy of the dataset, read back by PyAV
and by robomask's own LeRobot reader (as LeRobotDataset would find it)."""

from __future__ import annotations

import json
import shutil

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from lerobot_data import CAMERA, FPS, SIZE_WH, make_v21, make_v30
from robomask.config import config_from_dict
from robomask.errors import ExportError, OverwriteError
from robomask.export.lerobot import export_lerobot
from robomask.scenes import list_scenes, scene, select_scenes

FEATURE = f"{CAMERA}.robot_mask"


def lerobot_config(tmp_path, root, **dataset):
    return config_from_dict({"export_base_dir": str(tmp_path / "out"),
                             "dataset": {"format": "lerobot", "root": str(root), **dataset}})


def truth(episode: int, frame: int) -> np.ndarray:
    """A disc that moves with the frame and grows with the episode."""
    w, h = SIZE_WH
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx - 10 - 3 * frame) ** 2 + (yy - 24) ** 2 <= (5 + episode) ** 2


def write_masks(cfg, names=None):
    for s in select_scenes(cfg, names or ["*"]):
        frames = s.frames()
        store = s.store("export", frames)
        store.prepare()
        for i in range(len(frames)):
            store.write(i, truth(s.episode.index, i))


def snapshot(root):
    return {p: p.stat().st_mtime_ns for p in root.rglob("*")}


def test_v21_copy_gains_one_mask_video_per_episode(tmp_path):
    root = make_v21(tmp_path / "ds", {0: 5, 1: 7})
    cfg = lerobot_config(tmp_path, root)
    write_masks(cfg)
    before = snapshot(root)
    out = tmp_path / "copy"
    result = export_lerobot(cfg, select_scenes(cfg, ["*"]), out)
    assert snapshot(root) == before  # the source dataset is not touched
    assert result.min_iou == 1.0 and result.max_time_error_s < 1e-4
    assert result.frames == 12 and 0 < result.bytes_per_frame < 5000
    info = json.loads((out / "meta/info.json").read_text())
    assert info["features"][FEATURE]["dtype"] == "video"
    assert info["features"][FEATURE]["info"]["video.codec"] == "h264"
    assert info["total_videos"] == 4
    for ep, n in ((0, 5), (1, 7)):
        path = out / f"videos/chunk-000/{FEATURE}/episode_{ep:06d}.mp4"
        with av.open(str(path)) as c:
            got = [(f.time, f.to_ndarray(format="gray") > 127) for f in c.decode(video=0)]
        assert [t for t, _ in got] == pytest.approx([i / FPS for i in range(n)], abs=1e-4)
        assert all(np.array_equal(m, truth(ep, i)) for i, (_, m) in enumerate(got))
    # the copy is a LeRobot dataset whose new camera reads back as the masks
    masks_cfg = lerobot_config(tmp_path, out, camera=FEATURE)
    frames = scene(masks_cfg, "episode_000001").frames()
    assert all(np.array_equal(frames[i][..., 0] > 127, truth(1, i)) for i in (6, 0, 3))


def test_v30_mask_file_mirrors_the_camera_file_and_episode_columns(tmp_path):
    lengths = {0: 7, 1: 9, 2: 6}
    root = make_v30(tmp_path / "ds", lengths)
    cfg = lerobot_config(tmp_path, root)
    write_masks(cfg)
    out = tmp_path / "copy"
    result = export_lerobot(cfg, select_scenes(cfg, ["*"]), out)
    assert [v.episodes for v in result.videos] == [(0, 1, 2)]
    assert result.min_iou == 1.0
    assert (out / f"videos/{FEATURE}/chunk-000/file-000.mp4").is_file()
    eps = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pydict()
    for c in ("chunk_index", "file_index", "from_timestamp", "to_timestamp"):
        assert eps[f"videos/{FEATURE}/{c}"] == eps[f"videos/{CAMERA}/{c}"]
    # seek into the middle of the shared mask file through the reader
    masks_cfg = lerobot_config(tmp_path, out, camera=FEATURE)
    for ep, n in lengths.items():
        frames = scene(masks_cfg, f"episode_{ep:06d}").frames()
        assert len(frames) == n
        for i in (n - 1, 0, n // 2):
            assert np.array_equal(frames[i][..., 0] > 127, truth(ep, i))


def test_v30_two_video_files_only_one_exported(tmp_path):
    root = make_v30(tmp_path / "ds", {0: 4, 1: 5, 2: 6, 3: 3}, per_file=2)
    cfg = lerobot_config(tmp_path, root)
    write_masks(cfg)
    out = tmp_path / "copy"
    result = export_lerobot(cfg, select_scenes(cfg, ["episode_00000[23]"]), out)
    assert [(str(v.path), v.episodes) for v in result.videos] == [
        (f"videos/{FEATURE}/chunk-000/file-001.mp4", (2, 3))]
    assert not (out / f"videos/{FEATURE}/chunk-000/file-000.mp4").exists()
    eps = pq.read_table(out / "meta/episodes/chunk-000/file-000.parquet").to_pydict()
    assert eps[f"videos/{FEATURE}/file_index"] == [None, None, 1, 1]
    assert eps[f"videos/{FEATURE}/from_timestamp"] == [None, None, 0.0, 0.6]
    frames = scene(lerobot_config(tmp_path, out, camera=FEATURE), "episode_000003").frames()
    assert [np.array_equal(f[..., 0] > 127, truth(3, i)) for i, f in enumerate(frames)] == \
        [True] * 3


def test_v30_needs_every_episode_of_a_shared_file(tmp_path):
    root = make_v30(tmp_path / "ds", {0: 4, 1: 5})
    cfg = lerobot_config(tmp_path, root)
    write_masks(cfg)
    with pytest.raises(ExportError, match="episode 0: expected masks of every episode stored "
                                          "in videos/observation.images.cam/chunk-000/"):
        export_lerobot(cfg, select_scenes(cfg, ["episode_000001"]), tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_targets_force_in_place_and_missing_masks(tmp_path):
    root = make_v21(tmp_path / "ds", {0: 3, 1: 4})
    cfg = lerobot_config(tmp_path, root)
    with pytest.raises(ExportError, match=r"ds/episode_000000: expected 3 masks, got 0"):
        export_lerobot(cfg, select_scenes(cfg, ["*"]), tmp_path / "copy")
    assert not (tmp_path / "copy").exists() and not list(tmp_path.glob(".copy*"))
    write_masks(cfg)
    export_lerobot(cfg, select_scenes(cfg, ["*"]), tmp_path / "copy")
    with pytest.raises(OverwriteError,
                       match=r"copy: expected an empty or new folder, got an existing dataset"):
        export_lerobot(cfg, select_scenes(cfg, ["*"]), tmp_path / "copy")
    export_lerobot(cfg, select_scenes(cfg, ["*"]), tmp_path / "copy", force=True)
    assert not list(tmp_path.glob(".copy*"))  # no staging or old copy left behind
    with pytest.raises(ExportError, match="expected a folder outside the dataset"):
        export_lerobot(cfg, select_scenes(cfg, ["*"]), root / "masks")
    spec = config_from_dict({"task_name": "t", "data_base_dir": "d", "export_base_dir": "o"})
    with pytest.raises(ExportError, match="expected a config with dataset.format lerobot"):
        export_lerobot(spec, [], tmp_path / "x")
    # in place: the dataset itself gains the feature; a second time needs --force
    inplace = shutil.copytree(root, tmp_path / "ds2")
    cfg2 = lerobot_config(tmp_path, inplace)
    write_masks(cfg2)  # its outputs live under its own task_name, ds2
    result = export_lerobot(cfg2, select_scenes(cfg2, ["*"]), None, in_place=True)
    assert result.dataset == inplace and (inplace / f"videos/chunk-000/{FEATURE}").is_dir()
    assert FEATURE in json.loads((inplace / "meta/info.json").read_text())["features"]
    assert list_scenes(lerobot_config(tmp_path, inplace, camera=FEATURE))
    with pytest.raises(ExportError, match=f"expected no feature '{FEATURE}'"):
        export_lerobot(cfg2, select_scenes(cfg2, ["*"]), None, in_place=True)


def test_the_dataset_copy_reports_its_progress_in_mb(tmp_path):
    root = make_v21(tmp_path / "ds", {0: 5})
    (root / "extra.bin").write_bytes(bytes(3_000_000))  # a dataset's videos weigh in MB
    cfg = lerobot_config(tmp_path, root)
    write_masks(cfg)
    updates = []
    export_lerobot(cfg, select_scenes(cfg, ["*"]), tmp_path / "copy",
                   on_progress=updates.append)
    copy = [u for u in updates if u.stage == "lerobot/copy dataset"]
    assert copy and {u.unit for u in copy} == {"MB"} and copy[-1].done == copy[-1].total == 3
    assert updates.index(copy[-1]) < next(i for i, u in enumerate(updates)
                                          if u.stage.endswith("robot_mask"))
