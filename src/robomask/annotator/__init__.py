"""Browser annotation UI: click points on a scene's frames, see the backend's mask for
each click, save the prompt files (SPEC section 4).

Start it with ``robomask annotate`` or, in a notebook, ``robomask.annotate(...)``
(:func:`robomask.annotator.notebook.annotate`). FastAPI and uvicorn (the ``ui`` extra)
are imported only when a server starts.
"""
