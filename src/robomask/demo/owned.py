"""Files the demo wrote, so that a second demo run may replace them and nothing else.

``{root}/.robomask_demo.json`` maps each file the demo wrote (path relative to root) to
a hash of its bytes. A file is the demo's own while its bytes still match; any other
file in the way (a user's config, an edited demo file) is refused without ``--force``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from robomask.io.atomic import json_bytes, refuse_overwrite, write_bytes
from robomask.pipeline.state import file_digest

MANIFEST = ".robomask_demo.json"


class OwnedFiles:
    """What the demo wrote under ``root``; writes go through :meth:`write` (atomic).

    Args:
        root: The demo folder.
        force: Replace files the demo did not write.
    """

    def __init__(self, root: Path, *, force: bool = False) -> None:
        self.root = Path(root)
        self.force = force
        try:
            self._digests: dict[str, str] = json.loads((self.root / MANIFEST).read_bytes())
        except (FileNotFoundError, ValueError):
            self._digests = {}

    def is_own(self, path: Path) -> bool:
        """True when ``path`` holds what the demo last wrote there."""
        rel = str(Path(path).relative_to(self.root))
        return rel in self._digests and file_digest(path) == self._digests[rel]

    def check(self, planned: Iterable[Path], cleared: Iterable[Path]) -> list[Path]:
        """Refuse to go on when a planned file, or an image in a folder the demo clears,
        is not the demo's own; returns the images to remove from ``cleared``.

        Raises:
            OverwriteError: Such a file exists and ``force`` is off.
        """
        planned = {Path(p) for p in planned}
        stale = [p for d in cleared if Path(d).is_dir() for p in sorted(Path(d).glob("*.png"))
                 if p not in planned]
        in_the_way = [p for p in [*sorted(planned), *stale] if p.exists() and not self.is_own(p)]
        if in_the_way:
            refuse_overwrite(in_the_way[0], force=self.force,
                             got=f"one the demo did not write ({len(in_the_way)} such file(s) "
                                 f"under {self.root})", instead="choose another --dir")
        return stale

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` atomically and remember it as the demo's."""
        write_bytes(path, data)
        self._digests[str(Path(path).relative_to(self.root))] = file_digest(path) or ""

    def save(self) -> None:
        """Write the manifest."""
        write_bytes(self.root / MANIFEST, json_bytes(self._digests))
