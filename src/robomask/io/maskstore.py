"""A folder of per-frame binary masks: 8-bit single-channel PNGs holding 0 or 255.

Files are named ``00000.png`` by frame index (SPEC section 2) or after the source
frame's stem (``1737546126606.png``) with ``naming="source_stem"``. Every write is
atomic, so a file that exists is complete.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from isal import isal_zlib

from robomask.errors import MaskStoreError
from robomask.io.atomic import remove_stale_temporaries, write_bytes
from robomask.io.png_rows import unfilter_gray8

MaskNaming = Literal["index", "source_stem"]

# zlib level 1 and no PNG row filter: masks are mostly flat, so this gives files of about
# the same size several times faster to encode and to decode than libpng's adaptive filters
# (see docs/benchmarks.md; the pixels are the same). OpenCV < 4.12 cannot choose the filter.
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]


def encode_png(mask: np.ndarray) -> bytes:
    """Encode a bool or 0/255 (height, width) mask as an 8-bit grayscale PNG."""
    u8 = mask.view(np.uint8) * 255 if mask.dtype == bool else mask.astype(np.uint8)
    ok, buf = cv2.imencode(".png", u8, _PNG_PARAMS)
    if not ok:  # pragma: no cover - cv2 only fails on invalid arrays
        raise MaskStoreError(f"expected an encodable mask, got shape {mask.shape}")
    return buf.tobytes()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _decode_gray8(data: bytes) -> np.ndarray | None:
    """Pixels of an 8-bit grayscale, non-interlaced PNG, or None for any other PNG.

    The IDAT stream is inflated with ISA-L, ~3x faster than the system zlib under libpng,
    and the rows unfiltered in numpy (:mod:`robomask.io.png_rows`). A PNG as
    :func:`encode_png` writes it (no row filters) is its pixels behind that stream, ~10x
    faster than libpng; the old notebooks' PNGs (PIL, filtered rows) 1.3-2.6x
    (docs/benchmarks.md). zlib's checksum catches a corrupt stream.
    """
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 33:
        return None
    w, h, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if (depth, color, interlace) != (8, 0, 0):
        return None
    idat, pos = [], 33
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + length])
        elif kind == b"IEND":
            break
        pos += 12 + length
    try:
        raw = isal_zlib.decompress(b"".join(idat))
    except isal_zlib.error:
        return None
    if len(raw) != h * (w + 1) or not h * w:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(h, w + 1)
    return rows[:, 1:] if not rows[:, 0].any() else unfilter_gray8(rows)


def decode_png(data: bytes) -> np.ndarray | None:
    """Decode a mask image: uint8 (height, width) or (height, width, channels); None
    when the bytes are not a readable image. 8-bit grayscale PNGs (robomask's own, the
    notebooks' written by PIL) take a fast path; any other file (RGB masks, 16-bit,
    interlaced, Average-filtered rows, ...) goes through OpenCV."""
    img = _decode_gray8(data)
    if img is None and data:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return img


class MaskStore:
    """Read and write the masks of one stage of one scene.

    Args:
        root: The folder, e.g. ``{export_base_dir}/{task}/{scene}_ckpt_arm``.
        size_wh: (width, height) every mask must have, in pixels.
        stems: Source frame stems in frame order; one per frame.
        naming: ``"index"`` (00000.png) or ``"source_stem"``.
    """

    def __init__(self, root: Path, *, size_wh: tuple[int, int], stems: Sequence[str],
                 naming: MaskNaming = "index") -> None:
        if naming not in ("index", "source_stem"):
            raise MaskStoreError(f"mask_naming: expected 'index' or 'source_stem', got {naming!r}")
        self.root = Path(root)
        self.size_wh = size_wh
        self.stems = list(stems)
        self.naming = naming

    def __len__(self) -> int:
        return len(self.stems)

    def path(self, frame_index: int) -> Path:
        """File of ``frame_index``."""
        name = f"{frame_index:05d}" if self.naming == "index" else self.stems[frame_index]
        return self.root / f"{name}.png"

    def has(self, frame_index: int) -> bool:
        return self.path(frame_index).is_file()

    def missing(self) -> list[int]:
        """Frame indices that have no mask yet."""
        present = {p.name for p in self.root.glob("*.png")} if self.root.is_dir() else set()
        return [i for i in range(len(self)) if self.path(i).name not in present]

    def is_complete(self) -> bool:
        return not self.missing()

    def prepare(self) -> None:
        """Create the folder and drop temporaries a killed run left behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(self.root)

    def write(self, frame_index: int, mask: np.ndarray) -> None:
        """Write a bool (height, width) mask atomically."""
        w, h = self.size_wh
        if mask.shape != (h, w):
            raise MaskStoreError(
                f"{self.path(frame_index)}: expected a mask of shape ({h}, {w}), "
                f"got {mask.shape}"
            )
        try:
            write_bytes(self.path(frame_index), encode_png(mask))
        except OSError as exc:
            raise MaskStoreError(f"{self.path(frame_index)}: expected to write the mask of "
                                 f"frame {frame_index}, got {exc.strerror or exc}",
                                 hint="check free disk space and the folder's permissions"
                                 ) from exc

    def read(self, frame_index: int) -> np.ndarray:
        """Bool (height, width) mask of ``frame_index``; any non-zero pixel is True."""
        p = self.path(frame_index)
        img, what = None, "a corrupt or unreadable file"
        try:
            img = decode_png(p.read_bytes())
        except FileNotFoundError:
            what = "nothing there"
        except OSError as exc:
            what = f"an unreadable file ({exc.strerror})"
        if img is None:
            raise MaskStoreError(f"{p}: expected a mask PNG for frame {frame_index}, got {what}")
        if img.ndim == 3:
            img = img.max(axis=2)
        w, h = self.size_wh
        if img.shape != (h, w):
            raise MaskStoreError(
                f"{p}: expected a {w}x{h} mask like the frames, got {img.shape[1]}x{img.shape[0]}"
            )
        return img > 0
