"""Encoding for the page: frames as JPEG, masks as coloured RGBA PNG overlays, and a
small bounded cache of encoded bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import cv2
import numpy as np

JPEG_QUALITY = 85
FILL_ALPHA = 150  # mask interior; the 2-pixel outline is opaque


def encode_jpeg(rgb: np.ndarray, *, max_width: int | None = None) -> bytes:
    """JPEG of an RGB uint8 (height, width, 3) frame, shrunk to ``max_width`` pixels wide
    (aspect kept) when it is wider."""
    h, w = rgb.shape[:2]
    if max_width is not None and 0 < max_width < w:
        size = (max_width, max(1, round(h * max_width / w)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - cv2 only fails on invalid arrays
        raise ValueError(f"expected an encodable (h, w, 3) uint8 frame, got {rgb.shape}")
    return buf.tobytes()


def overlay_png(mask: np.ndarray, rgb: tuple[int, int, int]) -> bytes:
    """RGBA PNG of a bool (height, width) mask: ``rgb`` with alpha FILL_ALPHA inside,
    opaque on the mask's inner 2-pixel border, transparent outside the mask."""
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    edge = mask & ~inner
    alpha = np.where(edge, 255, np.where(mask, FILL_ALPHA, 0)).astype(np.uint8)
    # cv2 writes BGRA
    bgra = np.empty(mask.shape + (4,), np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2] = rgb[2], rgb[1], rgb[0]
    bgra[..., 3] = alpha
    ok, buf = cv2.imencode(".png", bgra, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:  # pragma: no cover
        raise ValueError(f"expected an encodable mask, got shape {mask.shape}")
    return buf.tobytes()


class BytesCache:
    """Thread-safe least-recently-used cache of at most ``max_items`` values."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The cached value of ``key``, else ``make()`` (outside the lock), stored."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
