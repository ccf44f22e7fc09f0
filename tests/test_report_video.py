"""The overlay video: every frame, even size, frame numbers burnt in, progress reported."""

from __future__ import annotations

import av

from report_scenes import build_qa_scene
from robomask.report.video import estimate_fps, write_overlay_video


def _decode(path):
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        rate = float(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return rate, frames


def test_estimate_fps_from_millisecond_stems():
    assert estimate_fps([str(1737546126000 + 33 * i) for i in range(10)]) == 30.3
    assert estimate_fps(["00000", "00001"]) == 30.0  # 1 ms apart: not timestamps
    assert estimate_fps(["a", "b"]) == 30.0


def test_video_has_every_frame_even_size_and_labels(make_scene, tmp_path):
    fx, sc = build_qa_scene(make_scene, (), num_frames=12, size_wh=(161, 97))
    updates = []
    out = write_overlay_video(sc, fx.config, tmp_path / "v" / "scene.mp4",
                              on_progress=updates.append)
    rate, frames = _decode(out)
    assert len(frames) == 12 and frames[0].shape == (96, 160, 3)
    assert abs(rate - 30.3) < 0.1
    assert updates[-1].done == updates[-1].total == 12
    label = frames[5][8:24, 8:70].astype(int)
    assert (label.min(axis=2) > 180).sum() > 20          # white text on a black box
    assert (label.max(axis=2) < 60).sum() > 200
    assert not list(out.parent.glob(".*"))               # no temporary left behind


def test_video_width_and_colours(make_scene, tmp_path):
    fx, sc = build_qa_scene(make_scene, (), num_frames=4, size_wh=(320, 192))
    out = write_overlay_video(sc, fx.config, tmp_path / "small.mp4", width=160, fps=10)
    rate, frames = _decode(out)
    assert frames[0].shape == (96, 160, 3) and rate == 10
    # left arm (x 40..54 of 160, y 0..50) tinted red; its gripper (y 50..64) tinted blue
    arm = frames[0][30:45, 44:50].reshape(-1, 3).mean(axis=0)
    grip = frames[0][54:62, 40:50].reshape(-1, 3).mean(axis=0)
    assert arm[0] > arm[2] + 40 and grip[2] > grip[0] + 40
