"""Parquet tables of a LeRobot dataset, read with pyarrow (the ``lerobot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from robomask._optional import require
from robomask.errors import SceneError


def read_table(path: Path, columns: Sequence[str] | None = None,
               episode_index: int | None = None) -> dict[str, list[Any]]:
    """Columns of a parquet file as lists, optionally only the rows of one episode.

    Args:
        path: The .parquet file.
        columns: Columns to read (all when None); each must exist.
        episode_index: Keep only the rows whose ``episode_index`` equals this.

    Raises:
        SceneError: The file is missing or unreadable, or lacks a column.
    """
    pq = require("pyarrow.parquet", "lerobot", purpose="reading LeRobot datasets")
    if not Path(path).is_file():
        raise SceneError(f"{path}: expected a parquet file, got nothing there")
    try:
        schema = pq.read_schema(path)
        missing = [c for c in (columns or []) if c not in schema.names]
        if missing:
            raise SceneError(f"{path}: expected column(s) {', '.join(missing)}, got "
                             f"{', '.join(schema.names[:12])}")
        filters = [("episode_index", "=", episode_index)] if episode_index is not None else None
        table = pq.read_table(path, columns=list(columns) if columns else None, filters=filters)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise SceneError(f"{path}: expected a readable parquet file, got {exc}") from exc
    return table.to_pydict()
