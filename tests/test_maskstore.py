"""io/maskstore.py: the SPEC's mask format, naming, atomic writes, and reading any PNG."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from robomask.errors import MaskStoreError
from robomask.io.maskstore import MaskStore, decode_png, encode_png

W, H = 40, 30


def blob(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = np.zeros((H, W), bool)
    m[5:20, 3:30] = True
    m[rng.integers(0, H, 30), rng.integers(0, W, 30)] = True
    return m


def store(tmp_path, naming="index", n=4) -> MaskStore:
    return MaskStore(tmp_path / "masks", size_wh=(W, H), stems=[str(1000 + 33 * i) for i in
                                                                range(n)], naming=naming)


def test_round_trip_and_file_format(tmp_path):
    s = store(tmp_path)
    s.prepare()
    m = blob()
    s.write(2, m)
    assert s.path(2).name == "00002.png"
    np.testing.assert_array_equal(s.read(2), m)
    with Image.open(s.path(2)) as im:
        assert (im.format, im.mode, im.size) == ("PNG", "L", (W, H))
        arr = np.asarray(im)
    assert set(np.unique(arr).tolist()) == {0, 255}
    np.testing.assert_array_equal(arr == 255, m)
    assert list(s.root.iterdir()) == [s.path(2)]  # no temporary left behind


def test_source_stem_naming(tmp_path):
    s = store(tmp_path, naming="source_stem")
    s.write(1, blob())
    assert s.path(1).name == "1033.png" and s.has(1) and not s.has(0)
    with pytest.raises(MaskStoreError, match="mask_naming"):
        MaskStore(tmp_path, size_wh=(W, H), stems=["a"], naming="timestamp")


def test_missing_has_and_stale_temporaries(tmp_path):
    s = store(tmp_path)
    assert s.missing() == [0, 1, 2, 3] and not s.is_complete()
    for i in (0, 3):
        s.write(i, blob(i))
    stale = s.root / ".00001.png.999.tmp"
    stale.write_bytes(b"partial")
    assert s.missing() == [1, 2] and not s.has(1)
    s.prepare()
    assert not stale.exists()
    s.write(1, blob(1))
    s.write(2, blob(2))
    assert s.is_complete()


def test_write_rejects_wrong_shape(tmp_path):
    with pytest.raises(MaskStoreError, match=r"00000\.png.*\(30, 40\).*\(40, 30\)"):
        store(tmp_path).write(0, np.zeros((W, H), bool))


def test_reads_masks_written_by_other_tools(tmp_path):
    """Notebook masks (PIL, filtered rows), cv2 defaults, RGB and 0/1 masks all read."""
    s = store(tmp_path)
    s.prepare()
    m = blob()
    u8 = m.astype(np.uint8) * 255
    Image.fromarray(u8, "L").save(s.path(0))
    cv2.imwrite(str(s.path(1)), u8)
    cv2.imwrite(str(s.path(2)), np.dstack([np.zeros_like(u8), u8, np.zeros_like(u8)]))
    Image.fromarray(m.astype(np.uint8), "L").save(s.path(3))  # 0/1 values
    for i in range(4):
        np.testing.assert_array_equal(s.read(i), m, err_msg=f"mask {i}")


def test_fast_decoder_agrees_with_opencv():
    for seed in range(5):
        m = blob(seed)
        data = encode_png(m)
        fast = decode_png(data)
        ref = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(fast, ref)
        np.testing.assert_array_equal(fast == 255, m)
    # A PNG with several IDAT chunks (PIL splits them) and 16-bit PNGs decode too.
    buf = io.BytesIO()
    Image.fromarray(blob().astype(np.uint8) * 255, "L").save(buf, "PNG", compress_level=0)
    np.testing.assert_array_equal(decode_png(buf.getvalue()) == 255, blob())
    ok, png16 = cv2.imencode(".png", blob().astype(np.uint16) * 65535)
    assert ok and decode_png(png16.tobytes()).dtype == np.uint16


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "not_png"])
def test_corrupt_masks_raise_naming_file_and_frame(tmp_path, damage):
    s = store(tmp_path)
    s.write(1, blob())
    data = s.path(1).read_bytes()
    bad = {"truncated": data[: len(data) // 2],
           "flipped": data[:60] + bytes([data[60] ^ 0xFF]) + data[61:],
           "empty": b"",
           "not_png": b"GIF89a not a png"}[damage]
    s.path(1).write_bytes(bad)
    with pytest.raises(MaskStoreError, match=r"00001\.png: expected a mask PNG for frame 1, "
                                             r"got a corrupt or unreadable file"):
        s.read(1)


def test_missing_and_wrong_size_masks(tmp_path):
    s = store(tmp_path)
    with pytest.raises(MaskStoreError, match=r"00000\.png.*frame 0, got nothing there"):
        s.read(0)
    s.root.mkdir(parents=True)
    cv2.imwrite(str(s.path(0)), np.zeros((10, 12), np.uint8))
    with pytest.raises(MaskStoreError, match=r"expected a 40x30 mask like the frames, got 12x10"):
        s.read(0)
