"""Backends by name. A backend's module (and its heavy imports) loads only when chosen."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from robomask.backends.base import Backend, Capabilities, Direction, VideoSession
from robomask.config import Config, Stage
from robomask.errors import BackendError

BackendFactory = Callable[[Config, Stage], Backend]

# name -> "module:function" building the backend from a config and a stage.
_BUILTIN: dict[str, str] = {
    "opencv": "robomask.backends.opencv:build",
    "sam3": "robomask.backends.sam3:build",
    "sam3-hf": "robomask.backends.sam3_hf:build",
}
_REGISTERED: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory(config, stage)`` available as ``backend: name`` (e.g. in tests)."""
    _REGISTERED[name] = factory


def backend_names() -> list[str]:
    """Every backend name that a config may use, sorted."""
    return sorted({*_BUILTIN, *_REGISTERED})


def build_backend(config: Config, stage: Stage) -> Backend:
    """Build the backend named by ``config.backend`` for a session stage.

    ``config.backend`` is a registered or built-in name, or ``"package.module:function"``
    naming a factory ``function(config, stage) -> Backend`` (a backend of your own; it is
    imported in every worker process, so it also works with ``run --jobs`` and Ray).

    Raises:
        BackendError: The name is unknown or its dependencies are not installed.
    """
    name = config.backend
    if name in _REGISTERED:
        return _REGISTERED[name](config, stage)
    target = _BUILTIN.get(name, name if ":" in name else None)
    if target is None:
        raise BackendError(f"config key 'backend': expected one of {backend_names()} or "
                           f"'module:function', got {name!r}")
    module_name, func = target.split(":", 1)
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, func)
    except (ImportError, AttributeError) as exc:
        if name in _BUILTIN:
            raise
        raise BackendError(f"config key 'backend': expected an importable factory "
                           f"'module:function', got {name!r} ({exc})") from exc
    return factory(config, stage)


__all__ = ["Backend", "BackendFactory", "Capabilities", "Direction", "VideoSession",
           "backend_names", "build_backend", "register_backend"]
