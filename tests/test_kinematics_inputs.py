"""Joint-state sources and camera files, with every bad input named in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from robomask.errors import KinematicsError
from robomask.kinematics import read_intrinsics, read_joint_states, read_pose
from robomask.kinematics.camera import check_rigid

STEMS = ["1737546126000", "1737546126033", "1737546126066"]
JOINTS = ("j1", "j2")


def test_folder_by_stem_and_by_index(tmp_path):
    by_stem, by_index = tmp_path / "a", tmp_path / "b"
    by_stem.mkdir()
    by_index.mkdir()
    for i, s in enumerate(STEMS):
        np.save(by_stem / f"{s}.npy", [i, -i])
        np.savetxt(by_index / f"joint_state_{i}.txt", [i * 10, 1])
    a = read_joint_states(by_stem, STEMS, known_joints=JOINTS)
    assert a.names == JOINTS and a.at(2) == {"j1": 2.0, "j2": -2.0}
    b = read_joint_states(by_index, STEMS, known_joints=JOINTS)
    assert b.values[:, 0].tolist() == [0, 10, 20]
    (by_index / "joint_state_1.txt").unlink()
    with pytest.raises(KinematicsError, match=r"frame 1 \('1737546126033'\)"):
        read_joint_states(by_index, STEMS, known_joints=JOINTS)


def test_csv_by_frame_index_and_by_timestamp(tmp_path):
    table = tmp_path / "q.csv"
    table.write_text("frame_index,j2,j1\n2,0.2,2\n0,0.0,0\n1,0.1,1\n")
    t = read_joint_states(table, STEMS, known_joints=JOINTS)
    assert t.values.tolist() == [[0, 0], [1, 0.1], [2, 0.2]]
    timed = tmp_path / "t.csv"
    timed.write_text("timestamp,j1,j2\n1737546126.001,0,0\n1737546126.030,1,1\n"
                     "1737546126.070,2,2\n")
    nearest = read_joint_states(timed, STEMS, known_joints=JOINTS)
    assert nearest.values[:, 0].tolist() == [0, 1, 2]
    with pytest.raises(KinematicsError, match=r"frame 2 \('1737546126066'\).*within 0.0035 s"):
        read_joint_states(timed, STEMS, known_joints=JOINTS, tolerance_s=0.0035,
                          match="timestamp")


def test_lerobot_parquet_with_names_from_info_json(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "info.json").write_text(json.dumps({"features": {
        "observation.state": {"dtype": "float32", "shape": [3],
                              "names": {"motors": ["j2", "gripper", "j1"]}}}}))
    data = tmp_path / "data" / "chunk-000"
    data.mkdir(parents=True)
    pq.write_table(pa.table({"frame_index": [0, 1, 2], "timestamp": [0.0, 0.033, 0.066],
                             "observation.state": [[0.5, 9, 1], [0.6, 9, 2], [0.7, 9, 3]]}),
                   data / "episode_000000.parquet")
    t = read_joint_states(data / "episode_000000.parquet", ["0", "1", "2"],
                          known_joints=JOINTS, column="observation.state")
    assert t.names == ("j2", "j1")  # 'gripper' is not a URDF joint: left out
    assert t.at(1) == {"j2": 0.6, "j1": 2.0}


def test_joint_names_errors(tmp_path):
    folder = tmp_path / "q"
    folder.mkdir()
    for s in STEMS:
        np.save(folder / f"{s}.npy", [1.0, 2.0, 3.0])
    with pytest.raises(KinematicsError, match="expected 2 joint values.*got 3"):
        read_joint_states(folder, STEMS, known_joints=JOINTS)
    with pytest.raises(KinematicsError, match="unknown joint 'elbow'"):
        read_joint_states(folder, STEMS, known_joints=JOINTS, joint_names=["j1", "j2", "elbow"])


def test_intrinsics_sources_and_errors(tmp_path):
    info = tmp_path / "camera_info.yaml"
    info.write_text("width: 640\nheight: 480\nk: [600, 0, 320, 0, 610, 240, 0, 0, 1]\n")
    assert read_intrinsics(str(info))[1, 1] == 610
    assert read_intrinsics([[600, 0, 320], [0, 600, 240], [0, 0, 1]])[0, 2] == 320
    bad = tmp_path / "K.txt"
    bad.write_text("600 0 320\n0 600 240\n")
    with pytest.raises(KinematicsError, match=r"K.txt.*expected a 3x3 intrinsics matrix"):
        read_intrinsics(str(bad))
    with pytest.raises(KinematicsError, match="expected positive focal lengths.*fx=-600"):
        read_intrinsics([[-600, 0, 320], [0, 600, 240], [0, 0, 1]])


def test_pose_must_be_rigid(tmp_path):
    scaled = np.diag([1000.0, 1000.0, 1000.0, 1.0])
    np.save(tmp_path / "pose.npy", scaled)
    with pytest.raises(KinematicsError, match=r"pose.npy.*expected a rigid transform"):
        read_pose(str(tmp_path / "pose.npy"), key="kinematics.camera_pose_in_base")
    with pytest.raises(KinematicsError, match="expected a 4x4"):
        check_rigid(np.eye(3), "inline")
    rot = np.eye(4)
    rot[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    assert check_rigid(rot, "inline") is not None


def test_config_section_paths_and_pose_keys(tmp_path):
    from robomask.config import config_from_dict
    from robomask.errors import ConfigError

    base = {"task_name": "t", "data_base_dir": "d", "export_base_dir": "o"}
    kin = {"urdf": "robots/r.urdf", "joint_states": "{cam_dir}/q", "intrinsics": "K.txt",
           "camera_pose_in_base": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}
    cfg = config_from_dict({**base, "kinematics": kin}, base_dir=tmp_path)
    assert cfg.kinematics.urdf == str(tmp_path / "robots/r.urdf")
    assert cfg.kinematics.joint_states == "{cam_dir}/q"  # filled per scene
    with pytest.raises(ConfigError, match="exactly one of camera_pose_in_base and base_in"):
        config_from_dict({**base, "kinematics": {**kin, "base_in_camera": "p.npy"}})
    with pytest.raises(ConfigError, match="unknown key 'kinematics.urdf_path'"):
        config_from_dict({**base, "kinematics": {**kin, "urdf_path": "x"}})


def test_trailing_index_reads_ascii_numbers_that_int_can_take():
    from robomask.kinematics.joints import trailing_index

    assert trailing_index("frame_0042") == 42 and trailing_index("7") == 7
    assert trailing_index("frame") is None and trailing_index("frame_²") is None
    assert trailing_index("f" + "9" * 5000) is None  # int() refuses over 4300 digits
