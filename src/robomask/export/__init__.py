"""Exports of a scene's masks for other tools: one module per format, chosen by name.

:data:`FORMATS` maps a format name to the ``module:Class`` of its
:class:`~robomask.export.base.Exporter`; the module is imported only when that format
is used, so a format's own dependencies (pycocotools for ``coco``) load only then. A new
format is a module with an ``Exporter`` subclass and one line here.

Example:
    >>> from robomask.export import export_scenes            # doctest: +SKIP
    >>> export_scenes(load_config("mask_config.yaml"), "coco", ["scene_00*"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from robomask.config import Config
from robomask.errors import ExportError
from robomask.progress import ProgressCallback
from robomask.scenes import SceneFailure, open_scenes

from .base import Exporter, ExportOptions, SceneExport

FORMATS: dict[str, str] = {
    "coco": "robomask.export.coco:CocoExporter",
    "davis": "robomask.export.davis:DavisExporter",
    "lerobot": "robomask.export.lerobot:LeRobotExporter",
    "propainter": "robomask.export.propainter:ProPainterExporter",
}

__all__ = ["FORMATS", "ExportOptions", "Exporter", "SceneExport", "build_exporter",
           "default_out_dir", "export_scenes"]


def default_out_dir(config: Config, fmt: str) -> Path:
    """``{export_base_dir}/{task_name}/exports/{fmt}``."""
    return config.output_dir / "exports" / fmt


def build_exporter(config: Config, fmt: str, options: ExportOptions) -> Exporter:
    """The exporter of format ``fmt``.

    Raises:
        ExportError: ``fmt`` is not a known format, or an option does not fit it.
    """
    if fmt not in FORMATS:
        raise ExportError(f"--format: expected one of {', '.join(sorted(FORMATS))}, got {fmt!r}")
    module, cls = FORMATS[fmt].split(":")
    return getattr(importlib.import_module(module), cls)(config, options)


def export_scenes(config: Config, fmt: str, patterns: Sequence[str] | None = None, *,
                  out_dir: Path | None = None, stage: str | None = None, force: bool = False,
                  params: Mapping[str, Any] | None = None, jobs: int | None = None,
                  on_progress: ProgressCallback | None = None
                  ) -> tuple[list[SceneExport], list[SceneFailure]]:
    """Export the scenes matching ``patterns`` (default: the config's scene_name); a scene
    that cannot be opened or exported is returned as a failure and the others go on.

    Args:
        config: The config.
        fmt: A key of :data:`FORMATS`.
        patterns: Scene names or globs.
        out_dir: Root of the export (default: :func:`default_out_dir`).
        stage: Masks to read (see :class:`ExportOptions`); None = the format's default.
        force: Replace existing targets.
        params: Format options, e.g. ``{"max_side": 960}``.
        jobs: Processes per scene (None = every core).
        on_progress: Progress callback (frames per scene).
    """
    options = ExportOptions(out_dir or default_out_dir(config, fmt), stage, force,
                            dict(params or {}), jobs)
    exporter = build_exporter(config, fmt, options)
    chosen, failures = open_scenes(config, patterns)
    results, failed = exporter.run(chosen, on_progress)
    return results, failures + failed
