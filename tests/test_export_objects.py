"""export/objects.py: a session's union mask given back to its objects."""

from __future__ import annotations

import numpy as np

from robomask.export.objects import Region, half_regions, split_union
from robomask.io.objstats import stats_of
from robomask.masks import FrameMasks


def test_split_gives_back_separate_objects_exactly():
    a = np.zeros((40, 60), bool)
    b = np.zeros((40, 60), bool)
    a[5:15, 5:20] = True
    b[20:35, 30:55] = True
    regions = [Region(r.obj_id, (r.x0, r.y0, r.x1, r.y1), (r.cx, r.cy))
               for r in stats_of(FrameMasks(0, (60, 40), {2: a, 3: b}), [2, 3])]
    out = split_union(a | b, regions)
    np.testing.assert_array_equal(out[2], a)
    np.testing.assert_array_equal(out[3], b)


def test_touching_objects_split_by_box_then_nearest_centroid():
    a = np.zeros((20, 40), bool)
    b = np.zeros((20, 40), bool)
    a[5:15, 2:20] = True
    b[5:15, 20:38] = True       # touches a: one connected part
    regions = [Region(2, (2, 5, 20, 15), (10.5, 9.5)), Region(3, (18, 5, 38, 15), (28.5, 9.5))]
    out = split_union(a | b, regions)
    assert not (out[2] & out[3]).any()
    np.testing.assert_array_equal(out[2] | out[3], a | b)
    np.testing.assert_array_equal(out[2][:, :18], a[:, :18])   # inside only a's box
    np.testing.assert_array_equal(out[3][:, 20:], b[:, 20:])   # inside only b's box
    assert out[2][5:15, 18:20].all()   # in both boxes: nearer to a's centroid


def test_half_regions_left_to_right_and_single_object():
    regions = half_regions([7, 9], (100, 10))
    assert [r.box for r in regions] == [(0, 0, 50, 10), (50, 0, 100, 10)]
    m = np.zeros((10, 100), bool)
    m[2:5, 10:20] = m[2:5, 70:90] = True
    out = split_union(m, regions)
    assert out[7][:, :50].sum() == 30 and out[9][:, 50:].sum() == 60
    assert split_union(m, half_regions([7], (100, 10)))[7].sum() == 90
    assert split_union(m, []) == {}
