"""Small text files a user edits (configs, prompt files): bounded size, known encodings.

UTF-8 is expected; a byte-order mark selects UTF-8, UTF-16 or UTF-32 instead (editors
on Windows save UTF-16 with one). Anything else is a one-line error naming the file
and the first byte that is not text, never a ``UnicodeDecodeError``.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from robomask.errors import RobomaskError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def read_text(path: Path, *, what: str, max_bytes: int,
              error: type[RobomaskError] = RobomaskError) -> str:
    """The text of ``path``.

    Args:
        path: The file.
        what: What the file is, for messages (``"config file"``).
        max_bytes: Larger files are refused before they are read.
        error: The error class to raise (e.g. ``ConfigError``).

    Raises:
        error: The file is missing, unreadable, too large, or not text.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path}: expected a {what} of at most {max_bytes // 1024} KiB, got "
                        f"{size} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: expected a readable {what}, got {exc.strerror or exc}") from exc
    encoding, body = "utf-8", data
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, body = name, data[len(bom):]
            break
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        offset = exc.start + len(data) - len(body)
        raise error(f"{path}: expected {encoding.upper()} text, got byte "
                    f"0x{data[offset]:02x} at offset {offset}, which is not {encoding.upper()}",
                    hint="save the file as UTF-8") from exc
