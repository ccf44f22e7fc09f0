"""io/png_rows.py via decode_png: PNGs with every row filter decode to the pixels
libpng (OpenCV) and PIL give, byte for byte."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from robomask.errors import MaskStoreError
from robomask.io.maskstore import MaskStore, decode_png


def _filtered(img: np.ndarray, types: list[int]) -> bytes:
    """Scanlines of uint8 (height, width) ``img``, row r filtered with ``types[r]``."""
    out, above = [], np.zeros(img.shape[1], np.int32)
    for row, kind in zip(img.astype(np.int32), types, strict=True):
        left = np.concatenate(([0], row[:-1]))
        upleft = np.concatenate(([0], above[:-1]))
        p = left + above - upleft
        pa, pb, pc = abs(p - left), abs(p - above), abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, upleft))
        pred = [0, left, above, (left + above) // 2, paeth][kind]
        out.append(bytes([kind]) + ((row - pred) & 255).astype(np.uint8).tobytes())
        above = row
    return b"".join(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body))


def png_with_filters(img: np.ndarray, types: list[int], idat_parts: int = 2) -> bytes:
    """An 8-bit grayscale PNG of ``img`` with chosen row filters, IDAT split in parts."""
    h, w = img.shape
    stream = zlib.compress(_filtered(img, types), 6)
    step = -(-len(stream) // idat_parts)
    idats = b"".join(_chunk(b"IDAT", stream[i:i + step]) for i in range(0, len(stream), step))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + idats + _chunk(b"IEND", b""))


def libpng(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def images(seed: int) -> list[np.ndarray]:
    """Masks and noise of odd and even widths, all-zero and all-255 ones among them."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((23, 37), np.uint8)
    mask[4:15, 3:20] = 255
    mask[rng.integers(0, 23, 40), rng.integers(0, 37, 40)] = 255
    return [mask, mask[:, :36], np.zeros((9, 13), np.uint8), np.full((9, 14), 255, np.uint8),
            rng.integers(0, 256, (40, 63), np.uint8), rng.integers(0, 256, (1, 1), np.uint8),
            np.where(rng.random((12, 5)) < 0.5, 0, 255).astype(np.uint8)]


@pytest.mark.parametrize("kinds", [[0], [1], [2], [3], [4], [0, 1, 2, 4], [0, 1, 2, 3, 4]])
def test_every_filter_type_gives_libpngs_pixels(kinds):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        for img in images(seed):
            types = rng.choice(kinds, img.shape[0]).tolist()
            data = png_with_filters(img, types)
            got = decode_png(data)
            np.testing.assert_array_equal(libpng(data), img)
            assert got.dtype == np.uint8 and got.shape == img.shape
            np.testing.assert_array_equal(got, img, err_msg=f"filters {types}")


def test_pil_and_opencv_written_pngs_decode_as_they_do():
    for seed in range(3):
        for img in images(seed):
            for level in (1, 6, 9):
                buf = io.BytesIO()
                Image.fromarray(img, "L").save(buf, "PNG", compress_level=level)
                data = buf.getvalue()
                got = decode_png(data)
                np.testing.assert_array_equal(got, np.asarray(Image.open(io.BytesIO(data))))
                np.testing.assert_array_equal(got, libpng(data))
            ok, enc = cv2.imencode(".png", img)
            assert ok
            np.testing.assert_array_equal(decode_png(enc.tobytes()), img)


def test_corrupt_notebook_png_gives_the_one_line_error(tmp_path):
    s = MaskStore(tmp_path, size_wh=(37, 23), stems=["0"])
    img = images(0)[0]
    Image.fromarray(img, "L").save(s.path(0))
    data = s.path(0).read_bytes()
    s.path(0).write_bytes(data[:60] + bytes([data[60] ^ 0xFF]) + data[61:])
    with pytest.raises(MaskStoreError, match=r"00000\.png: expected a mask PNG for frame 0, "
                                             r"got a corrupt or unreadable file"):
        s.read(0)
