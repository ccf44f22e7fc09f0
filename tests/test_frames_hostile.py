"""Hostile frame folders and videos: odd names, tiny frames, audio-only and damaged
mp4s, JPEGs named .png. Each is read or refused with one line naming the file or
frame; `check` and `run` agree."""

from __future__ import annotations

import shutil

import av
import cv2
import numpy as np
import pytest

from cli_run import run_cli
from robomask.errors import FrameError, SceneError
from robomask.io.frames import FolderFrames, open_frames
from robomask.report.video import estimate_fps


def _noise_png(path, size_wh=(32, 24), seed=0) -> None:
    w, h = size_wh
    img = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)


def test_names_that_isdigit_accepts_but_int_refuses_sort_by_name(tmp_path):
    for i, name in enumerate(["--5", "\u00b2", "7", "-3"]):
        _noise_png(tmp_path / f"{name}.png", seed=i)
    frames = FolderFrames(tmp_path)
    assert frames.stems == sorted(["--5", "\u00b2", "7", "-3"])
    assert frames[1].shape == (24, 32, 3)
    assert estimate_fps(["\u00b2", "33"]) == 30.0  # not a timestamp: the default


@pytest.mark.parametrize("size_wh", [(1, 1), (2, 2), (4, 4), (15, 64)])
def test_frames_below_the_minimum_size_are_refused(tmp_path, size_wh):
    _noise_png(tmp_path / "0.png", size_wh)
    with pytest.raises(FrameError, match=r"0\.png \(frame 0\): expected frames of 16x16"):
        FolderFrames(tmp_path)


def test_jpeg_saved_as_png_is_read_not_called_truncated(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    (tmp_path / "0.png").write_bytes(buf.tobytes())
    _noise_png(tmp_path / "1.png")
    frames = FolderFrames(tmp_path)
    frames.check_sizes(checksums=True)
    assert frames[0].shape == (24, 32, 3)


def _write_mp4(path, n=30, size_wh=(96, 64), audio_only=False) -> None:
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        if audio_only:
            stream = out.add_stream("aac", rate=16000)
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                               layout="mono")
            frame.sample_rate = 16000
            for _ in range(5):
                for packet in stream.encode(frame):
                    out.mux(packet)
        else:
            stream = out.add_stream("mpeg4", rate=10)
            stream.width, stream.height, stream.pix_fmt = *size_wh, "yuv420p"
            for _ in range(n):
                img = rng.integers(0, 255, (size_wh[1], size_wh[0], 3), dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_audio_only_mp4_is_one_line(tmp_path):
    path = tmp_path / "color.mp4"
    _write_mp4(path, audio_only=True)
    with pytest.raises(SceneError, match=r"color\.mp4: expected a video stream, got audio only"):
        open_frames(path)


@pytest.fixture
def damaged_mp4_scene(make_scene):
    sc = make_scene(with_ckpt=False, backend="opencv")  # a backend that reads the pixels
    shutil.rmtree(sc.frames_dir)
    video = sc.camera_dir / "color.mp4"
    _write_mp4(video, n=30)
    data = bytearray(video.read_bytes())
    n = len(data)
    data[n // 3:n // 2] = np.random.default_rng(1).integers(0, 256, n // 2 - n // 3,
                                                            dtype=np.uint8).tobytes()
    video.write_bytes(bytes(data))
    return sc


def test_mp4_with_garbage_in_the_middle_names_its_frames(damaged_mp4_scene):
    frames = open_frames(damaged_mp4_scene.camera_dir / "color.mp4")
    failed = []
    for i in range(len(frames)):
        try:
            frames[i]
        except FrameError as exc:
            failed.append(i)
            assert f"(frame {i}): expected a cleanly decoded frame" in exc.message
    assert failed and failed[0] > 0 and failed[-1] < len(frames) - 1  # the middle only


def test_check_decode_and_run_agree_on_a_damaged_mp4(damaged_mp4_scene, capsys):
    sc = damaged_mp4_scene
    args = ["--config", str(sc.config_path), "--scene", sc.name]
    code, out = run_cli(["check", *args, "--decode"], capsys)
    assert code == 1 and "frames failed to decode" in out and "color.mp4 (frame" in out
    code, out = run_cli(["run", *args], capsys)
    assert code == 1 and "color.mp4 (frame" in out and "cleanly decoded" in out
