"""robomask.masks.mask_iou: the score behind the demo's and the benchmarks' floors."""

from __future__ import annotations

import numpy as np
import pytest

from robomask.masks import mask_iou


def _mask(rows: list[str]) -> np.ndarray:
    return np.array([[c == "#" for c in r] for r in rows], bool)


def test_iou_of_overlapping_masks_is_intersection_over_union():
    a = _mask(["##..",
               "##.."])
    b = _mask([".##.",
               ".##."])
    # intersection: 2 pixels (column 1); union: 6 pixels (columns 0..2)
    assert mask_iou(a, b) == pytest.approx(2 / 6)
    assert mask_iou(b, a) == pytest.approx(2 / 6)


def test_iou_extremes():
    a = _mask(["#...", ".#.."])
    empty = np.zeros((2, 4), bool)
    assert mask_iou(a, a) == 1.0
    assert mask_iou(a, ~a) == 0.0
    assert mask_iou(a, empty) == 0.0 and mask_iou(empty, a) == 0.0
    assert mask_iou(empty, empty) == 1.0  # nothing to find and nothing found: a match


def test_iou_counts_pixels_not_values_on_a_large_mask():
    truth = np.zeros((360, 640), bool)
    truth[100:200, 100:300] = True                     # 100 x 200 = 20000 px
    pred = np.zeros_like(truth)
    pred[150:250, 100:300] = True                      # shifted down by half
    # intersection 50 x 200 = 10000, union 150 x 200 = 30000
    assert mask_iou(pred, truth) == pytest.approx(1 / 3)
    assert isinstance(mask_iou(pred, truth), float)
