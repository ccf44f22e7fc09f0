"""A LeRobot episode's own parquet rows as the kinematics section's joint states."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lerobot_data import make_v30
from robomask.config import config_from_dict
from robomask.kinematics.joints import lerobot_names, read_joint_states
from robomask.scenes import scene


def test_joint_states_of_one_episode_of_a_shared_v3_table(tmp_path):
    root = make_v30(tmp_path / "ds", {0: 4, 1: 6, 2: 3})
    cfg = config_from_dict({"export_base_dir": str(tmp_path / "out"),
                            "dataset": {"format": "lerobot", "root": str(root)}})
    s = scene(cfg, "episode_000001")
    track = read_joint_states(s.episode.data_path, s.frames().stems, known_joints=["j0", "j1"],
                              column="observation.state", episode_index=s.episode.index)
    assert track.names == ("j0", "j1")  # names from meta/info.json; j2 is not a joint
    assert np.allclose(track.values, [[1 + 0.01 * i, 0.5] for i in range(6)])


def test_names_nested_in_one_list_as_in_converted_datasets(tmp_path):
    info = tmp_path / "info.json"
    info.write_text(json.dumps({"features": {"observation.state": {"names": [["a", "b"]]}}}))
    assert lerobot_names(info, "observation.state") == ["a", "b"]


def test_render_reads_the_episode_rows_when_joint_states_is_unset(tmp_path):
    pytest.importorskip("yourdfpy")
    from kin_robot import K, write_urdf
    from robomask.kinematics import open_scene_render

    root = make_v30(tmp_path / "ds", {0: 4, 1: 6}, state_names=("slide", "turn", "other"))
    cfg = config_from_dict({
        "export_base_dir": str(tmp_path / "out"),
        "dataset": {"format": "lerobot", "root": str(root)},
        "kinematics": {"urdf": str(write_urdf(tmp_path / "robot")), "intrinsics": K,
                       "base_in_camera": np.eye(4).tolist(), "arm_links": ["far", "near"],
                       "gripper_left_links": ["finger"]}})
    render = open_scene_render(cfg, scene(cfg, "episode_000001"))
    assert render.joints.names == ("slide", "turn")
    assert render.joints.at(5) == pytest.approx({"slide": 1.05, "turn": 0.5})
