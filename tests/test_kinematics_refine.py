"""Edge refinement of a rendered mask: onto the edges, never farther than the radius."""

from __future__ import annotations

import cv2
import numpy as np

from robomask.kinematics.refine import refine_objects, refine_to_edges
from robomask.masks import mask_iou


def scene(shift_px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A light bar on a dark textured table, its true mask, and a render off by shift."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(20, 70, (120, 160, 3), dtype=np.uint8)
    truth = np.zeros((120, 160), bool)
    truth[40:80, 30:130] = True
    rgb[truth] = (210, 212, 220)
    return rgb, truth, np.roll(truth, (shift_px, shift_px), axis=(0, 1))


def test_outline_moves_onto_the_edges_within_the_radius():
    rgb, truth, render = scene(3)
    refined = refine_to_edges(rgb, render, 5)
    assert mask_iou(render, truth) < 0.9
    assert mask_iou(refined, truth) > 0.97
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))
    assert not (refined & ~(cv2.dilate(render.view(np.uint8), disk) > 0)).any()
    assert (refined | ~(cv2.erode(render.view(np.uint8), disk) > 0)).all()
    assert refine_to_edges(rgb, render, 0) is render


def test_objects_keep_their_pixels_and_share_the_gain():
    rgb, truth, render = scene(3)
    left, right = render.copy(), render.copy()
    left[:, 80:] = False
    right[:, :80] = False
    out = refine_objects(rgb, {0: left, 3: right}, 5)
    assert not (out[0] & out[3]).any()
    assert mask_iou(out[0] | out[3], truth) > 0.97
    assert out[0][:, 90:].sum() == 0 and out[3][:, :70].sum() == 0
