"""robomask: mask robot arms (links + cable, gripper cut out) in manipulation videos.

Five-line start (Python or a notebook)::

    import robomask
    with robomask.Pipeline.from_config("mask_config.yaml", backend="opencv") as pipe:
        reports = pipe.run("scene_0018")          # arm session, gripper session, merge
    robomask.preview("scene_0018", config="mask_config.yaml", stage="export")

Heavy modules (torch, transformers, fastapi) load only when a feature needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it; imported on first access (PEP 562)
_EXPORTS = {
    "Config": "robomask.config",
    "FrameMasks": "robomask.masks",
    "Pipeline": "robomask.pipeline.runner",
    "PromptEntry": "robomask.prompts",
    "PromptSet": "robomask.prompts",
    "RobomaskError": "robomask.errors",
    "StageReport": "robomask.pipeline.runner",
    "TextPrompt": "robomask.pipeline.track",
    "annotate": "robomask.annotator.notebook",
    "build_backend": "robomask.backends",
    "load_config": "robomask.config",
    "merge_frame": "robomask.pipeline.merge",
    "open_frames": "robomask.io.frames",
    "preview": "robomask.report.preview",
    "read_prompts": "robomask.prompts",
    "run_batch": "robomask.batch",
    "track": "robomask.pipeline.track",
    "write_prompts": "robomask.prompts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'robomask' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
