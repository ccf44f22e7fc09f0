"""Browser annotation UI: click points on a scene's frames, see the backend's mask for
each click, save the prompt files (SPEC section 4).

Start it with ``robomask annotate`` or, in a notebook, :func:`annotate` (also
``robomask.annotate(...)``). FastAPI and uvicorn (the ``ui`` extra) are imported only
when a server starts.
"""

import sys
import types

from robomask.annotate.notebook import AnnotationHandle, annotate

__all__ = ["AnnotationHandle", "annotate"]


class _CallablePackage(types.ModuleType):
    """``robomask.annotate`` is both this package and the function re-exported at the
    package root. Importing any submodule rebinds the attribute ``robomask.annotate``
    to the package, so the package forwards calls to keep ``robomask.annotate(...)``
    working in either import order."""

    def __call__(self, *args: object, **kwargs: object) -> AnnotationHandle:
        return annotate(*args, **kwargs)  # type: ignore[arg-type]


sys.modules[__name__].__class__ = _CallablePackage
