"""A folder of per-frame binary masks: 8-bit single-channel PNGs holding 0 or 255.

Files are named ``00000.png`` by frame index (SPEC section 2) or after the source
frame's stem (``1737546126606.png``) with ``naming="source_stem"``. Every write is
atomic, so a file that exists is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from robomask.errors import MaskStoreError
from robomask.io.atomic import remove_stale_temporaries, write_bytes

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
        write_bytes(self.path(frame_index), encode_png(mask))

    def read(self, frame_index: int) -> np.ndarray:
        """Bool (height, width) mask of ``frame_index``; any non-zero pixel is True."""
        p = self.path(frame_index)
        img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if img is None:
            what = "nothing there" if not p.exists() else "a corrupt or unreadable file"
            raise MaskStoreError(f"{p}: expected a mask PNG for frame {frame_index}, got {what}")
        if img.ndim == 3:
            img = img.max(axis=2)
        w, h = self.size_wh
        if img.shape != (h, w):
            raise MaskStoreError(
                f"{p}: expected a {w}x{h} mask like the frames, got {img.shape[1]}x{img.shape[0]}"
            )
        return img > 0
