"""Cheap structural checks of PNG and JPEG frame files, without decoding them.

The format is told by the file's first bytes, not its suffix (a JPEG saved as
``.png`` is a JPEG). :func:`end_problem` reads the last KiB for the end marker, which a
copy or a write cut short lacks. :func:`png_checksum_problem` reads the whole file and
checks every chunk's CRC-32, which catches corrupted PNG data (JPEG has no checksums:
only decoding can tell, ``robomask check --decode``).
"""

from __future__ import annotations

import struct
from pathlib import Path

from isal import isal_zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8\xff"
_END_MARKERS = {"png": b"IEND\xaeB`\x82", "jpeg": b"\xff\xd9"}


def image_kind(head: bytes) -> str | None:
    """``"png"``, ``"jpeg"`` or None (another format) from a file's first bytes."""
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(JPEG_SOI):
        return "jpeg"
    return None


def end_problem(path: Path) -> str | None:
    """Why ``path`` looks cut short, or None. Reads ~1 KiB."""
    with open(path, "rb") as fh:
        kind = image_kind(fh.read(8))
        size = fh.seek(0, 2)
        fh.seek(max(size - 1024, 0))
        tail = fh.read()
    if kind is not None and _END_MARKERS[kind] not in tail:
        return f"expected a complete {kind.upper()} ending in its end marker, got a truncated " \
               f"file ({size} bytes)"
    return None


def png_checksum_problem(path: Path) -> str | None:
    """Why the chunks of PNG ``path`` do not check out (CRC-32, lengths), or None; None
    for a file that is not a PNG. Reads the whole file."""
    data = Path(path).read_bytes()
    if image_kind(data) != "png":
        return None
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return f"expected a {kind!r} chunk of {length} bytes at offset {pos}, got the " \
                   f"file ending {end - len(data)} bytes early"
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if isal_zlib.crc32(data[pos + 4:end - 4]) != crc:
            return f"expected chunk checksums to match, got corrupt data in the " \
                   f"{kind.decode('latin-1')!r} chunk at offset {pos}"
        if kind == b"IEND":
            return None
        pos = end
    return "expected an IEND chunk, got the file ending before it"
