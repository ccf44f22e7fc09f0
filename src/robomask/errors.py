"""Typed errors for robomask.

Every error caused by a user's input derives from :class:`RobomaskError`. Its message
names the culprit (file, key, entry or frame) and says "expected X, got Y"; ``hint``
says what to do about it. The CLI prints ``str(error)`` on one line and exits non-zero,
so no traceback is shown for a user's mistake.
"""

from __future__ import annotations

import reprlib
from typing import Any

EXCERPT_CHARS = 80
_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxstring, _REPR.maxlong, _REPR.maxother = 3, 60, 30, 60
_REPR.maxtuple = _REPR.maxlist = _REPR.maxdict = _REPR.maxset = 6


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short ``repr`` of ``value`` (at most about ``limit`` characters) for a message
    about a bad value that may be huge: a 100 KB string, an expanded YAML alias, a
    thousand-digit integer. Never builds the full repr."""
    try:
        text = _REPR.repr(value)
    except (RecursionError, ValueError):  # an int too long to turn into text
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RobomaskError(Exception):
    """Base class of all user-facing errors.

    Args:
        message: What is wrong, naming the culprit, e.g. ``"config.yaml: key 'arm_obj_id':
            expected an integer, got 'abc'"``.
        hint: Optional next step for the user, e.g. ``"run 'robomask init' to get a template"``.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class DiskFullError(RobomaskError):
    """A write failed for lack of space (or quota); nothing after it can succeed."""


class OverwriteError(RobomaskError):
    """A command would replace a file it did not write; ``--force`` allows it."""


class ConfigError(RobomaskError):
    """mask_config.yaml is missing, unreadable or holds an invalid value."""


class SceneError(RobomaskError):
    """A scene folder or its frames cannot be found or read."""


class FrameError(SceneError):
    """A frame is corrupt, unreadable, or of another size than the first frame."""


class PromptError(RobomaskError):
    """A prompt file does not parse or an entry is invalid."""


class MaskStoreError(RobomaskError):
    """A mask folder is missing, incomplete, or holds a mask of the wrong size."""


class BackendError(RobomaskError):
    """A backend is unknown, not installed, or cannot do what was asked."""


class SessionError(RobomaskError):
    """A segmentation session failed in a way the user can act on."""


class StageNotReadyError(RobomaskError):
    """A stage's input (a session's masks) is interrupted, stale, incomplete or missing."""


class MergeError(RobomaskError):
    """The merge stage found inputs that cannot give a valid export."""


class KinematicsError(RobomaskError):
    """A URDF, mesh, joint state, camera calibration or link group cannot be used."""


class ExportError(RobomaskError):
    """An export (or depth) target exists, or its inputs cannot give a valid export."""
