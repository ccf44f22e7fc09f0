"""The one guard for optional heavy imports (torch, transformers, sam3, ray, fastapi)."""

from __future__ import annotations

import importlib
from types import ModuleType

from robomask.errors import BackendError


def require(module: str, extra: str, *, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise a :class:`BackendError` that names the extra to install.

    Args:
        module: Dotted module name, e.g. ``"transformers"``.
        extra: robomask extra that provides it, e.g. ``"hf"``.
        purpose: What needs it, e.g. ``"the sam3-hf backend"``; used in the message.

    Example:
        >>> np = require("numpy", "base")
        >>> np.__name__
        'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = purpose or f"this feature ({module})"
        raise BackendError(
            f"{what} needs the Python package '{module}', expected it importable, got: {exc}",
            hint=f"pip install 'robomask[{extra}]'",
        ) from exc


def available(module: str) -> bool:
    """True when ``module`` can be found without importing it."""
    return importlib.util.find_spec(module) is not None


def import_problem(module: str) -> str | None:
    """Why ``module`` does not import here (None when it does), without raising.

    Unlike :func:`available` this runs the module's imports, so a dependency that the
    package's metadata forgot (sam3 0.1.4 needs psutil) is found.
    """
    try:
        importlib.import_module(module)
    except Exception as exc:  # any import-time failure is the answer, not an error here
        return f"{type(exc).__name__}: {exc}"
    return None
