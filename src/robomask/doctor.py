"""Which backends work on this machine, and for each that does not, why and the fix.

Each backend module that has requirements offers ``diagnose(config) -> [(reason, fix)]``
and may offer ``notes() -> [line]`` (what it does differently from its library's
defaults); this module only gathers them. With a config, the configured weight paths are checked
too; without one, only the software and the hardware are.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from robomask._optional import available
from robomask.backends import backend_names, session_backend_name
from robomask.config import Config


@dataclass(frozen=True)
class BackendCheck:
    """The verdict on one backend.

    Attributes:
        name: Backend name as used in the config (``backend: sam3-hf``).
        ok: True when nothing stops it here.
        reasons: What stops it (e.g. ``"no CUDA: no CUDA GPU visible"``).
        fixes: One command or step per reason, in the same order.
        configured: True when a run of the config given needs this backend: the one its
            sessions use, and ``kinematic`` whenever it has a kinematics section (the
            render makes the prompts, the shape prior or the report's check).
        notes: How the backend deviates from its library's defaults (e.g. who runs NMS).
    """

    name: str
    ok: bool
    reasons: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    configured: bool = False
    notes: tuple[str, ...] = ()


_MODULES = {"sam3": "robomask.backends.sam3", "sam3-hf": "robomask.backends.sam3_hf",
            "opencv": "robomask.backends.opencv", "kinematic": "robomask.backends.kinematic"}


def check_backend(name: str, config: Config | None = None) -> BackendCheck:
    """Check one backend by name (no model is loaded)."""
    configured = config is not None and (
        name == session_backend_name(config)
        or (name == "kinematic" and config.kinematics is not None))
    module_name = _MODULES.get(name)
    if module_name is None or not available(module_name):
        return BackendCheck(name, True, (), (), configured) if module_name is None else \
            BackendCheck(name, False, ("not part of this robomask install",),
                         ("pip install --upgrade robomask",), configured)
    module = importlib.import_module(module_name)
    diagnose = getattr(module, "diagnose", None)
    problems = diagnose(config) if diagnose is not None else []
    notes = getattr(module, "notes", None)
    return BackendCheck(name, not problems, tuple(r for r, _ in problems),
                        tuple(f for _, f in problems), configured,
                        tuple(notes()) if notes is not None else ())


def check_backends(config: Config | None = None) -> list[BackendCheck]:
    """Every known backend, in name order."""
    return [check_backend(name, config) for name in backend_names()]
