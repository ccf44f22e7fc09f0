"""Draw a synthetic robot scene: a jointed arm with a cable and a two-finger gripper
moving over a textured table, with its ground-truth arm and gripper masks.

Everything is a pure function of ``(frame_index, num_frames, size_wh, seed)``, so a
scene is the same, byte for byte, every time. Coordinates are (x, y) pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ARM_RGB = np.array([214, 216, 222], dtype=np.float32)  # light grey links
JOINT_RGB = np.array([150, 154, 165], dtype=np.float32)
CABLE_RGB = np.array([25, 30, 45], dtype=np.float32)  # dark blue-black cable
GRIPPER_RGB = np.array([60, 62, 70], dtype=np.float32)  # dark grey fingers and palm
ACCENT_RGB = np.array([230, 120, 30], dtype=np.float32)  # orange palm stripe


@dataclass(frozen=True)
class SynthFrame:
    """One drawn frame.

    Attributes:
        rgb: uint8 (h, w, 3).
        arm: bool (h, w): links, joints and cable, where not covered by the gripper.
        gripper: bool (h, w): palm and fingers.
        parts: Visible pixels (bool (h, w)) of every part a user would click once:
            ``link1`` (from the base), ``link2``, ``link3`` (the forearm) and ``cable``
            of the arm; ``palm``, ``finger1`` and ``finger2`` of the gripper.
    """

    rgb: np.ndarray
    arm: np.ndarray
    gripper: np.ndarray
    parts: dict[str, np.ndarray]


def table_texture(size_wh: tuple[int, int], seed: int) -> np.ndarray:
    """Float32 (h, w, 3) wood-grain table with a few objects on it, values 0..255."""
    w, h = size_wh
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 6)
    grain = np.sin(ys * 0.35 + 9.0 * noise + 0.002 * xs * xs / max(w, 1))
    fine = rng.normal(0, 6, (h, w)).astype(np.float32)
    base = np.array([150, 105, 65], dtype=np.float32)
    img = base + (18 * grain + fine)[..., None] * np.array([1.0, 0.8, 0.6], dtype=np.float32)
    for _ in range(4):  # blocks and cups standing on the table
        colour = rng.uniform(40, 230, 3).astype(np.float32)
        cx, cy = rng.uniform(0.08, 0.5) * w, rng.uniform(0.15, 0.9) * h
        r = rng.uniform(0.03, 0.06) * w
        if rng.random() < 0.5:
            cv2.circle(img, (int(cx), int(cy)), int(r), colour.tolist(), -1, cv2.LINE_AA)
        else:
            cv2.rectangle(img, (int(cx - r), int(cy - r)), (int(cx + r), int(cy + 0.7 * r)),
                          colour.tolist(), -1, cv2.LINE_AA)
    return img


def arm_pose(frame_index: int, num_frames: int, size_wh: tuple[int, int],
             seed: int) -> tuple[np.ndarray, float]:
    """Joint positions (4, 2) base -> shoulder -> elbow -> wrist, and the gripper opening
    in [0, 1], at ``frame_index``: smooth motions, a single arm from the right edge."""
    w, h = size_wh
    phase = np.random.default_rng(seed + 1).uniform(0, 2 * np.pi, 3)
    s = 2 * np.pi * frame_index / max(num_frames, 1)
    base = np.array([1.02 * w, 0.62 * h])
    shoulder = base + np.array([-0.12 * w, -0.05 * h])
    a1 = np.pi + 0.35 + 0.25 * np.sin(s + phase[0])  # pointing left and up
    a2 = a1 - 0.9 + 0.35 * np.sin(2 * s + phase[1])  # elbow bends down
    elbow = shoulder + 0.2 * w * np.array([np.cos(a1), np.sin(a1)])
    wrist = elbow + 0.14 * w * np.array([np.cos(a2), np.sin(a2)])
    opening = 0.5 + 0.5 * np.sin(1.5 * s + phase[2])
    return np.stack([base, shoulder, elbow, wrist]), float(opening)


def draw_frame(frame_index: int, num_frames: int, size_wh: tuple[int, int], seed: int,
               table: np.ndarray) -> SynthFrame:
    """Draw frame ``frame_index`` over ``table`` (from :func:`table_texture`)."""
    w, h = size_wh
    joints, opening = arm_pose(frame_index, num_frames, size_wh, seed)
    img = table.copy()
    thick = max(3, round(0.06 * h))
    arm = np.zeros((h, w), np.uint8)
    links = [_shaded_link(img, arm, a, b, thick)
             for a, b in zip(joints[:-1], joints[1:], strict=True)]
    for j in joints[1:-1]:
        cv2.circle(img, _pt(j), int(thick * 0.7), JOINT_RGB.tolist(), -1, cv2.LINE_AA)
        cv2.circle(arm, _pt(j), int(thick * 0.7), 1, -1)
    cable = np.zeros((h, w), np.uint8)
    points = _cable_points(joints, thick, frame_index, num_frames)
    cv2.polylines(img, [points], False, CABLE_RGB.tolist(), max(2, thick // 4), cv2.LINE_AA)
    cv2.polylines(cable, [points], False, 1, max(2, thick // 4))
    arm |= cable
    grip_parts = _draw_gripper(img, joints[-2], joints[-1], thick, opening)
    grip = np.logical_or.reduce(grip_parts)
    s = 2 * np.pi * frame_index / max(num_frames, 1)
    light = 1.0 + 0.08 * np.sin(s) + 0.04 * np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    rgb = np.clip(img * light[..., None], 0, 255).astype(np.uint8)
    covered = (cable > 0) | grip
    parts = {f"link{k + 1}": link & ~covered for k, link in enumerate(links)}
    parts["cable"] = (cable > 0) & ~grip
    parts.update(zip(("palm", "finger1", "finger2"), grip_parts, strict=True))
    return SynthFrame(rgb, (arm > 0) & ~grip, grip, parts)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _shaded_link(img: np.ndarray, arm: np.ndarray, a: np.ndarray, b: np.ndarray,
                 thick: int) -> np.ndarray:
    """A cylinder-like link: brighter along its axis, darker at its sides; its bool mask."""
    link = np.zeros(arm.shape, np.uint8)
    cv2.line(link, _pt(a), _pt(b), 1, thick)
    ys, xs = np.nonzero(link)
    d = b - a
    t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / max(float(d @ d), 1e-6), 0, 1)
    off = np.hypot(xs - (a[0] + t * d[0]), ys - (a[1] + t * d[1])) / (thick / 2)
    shade = (1.0 - 0.35 * np.clip(off, 0, 1) ** 2).astype(np.float32)
    img[ys, xs] = ARM_RGB * shade[:, None]
    arm |= link
    return link > 0


def _cable_points(joints: np.ndarray, thick: int, frame_index: int,
                  num_frames: int) -> np.ndarray:
    """A cable along the links, offset to one side, sagging a little between joints."""
    pts = []
    for a, b in zip(joints[1:-1], joints[2:], strict=True):
        d = b - a
        n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6)
        for u in np.linspace(0, 1, 12, endpoint=False):
            sag = 0.35 * thick * np.sin(np.pi * u) * (1 + 0.3 * np.sin(0.2 * frame_index))
            pts.append(a + u * d + n * (0.55 * thick + sag))
    pts.append(joints[-1] + 0.2 * (joints[-2] - joints[-1]))
    return np.round(np.array(pts)).astype(np.int32)


def _draw_gripper(img: np.ndarray, elbow: np.ndarray, wrist: np.ndarray, thick: int,
                  opening: float) -> list[np.ndarray]:
    """Palm across the wrist and two fingers ahead of it; their bool masks (palm first)."""
    d = (wrist - elbow) / max(float(np.hypot(*(wrist - elbow))), 1e-6)
    n = np.array([-d[1], d[0]])
    masks = []
    palm_half, palm_len = 1.3 * thick, 0.8 * thick
    palm = np.array([wrist + n * palm_half, wrist - n * palm_half,
                     wrist - n * palm_half + d * palm_len, wrist + n * palm_half + d * palm_len])
    parts = [palm]
    gap = (0.25 + 0.85 * opening) * thick
    finger_w, finger_len = 0.35 * thick, 1.4 * thick
    for side in (1, -1):
        root = wrist + d * palm_len + side * n * gap
        parts.append(np.array([root, root + side * n * finger_w,
                               root + side * n * finger_w + d * finger_len, root + d * finger_len]))
    for k, poly in enumerate(parts):
        p = np.round(poly).astype(np.int32)
        cv2.fillConvexPoly(img, p, GRIPPER_RGB.tolist(), cv2.LINE_AA)
        masks.append(np.zeros(img.shape[:2], np.uint8))
        cv2.fillConvexPoly(masks[-1], p, 1)
        if k == 0:
            stripe = np.round(wrist + d * palm_len * 0.4 + np.outer([-1, 1], n) * palm_half * 0.8)
            cv2.line(img, _pt(stripe[0]), _pt(stripe[1]), ACCENT_RGB.tolist(),
                     max(1, thick // 5), cv2.LINE_AA)
    return [m > 0 for m in masks]
