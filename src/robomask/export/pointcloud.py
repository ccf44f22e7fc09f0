"""Depth images to coloured point clouds: back-projection, binary PLY, points near a robot.

Points are in the camera's optical frame (x right, y down, z forward), metres. The
depth image is taken as registered to the colour frame (same size, same pixels), as
the RISE / AirExo layout stores it.
"""

from __future__ import annotations

import cv2
import numpy as np

_PLY_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                       ("red", "u1"), ("green", "u1"), ("blue", "u1")])


def back_project(depth_m: np.ndarray, K: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """float32 (N, 3) points (x, y, z) in metres of the pixels where ``keep`` is True.

    Args:
        depth_m: float (height, width) depth in metres; 0 = no measurement.
        K: 3x3 intrinsics (fx, fy, cx, cy in pixels).
        keep: bool (height, width): pixels to turn into points.
    """
    ys, xs = np.nonzero(keep)
    z = depth_m[ys, xs].astype(np.float32)
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    return np.stack([(xs - cx) * z / fx, (ys - cy) * z / fy, z], axis=1).astype(np.float32)


def encode_ply(points_xyz: np.ndarray, colors_rgb: np.ndarray, *, comment: str = "") -> bytes:
    """A binary little-endian PLY of float32 (N, 3) points and uint8 (N, 3) RGB colours."""
    n = len(points_xyz)
    header = ["ply", "format binary_little_endian 1.0"]
    header += [f"comment {comment}"] if comment else []
    header += [f"element vertex {n}", "property float x", "property float y",
               "property float z", "property uchar red", "property uchar green",
               "property uchar blue", "end_header"]
    body = np.empty(n, _PLY_DTYPE)
    body["x"], body["y"], body["z"] = points_xyz.T
    body["red"], body["green"], body["blue"] = colors_rgb.T
    return ("\n".join(header) + "\n").encode("ascii") + body.tobytes()


def near_robot(depth_m: np.ndarray, robot: np.ndarray, K: np.ndarray,
               distance_m: float) -> np.ndarray:
    """Pixels whose point lies within ``distance_m`` of the robot's surface.

    The robot's surface is where the rendered silhouette ``robot`` meets a measured depth.
    Each pixel is compared, in 3-D, with the silhouette pixel nearest to it in the image
    (only pixels within the image radius that ``distance_m`` spans at the robot's
    nearest depth can qualify). Silhouette pixels themselves are always included.

    Args:
        depth_m: float (height, width) depth in metres; 0 = no measurement.
        robot: bool (height, width) rendered robot silhouette.
        K: 3x3 intrinsics.
        distance_m: Distance in metres.

    Returns:
        bool (height, width).
    """
    out = robot.copy()
    seen = robot & (depth_m > 0)
    if not seen.any():
        return out
    dist_px, labels = cv2.distanceTransformWithLabels(
        (~seen).view(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    ry, rx = np.nonzero(seen)
    index_of = np.zeros(int(labels.max()) + 1, np.int64)
    index_of[labels[ry, rx]] = np.arange(len(ry))
    radius_px = distance_m * max(K[0, 0], K[1, 1]) / float(depth_m[seen].min())
    cand = (dist_px <= radius_px) & (depth_m > 0) & ~robot
    ys, xs = np.nonzero(cand)
    if len(ys) == 0:
        return out
    k = index_of[labels[ys, xs]]
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    z, zr = depth_m[ys, xs], depth_m[ry[k], rx[k]]
    d2 = (((xs - cx) * z - (rx[k] - cx) * zr) / fx) ** 2 + \
        (((ys - cy) * z - (ry[k] - cy) * zr) / fy) ** 2 + (z - zr) ** 2
    out[ys, xs] = d2 <= distance_m ** 2
    return out
