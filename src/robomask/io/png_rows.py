"""Undo PNG row filters (PNG spec section 9) of 8-bit single-channel images in numpy.

Used after ISA-L's inflate for masks written by other programs (the old notebooks wrote
theirs with PIL: rows filtered None, Sub, Up and now and then Paeth), which decodes them
faster than libpng on the system zlib with the same pixels (docs/benchmarks.md).
Filtered mask rows are mostly zero, so Up rows that are all zero become copies and only
the rest are added in a row loop; Paeth rows go pixel by pixel only where the row above
changes (elsewhere Paeth predicts from the left pixel, i.e. a running sum like Sub).
"""

from __future__ import annotations

import numpy as np

_NONE, _SUB, _UP, _AVERAGE, _PAETH = range(5)


def _running_sum(row: np.ndarray) -> np.ndarray:
    """Cumulative sum of uint8 ``row`` modulo 256 (uint16 sums wrap at a multiple of 256,
    and numpy sums uint16 several times faster than uint8)."""
    return np.cumsum(row, axis=-1, dtype=np.uint16).astype(np.uint8)


def _paeth_row(filt: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Pixels of one Paeth-filtered row given the decoded row ``above``.

    Where up == upleft the predictor is the left pixel, so between the columns where the
    row above changes the pixels are the row's running sum plus a constant; only those
    columns are worked out one by one.
    """
    sums = np.cumsum(filt, dtype=np.uint16)  # wraps at 65536, a multiple of 256
    changes = np.flatnonzero(above[1:] != above[:-1]) + 1
    starts = [0]
    offsets = [0]  # pixel x = sums[x] + offset of its stretch, modulo 256
    if above[0]:
        changes = np.concatenate(([0], changes))  # upleft of column 0 is 0
    for x in changes.tolist():
        left = (int(sums[x - 1]) + offsets[-1]) & 255 if x else 0
        up, upleft = int(above[x]), int(above[x - 1]) if x else 0
        pa, pb, pc = abs(up - upleft), abs(left - upleft), abs(left + up - 2 * upleft)
        pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
        starts.append(x)
        offsets.append((pred - int(sums[x - 1]) if x else pred) & 0xFFFF)
    lengths = np.diff([*starts, len(filt)])
    return (sums + np.repeat(np.array(offsets, np.uint16), lengths)).astype(np.uint8)


def unfilter_gray8(rows: np.ndarray) -> np.ndarray | None:
    """Pixels (height, width) uint8 of a PNG's inflated scanlines ``rows`` (height,
    width + 1: filter type byte, then one byte per pixel), or None when a row uses the
    Average filter or an unknown type (the caller falls back to a full decoder)."""
    types = rows[:, 0]
    if ((types == _AVERAGE) | (types > _PAETH)).any():
        return None
    filt = rows[:, 1:]
    out = filt.copy()
    sub = np.flatnonzero(types == _SUB)
    if sub.size:
        out[sub] = _running_sum(filt[sub])
    if types[0] == _PAETH:  # no row above: Paeth predicts from the left pixel
        out[0] = _running_sum(filt[0])
    up = types == _UP
    up[0] = False  # Up from no row above leaves the row as it is
    added = up & filt.any(axis=1)
    copies = up & ~added
    later = np.flatnonzero(added | (types == _PAETH))
    later = later[later > 0]
    if not later.size and not copies.any():
        return out
    # Each row's pixels live in the last row at or above it that is not an all-zero Up row.
    source = np.maximum.accumulate(np.where(copies, 0, np.arange(len(rows))))
    kinds, sources = types.tolist(), source.tolist()  # Python ints: a cheaper loop
    for r in later.tolist():
        above = out[sources[r - 1]]
        if kinds[r] == _UP:
            np.add(above, filt[r], out=out[r])
        else:
            out[r] = _paeth_row(filt[r], above)
    copied = np.flatnonzero(copies)
    out[copied] = out[source[copied]]
    return out
