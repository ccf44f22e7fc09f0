"""Backends by name. A backend's module (and its heavy imports) loads only when chosen."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from robomask.backends.base import Backend, Capabilities, Direction, VideoSession
from robomask.config import Config, Stage
from robomask.errors import BackendError, excerpt

BackendFactory = Callable[[Config, Stage], Backend]

# name -> "module:function" building the backend from a config and a stage.
_BUILTIN: dict[str, str] = {
    "opencv": "robomask.backends.opencv:build",
    "sam3": "robomask.backends.sam3:build",
    "sam3-hf": "robomask.backends.sam3_hf:build",
    "kinematic": "robomask.backends.kinematic:build",
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

    With ``kinematics.use: masks`` the backend is ``kinematic`` whatever ``backend`` says.

    Raises:
        BackendError: The name is unknown or its dependencies are not installed.
    """
    return backend_factory(session_backend_name(config))(config, stage)


def session_backend_name(config: Config) -> str:
    """The backend the sessions use: ``kinematic`` when the config asks for the rendered
    masks (``kinematics.use: masks``), else ``config.backend``."""
    return "kinematic" if config.kinematic_masks else config.backend


def backend_factory(name: str) -> BackendFactory:
    """The factory of backend ``name``, imported but not called (no model is built).

    Raises:
        BackendError: The name is unknown, or names a factory that cannot be imported.
    """
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = _BUILTIN.get(name, name if ":" in name else None)
    if target is None:
        raise BackendError(f"config key 'backend': expected one of {backend_names()} or "
                           f"'module:function', got {excerpt(name)}")
    module_name, func = target.split(":", 1)
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, func)
    except (ImportError, AttributeError) as exc:
        if name in _BUILTIN:
            raise
        raise BackendError(f"config key 'backend': expected an importable factory "
                           f"'module:function', got {excerpt(name)} ({exc})") from exc
    return factory


def declared_capabilities(name: str) -> Capabilities | None:
    """What backend ``name`` can do, read from the one :class:`Backend` class of its
    factory's module, without building it; None when that cannot be told.

    Raises:
        BackendError: As :func:`backend_factory`.
    """
    factory = backend_factory(name)
    module = sys.modules.get(getattr(factory, "__module__", ""))
    classes = [c for c in vars(module).values() if isinstance(c, type) and
               issubclass(c, Backend) and c.__module__ == module.__name__] if module else []
    caps = getattr(classes[0], "capabilities", None) if len(classes) == 1 else None
    return caps if isinstance(caps, Capabilities) else None


__all__ = ["Backend", "BackendFactory", "Capabilities", "Direction", "VideoSession",
           "backend_factory", "backend_names", "build_backend", "declared_capabilities",
           "register_backend", "session_backend_name"]
