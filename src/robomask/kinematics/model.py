"""A robot from its URDF: links with simplified visual meshes, joints, forward kinematics.

Only this module imports the URDF and mesh libraries (yourdfpy, trimesh; the
``kinematics`` extra). Meshes are loaded and simplified once per process; forward
kinematics is plain numpy. Lengths are in metres, angles in radians, poses are 4x4
homogeneous transforms of a link frame in the URDF's root-link frame (the "base").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np

from robomask._optional import require
from robomask.errors import KinematicsError

PURPOSE = "kinematic masks (the kinematics section)"


@dataclass(frozen=True)
class LinkMesh:
    """The visual surface of one link, in the link's own frame.

    Attributes:
        name: Link name from the URDF.
        vertices: Float (N, 3) points in metres.
        faces: Int (M, 3) vertex indices of triangles.
        closed: True when the link's source meshes are closed volumes with outward
            normals, so that triangles facing away from the camera can be skipped.
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    closed: bool


@dataclass(frozen=True)
class Joint:
    """One URDF joint: ``child pose = parent pose @ origin @ motion(value)``."""

    name: str
    type: str
    parent: str
    child: str
    origin: np.ndarray
    axis: np.ndarray
    mimic: tuple[str, float, float] | None  # (joint, multiplier, offset)


@dataclass(frozen=True)
class RobotModel:
    """Links, joints and visual meshes of one robot.

    Attributes:
        name: Robot name from the URDF.
        source: The URDF file.
        root: Name of the root link: the base frame of every pose.
        link_names: Every link, in URDF order.
        joints: Joints ordered from the root outwards.
        actuated: Names of the movable joints that are not mimics, in URDF order.
        meshes: Links that have visual geometry.
    """

    name: str
    source: Path
    root: str
    link_names: tuple[str, ...]
    joints: tuple[Joint, ...]
    actuated: tuple[str, ...]
    meshes: tuple[LinkMesh, ...]

    def link_poses(self, joint_values: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Pose (4x4, metres) of every link in the root frame; unnamed joints sit at 0.

        Args:
            joint_values: Joint name -> position (radians, or metres for prismatic joints).
        """
        poses = {self.root: np.eye(4)}
        for j in self.joints:
            if j.mimic is not None:
                src, mult, offset = j.mimic
                value = mult * float(joint_values.get(src, 0.0)) + offset
            else:
                value = float(joint_values.get(j.name, 0.0))
            poses[j.child] = poses[j.parent] @ j.origin @ _motion(j, value)
        return poses


def _motion(joint: Joint, value: float) -> np.ndarray:
    m = np.eye(4)
    if joint.type in ("revolute", "continuous"):
        x, y, z = joint.axis
        c, s = np.cos(value), np.sin(value)
        k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
        m[:3, :3] = np.eye(3) + s * k + (1 - c) * (k @ k)
    elif joint.type == "prismatic":
        m[:3, 3] = joint.axis * value
    return m


def resolve_mesh_path(filename: str, urdf_path: Path, package_root: Path | None) -> Path:
    """The file a URDF mesh reference points to.

    ``package://pkg/rest`` is looked up as ``{package_root}/pkg/rest``, then
    ``{package_root}/rest``; ``file://`` and plain paths are relative to the URDF's folder.

    Raises:
        KinematicsError: No such file.
    """
    if filename.startswith("package://"):
        rest = filename[len("package://"):]
        roots = [package_root] if package_root else [urdf_path.parent, urdf_path.parent.parent]
        candidates = [r / part for r in roots for part in (rest, rest.split("/", 1)[-1])]
        hint = "set kinematics.package_root to the folder that holds the ROS packages"
    else:
        rest = filename.removeprefix("file://")
        candidates = [urdf_path.parent / rest]
        hint = "mesh paths are relative to the URDF's folder"
    for path in candidates:
        if path.is_file():
            return path
    raise KinematicsError(f"{urdf_path}: mesh '{filename}': expected a file at "
                          f"{candidates[0]}, got nothing there", hint=hint)


def _geometry_mesh(geometry: Any, urdf_path: Path, package_root: Path | None) -> Any:
    trimesh = require("trimesh", "kinematics", purpose=PURPOSE)
    if geometry.box is not None:
        return trimesh.creation.box(extents=np.asarray(geometry.box.size, dtype=float))
    if geometry.cylinder is not None:
        return trimesh.creation.cylinder(radius=float(geometry.cylinder.radius),
                                         height=float(geometry.cylinder.length), sections=32)
    if geometry.sphere is not None:
        return trimesh.creation.icosphere(subdivisions=2, radius=float(geometry.sphere.radius))
    if geometry.mesh is not None:
        path = resolve_mesh_path(geometry.mesh.filename, urdf_path, package_root)
        try:
            mesh = trimesh.load(path, force="mesh")
        except Exception as exc:  # trimesh raises many types for a bad file
            raise KinematicsError(f"{path}: expected a mesh (STL, OBJ, DAE, GLB), got an "
                                  f"unreadable file ({exc})") from exc
        if len(getattr(mesh, "faces", ())) == 0:
            raise KinematicsError(f"{path}: expected a mesh with triangles, got none")
        if geometry.mesh.scale is not None:
            mesh.apply_scale(np.asarray(geometry.mesh.scale, dtype=float))
        return mesh
    return None


def _simplified(mesh: Any, max_faces: int, max_edge_m: float) -> Any:
    """At most ``max_faces`` triangles (quadric decimation), then long edges split so no
    triangle spans more than ``max_edge_m`` in depth (keeps painter's order right)."""
    trimesh = require("trimesh", "kinematics", purpose=PURPOSE)
    if len(mesh.faces) > max_faces:
        require("fast_simplification", "kinematics", purpose=PURPOSE)
        mesh = mesh.simplify_quadric_decimation(face_count=max_faces)
    v, f = trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, max_edge=max_edge_m,
                                            max_iter=6)
    return trimesh.Trimesh(v, f, process=True)


def _link_mesh(link: Any, urdf_path: Path, package_root: Path | None, max_faces: int,
               max_edge_m: float) -> LinkMesh | None:
    trimesh = require("trimesh", "kinematics", purpose=PURPOSE)
    parts = []
    for visual in link.visuals:
        mesh = _geometry_mesh(visual.geometry, urdf_path, package_root)
        if mesh is None:
            continue
        if visual.origin is not None:
            mesh.apply_transform(np.asarray(visual.origin, dtype=float))
        parts.append(mesh)
    if not parts:
        return None
    mesh = trimesh.util.concatenate(parts) if len(parts) > 1 else parts[0]
    # decimation keeps the faces' orientation but may open small seams: a link whose
    # source meshes are closed volumes keeps back-face culling
    closed = all(p.is_volume for p in parts)
    mesh = _simplified(mesh, max_faces, max_edge_m)
    return LinkMesh(link.name, np.asarray(mesh.vertices, dtype=np.float64),
                    np.asarray(mesh.faces, dtype=np.int32), closed)


def _ordered_joints(robot: Any, urdf_path: Path) -> tuple[str, tuple[Joint, ...]]:
    children = {j.child for j in robot.joints}
    roots = [link.name for link in robot.links if link.name not in children]
    if len(roots) != 1:
        raise KinematicsError(f"{urdf_path}: expected one root link, got {roots or 'none'}")
    by_parent: dict[str, list[Any]] = {}
    for j in robot.joints:
        by_parent.setdefault(j.parent, []).append(j)
    ordered, todo = [], [roots[0]]
    while todo:
        for j in by_parent.get(todo.pop(0), []):
            mimic = (j.mimic.joint, float(j.mimic.multiplier if j.mimic.multiplier is not None
                                          else 1.0),
                     float(j.mimic.offset or 0.0)) if j.mimic is not None else None
            axis = np.asarray(j.axis if j.axis is not None else (1, 0, 0), dtype=float)
            origin = np.asarray(j.origin if j.origin is not None else np.eye(4), dtype=float)
            ordered.append(Joint(j.name, j.type, j.parent, j.child, origin,
                                 axis / (np.linalg.norm(axis) or 1.0), mimic))
            todo.append(j.child)
    return roots[0], tuple(ordered)


def load_robot(urdf: Path | str, *, package_root: Path | str | None = None,
               max_faces: int = 800, max_edge_m: float = 0.03) -> RobotModel:
    """Load a URDF and its visual meshes, simplified for rendering (cached per process).

    Args:
        urdf: The .urdf file.
        package_root: Folder that ``package://`` mesh paths are resolved against.
        max_faces: Triangles per link after simplification.
        max_edge_m: Longest triangle edge kept, in metres (longer ones are split).

    Raises:
        KinematicsError: The URDF or a mesh is missing or invalid.
        BackendError: The ``kinematics`` extra is not installed.
    """
    path = Path(urdf).expanduser().resolve()
    root = Path(package_root).expanduser().resolve() if package_root else None
    if not path.is_file():
        raise KinematicsError(f"kinematics.urdf: expected a URDF file at {path}, got nothing "
                              "there")
    return _load_cached(path, path.stat().st_mtime_ns, root, max_faces, max_edge_m)


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime: int, package_root: Path | None, max_faces: int,
                 max_edge_m: float) -> RobotModel:
    yourdfpy = require("yourdfpy", "kinematics", purpose=PURPOSE)
    try:  # yourdfpy recovers from broken XML; a user should hear about it instead
        tag = ElementTree.parse(path).getroot().tag
    except ElementTree.ParseError as exc:
        raise KinematicsError(f"{path}: expected a valid URDF (XML), got a syntax error: "
                              f"{exc}") from exc
    if tag != "robot":
        raise KinematicsError(f"{path}: expected a valid URDF with a <robot> root, got <{tag}>")
    try:
        robot = yourdfpy.URDF.load(str(path), load_meshes=False, build_scene_graph=False,
                                   build_collision_scene_graph=False).robot
    except Exception as exc:  # lxml and yourdfpy raise many types for a bad file
        raise KinematicsError(f"{path}: expected a valid URDF, got {type(exc).__name__}: "
                              f"{exc}") from exc
    if not robot.links:
        raise KinematicsError(f"{path}: expected a URDF with links, got none")
    root, joints = _ordered_joints(robot, path)
    meshes = tuple(m for link in robot.links
                   if (m := _link_mesh(link, path, package_root, max_faces, max_edge_m)))
    if not meshes:
        raise KinematicsError(f"{path}: expected links with visual geometry, got none")
    actuated = tuple(j.name for j in robot.joints  # URDF order, as yourdfpy's
                     if j.type not in ("fixed", "floating", "planar") and j.mimic is None)
    return RobotModel(robot.name, path, root, tuple(link.name for link in robot.links), joints,
                      actuated, meshes)
