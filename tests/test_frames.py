"""io/frames.py: frame order, ignored files, checks, and .mp4 sources via PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from robomask.errors import FrameError, SceneError
from robomask.io.frames import FolderFrames, VideoFileFrames, open_frames, sort_frame_names


def write_frame(path: Path, value: int, size_wh: tuple[int, int] = (32, 24)) -> None:
    w, h = size_wh
    img = np.full((h, w, 3), value, np.uint8)
    img[0, 0] = (0, 0, 255)  # BGR red: checks the RGB order on read
    assert cv2.imwrite(str(path), img)


def test_integer_stems_sort_by_value():
    assert sort_frame_names(["1000.png", "999.png", "10000.png", "1001.png"]) == [
        "999.png", "1000.png", "1001.png", "10000.png"]


def test_other_stems_sort_by_name():
    assert sort_frame_names(["frame_10.png", "frame_9.png", "frame_1.png"]) == [
        "frame_1.png", "frame_10.png", "frame_9.png"]
    # One non-integer stem switches the whole folder to name order.
    assert sort_frame_names(["999.png", "1000.png", "cover.png"]) == [
        "1000.png", "999.png", "cover.png"]


def test_folder_order_stems_and_ignored_files(tmp_path):
    for k, stem in enumerate(["1737546126999", "1737546127000", "1737546126033"]):
        write_frame(tmp_path / f"{stem}.png", 10 * (k + 1))
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "meta.json").write_text("{}")
    (tmp_path / ".hidden.png").write_bytes(b"ignored")
    (tmp_path / "depth").mkdir()
    write_frame(tmp_path / "depth" / "1.png", 0)
    frames = open_frames(tmp_path)
    assert isinstance(frames, FolderFrames)
    assert frames.stems == ["1737546126033", "1737546126999", "1737546127000"]
    assert len(frames) == 3 and frames.size_wh == (32, 24)
    assert [int(f[5, 5, 0]) for f in frames] == [30, 10, 20]
    first = frames[0]
    assert first.shape == (24, 32, 3) and first.dtype == np.uint8
    assert first[0, 0].tolist() == [255, 0, 0]  # RGB
    assert "1737546126033.png" in frames.describe(0) and "frame 0" in frames.describe(0)
    with pytest.raises(IndexError):
        frames[3]


def test_jpg_and_uppercase_suffixes(tmp_path):
    write_frame(tmp_path / "a.jpg", 100)
    write_frame(tmp_path / "b.JPEG", 100)
    write_frame(tmp_path / "c.PNG", 100)
    frames = FolderFrames(tmp_path)
    assert frames.stems == ["a", "b", "c"]
    frames.check_sizes()
    assert abs(int(frames[1][10, 10, 1]) - 100) <= 3


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(SceneError, match="nothing there"):
        FolderFrames(tmp_path / "missing")
    (tmp_path / "readme.md").write_text("x")
    with pytest.raises(SceneError, match=r"got none"):
        FolderFrames(tmp_path)


def test_check_sizes_catches_odd_sizes_and_truncation(tmp_path):
    for i in range(5):
        write_frame(tmp_path / f"{i}.png", 50)
    frames = FolderFrames(tmp_path)
    frames.check_sizes()
    data = (tmp_path / "3.png").read_bytes()
    (tmp_path / "3.png").write_bytes(data[: len(data) - 20])
    with pytest.raises(FrameError, match=r"3\.png \(frame 3\).*truncated"):
        FolderFrames(tmp_path).check_sizes()
    write_frame(tmp_path / "3.png", 50)
    write_frame(tmp_path / "2.png", 50, size_wh=(16, 24))
    write_frame(tmp_path / "4.png", 50, size_wh=(8, 8))
    with pytest.raises(FrameError, match=r"2\.png \(frame 2\): expected 32x24 .* got 16x24"):
        FolderFrames(tmp_path).check_sizes()


def test_truncated_jpeg_is_caught(tmp_path):
    write_frame(tmp_path / "0.jpg", 50)
    write_frame(tmp_path / "1.jpg", 50)
    FolderFrames(tmp_path).check_sizes()
    data = (tmp_path / "1.jpg").read_bytes()
    (tmp_path / "1.jpg").write_bytes(data[: len(data) - 40])
    with pytest.raises(FrameError, match="truncated"):
        FolderFrames(tmp_path).check_sizes()


def test_corrupt_frame_raises_frame_error_on_read(tmp_path):
    write_frame(tmp_path / "0.png", 50)
    (tmp_path / "1.png").write_bytes(b"garbage")
    frames = FolderFrames(tmp_path)
    with pytest.raises(FrameError, match=r"1\.png \(frame 1\)"):
        frames[1]
    with pytest.raises(FrameError, match=r"1\.png \(frame 1\)"):
        frames.check_sizes()
    (tmp_path / "0.png").write_bytes(b"garbage")
    with pytest.raises(FrameError, match=r"0\.png \(frame 0\)"):
        FolderFrames(tmp_path)


def write_mp4(path: Path, n: int, size_wh: tuple[int, int] = (64, 48), gop: int = 5) -> None:
    """Frame i is a flat grey of value 10 * i + 20, so that decoded frames identify."""
    w, h = size_wh
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.gop_size = gop
        stream.options = {"qscale": "2"}
        for i in range(n):
            img = np.full((h, w, 3), 10 * i + 20, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def grey(frame: np.ndarray) -> int:
    return int(round(float(frame.mean())))


def test_mp4_length_size_and_random_access(tmp_path):
    path = tmp_path / "color.mp4"
    write_mp4(path, 20)
    frames = open_frames(path)
    assert isinstance(frames, VideoFileFrames)
    assert len(frames) == 20 and frames.size_wh == (64, 48)
    assert frames.stems[:2] == ["00000", "00001"] and len(frames.stems) == 20
    expected = [10 * i + 20 for i in range(20)]
    for i in [7, 2, 19, 0, 13, 12, 6]:  # forward, backward, across keyframes
        f = frames[i]
        assert f.shape == (48, 64, 3) and f.dtype == np.uint8
        assert abs(grey(f) - expected[i]) < 5, (i, grey(f))  # frames are 10 apart
    assert [abs(grey(f) - e) < 5 for f, e in zip(frames, expected, strict=True)] == [True] * 20
    with pytest.raises(IndexError):
        frames[20]
    frames.close()


def test_mp4_forward_jump_seeks_instead_of_decoding_every_frame_between(tmp_path):
    path = tmp_path / "color.mp4"
    write_mp4(path, 20, gop=5)
    frames = VideoFileFrames(path)
    frames[1]
    seeks, seek = [], frames._seek
    frames._seek = lambda i: (seeks.append(i), seek(i))[1]
    assert abs(grey(frames[17]) - 190) < 5  # keyframe 15 is ahead of the decoder: seek
    assert abs(grey(frames[18]) - 200) < 5  # next frame: decode on
    assert abs(grey(frames[19]) - 210) < 5
    assert seeks == [17]
    frames.close()


def test_unreadable_mp4(tmp_path):
    bad = tmp_path / "color.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(FrameError, match="color.mp4"):
        open_frames(bad)
    with pytest.raises(SceneError, match="nothing there"):
        open_frames(tmp_path / "missing.mp4")
