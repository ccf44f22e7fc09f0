"""The renderer against projections computed by hand, occlusion, joints and meshes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("yourdfpy")
trimesh = pytest.importorskip("trimesh")

from tests.kin_robot import CX, CY, FX, SIZE_WH, K, box_rect, write_urdf  # noqa: E402

from robomask.kinematics import Camera, Renderer, load_robot  # noqa: E402
from robomask.kinematics.camera import OPTICAL_FROM_ROS_BODY, base_to_optical  # noqa: E402


def camera(base_to_opt=None) -> Camera:
    return Camera(np.asarray(K), np.eye(4) if base_to_opt is None else base_to_opt, SIZE_WH)


def label_of(r: Renderer, name: str) -> int:
    return r.link_names.index(name) + 1


def rect_mask(x0, y0, x1, y1) -> np.ndarray:
    """Pixels whose centre lies inside the rectangle."""
    xs, ys = np.arange(SIZE_WH[0]), np.arange(SIZE_WH[1])
    return ((xs[None, :] >= x0) & (xs[None, :] <= x1)
            & (ys[:, None] >= y0) & (ys[:, None] <= y1))


def iou(a, b) -> float:
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


@pytest.fixture
def renderer(tmp_path) -> Renderer:
    return Renderer(load_robot(write_urdf(tmp_path)), camera())


def test_box_matches_the_projection_by_hand(renderer):
    # slide the near box away and turn the hand aside so only the far box is in the middle
    labels = renderer.labels({"slide": 5.0, "turn": np.pi})
    far = labels == label_of(renderer, "far")
    expected = rect_mask(*box_rect(0, 0, 0.1, 0.05, 0.975))  # its front face, 0.975 m away
    assert iou(far, expected) > 0.95  # OpenCV fills pixels the outline touches: +-1 px
    ys, xs = np.nonzero(far)
    x0, y0, x1, y1 = box_rect(0, 0, 0.1, 0.05, 0.975)
    assert abs(xs.min() - x0) <= 1 and abs(xs.max() - x1) <= 1
    assert abs(ys.min() - y0) <= 1 and abs(ys.max() - y1) <= 1


def test_near_link_hides_far_link_and_the_order_follows_the_joint(renderer):
    in_front = renderer.labels({"slide": 0.0, "turn": np.pi})
    near_rect = rect_mask(*box_rect(0.05, 0, 0.05, 0.05, 0.79))
    overlap = near_rect & rect_mask(*box_rect(0, 0, 0.1, 0.05, 0.975))
    assert overlap.sum() > 1000
    assert np.all(in_front[overlap] == label_of(renderer, "near"))
    behind = renderer.labels({"slide": 0.4, "turn": np.pi})  # near box now 1.2 m away
    assert np.all(behind[overlap] == label_of(renderer, "far"))
    assert not (behind == label_of(renderer, "near")).any()  # smaller than far, wholly hidden


def test_revolute_joint_moves_the_link_by_hand(renderer):
    for angle, (ex, ey) in ((0.0, (CX + FX * 0.25 / 0.9, CY)),
                            (np.pi / 2, (CX, CY + FX * 0.25 / 0.9))):
        hand = renderer.labels({"slide": 5.0, "turn": angle}) == label_of(renderer, "hand")
        ys, xs = np.nonzero(hand)
        assert abs(xs.mean() - ex) < 3 and abs(ys.mean() - ey) < 3, angle


def test_ros_body_convention_renders_the_same(renderer):
    # the same camera described as a ROS camera_link pose in the base frame
    body_in_base = np.linalg.inv(np.linalg.inv(OPTICAL_FROM_ROS_BODY))
    t = base_to_optical(body_in_base, convention="camera_pose_in_base", camera_frame="ros_body")
    assert np.allclose(t, np.eye(4))
    q = {"slide": 0.1, "turn": 0.3}
    assert np.array_equal(renderer.labels(q), renderer.labels(q, camera(t)))


def test_behind_the_camera_draws_nothing(renderer):
    flip = np.diag([1.0, -1.0, -1.0, 1.0])  # turned around: everything at negative depth
    assert not renderer.labels({"slide": 0.0}, camera(flip)).any()


def test_mesh_files_via_package_uri(tmp_path):
    pkg = tmp_path / "pkgs" / "toy_description" / "meshes"
    pkg.mkdir(parents=True)
    trimesh.creation.box(extents=(0.1, 0.1, 0.02)).export(pkg / "near.stl")
    urdf = write_urdf(tmp_path / "robot",
                      '<mesh filename="package://toy_description/meshes/near.stl"/>')
    with_mesh = Renderer(load_robot(urdf, package_root=tmp_path / "pkgs"), camera())
    with_box = Renderer(load_robot(write_urdf(tmp_path / "plain")), camera())
    q = {"slide": 0.0, "turn": np.pi}
    assert iou(with_mesh.labels(q) > 0, with_box.labels(q) > 0) > 0.99


def test_simplification_keeps_the_silhouette(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.05)  # 20480 faces
    sphere.export(tmp_path / "ball.obj")
    urdf = write_urdf(tmp_path, '<mesh filename="ball.obj"/>')
    robot = load_robot(urdf, max_faces=300)
    near = next(m for m in robot.meshes if m.name == "near")
    assert len(near.faces) < 2000
    labels = Renderer(robot, camera()).labels({"slide": -0.3, "turn": np.pi})
    ball = labels == robot.meshes.index(near) + 1
    r_px = FX * 0.05 / 0.5
    assert abs(ball.sum() - np.pi * r_px**2) / (np.pi * r_px**2) < 0.05
