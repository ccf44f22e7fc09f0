"""The flat public namespace: every exported name resolves, sorted, nothing heavy loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_every_public_name_resolves_without_heavy_imports():
    code = """
import sys, robomask
for name in robomask.__all__:
    getattr(robomask, name)
assert robomask.__all__ == sorted(robomask.__all__)
heavy = [m for m in ("torch", "transformers", "sam3", "ray", "fastapi") if m in sys.modules]
print(heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_unknown_attribute_is_an_attribute_error():
    import robomask

    with pytest.raises(AttributeError, match="no_such_thing"):
        robomask.no_such_thing  # noqa: B018
