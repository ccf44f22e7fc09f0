"""Annotate from a Jupyter notebook: the same page, served from a background thread and
shown inline.

Example:
    >>> from robomask import annotate
    >>> h = annotate("scene_0018", config="mask_config.yaml")  # doctest: +SKIP
    >>> prompts = h.wait()      # blocks until Save is pressed in the page  # doctest: +SKIP
    >>> h.stop()                # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from robomask.annotator.state import Mode
from robomask.config import Config, Stage, load_config
from robomask.prompts import PromptSet
from robomask.scenes import Scene
from robomask.scenes import scene as find_scene

if TYPE_CHECKING:
    from robomask.annotator.serve import AnnotateServer

log = logging.getLogger(__name__)


class AnnotationHandle:
    """A running annotation page. Returned by :func:`annotate`.

    Attributes:
        url: Address of the page (includes the token when one is needed).
    """

    def __init__(self, server: AnnotateServer, url: str) -> None:
        self._server = server
        self._state = server.ctx.state
        self._lock = server.ctx.lock
        self._seen_saves = self._state.save_count
        self.url = url

    def wait(self, timeout: float | None = None) -> PromptSet | None:
        """Block until the user presses Save (or has saved since the last ``wait``).

        Args:
            timeout: Seconds to wait at most; None = no limit.

        Returns:
            The saved prompts (all four keys), or None when ``timeout`` passed first.
        """
        with self._state.saved:
            ok = self._state.saved.wait_for(lambda: self._state.save_count > self._seen_saves,
                                            timeout=timeout)
            if not ok:
                return None
            self._seen_saves = self._state.save_count
        return self.prompts()

    def prompts(self) -> PromptSet:
        """The prompts as shown in the page now (saved or not)."""
        with self._lock:
            return self._state.snapshot()

    @property
    def unsaved(self) -> bool:
        """True when the page has changes that are not in the files yet."""
        return self._state.dirty

    def stop(self) -> None:
        """Stop the server and free the preview backend; safe to call twice."""
        self._server.stop()

    def __repr__(self) -> str:
        return f"AnnotationHandle(url={self.url!r})"


def annotate(scene: str | Scene, *, config: str | Path | Config = "mask_config.yaml",
             mode: Mode = "append", frame: int = 0, host: str = "127.0.0.1", port: int = 0,
             stage: Stage = "arm", height: int = 820, display: bool = True) -> AnnotationHandle:
    """Start the annotation page for one scene in a background thread.

    In Jupyter (when IPython is importable and ``display`` is True) the page is shown
    inline in an IFrame; otherwise open ``handle.url`` in a browser.

    Args:
        scene: Scene name (e.g. ``"scene_0018"``) or a :class:`~robomask.scenes.Scene`.
        config: Path of mask_config.yaml, or a loaded :class:`~robomask.config.Config`.
        mode: ``"append"`` starts from the prompt files on disk, ``"overwrite"`` empty.
        frame: Frame the page opens at.
        host: Address to listen on; a non-loopback one adds a token to the URL.
        port: Port; 0 = any free one.
        stage: Stage the preview backend is built for.
        height: Height of the inline frame in pixels.
        display: Show the page inline when IPython is available.

    Returns:
        A handle: ``.wait()`` blocks until Save, ``.prompts()``, ``.stop()``, ``.url``.
    """
    from robomask.annotator.serve import AnnotateServer
    from robomask.annotator.server import make_context

    cfg = config if isinstance(config, Config) else load_config(config)
    sc = scene if isinstance(scene, Scene) else find_scene(cfg, scene)
    ctx = make_context(cfg, sc, mode=mode, start_frame=frame, stage=stage)
    server = AnnotateServer(ctx, host=host, port=port)
    server.start()
    handle = AnnotationHandle(server, server.url(frame=frame))
    log.info("annotation page for %s: %s", sc.name, handle.url)
    if display:
        try:
            from IPython.display import IFrame
            from IPython.display import display as show
        except ImportError:
            return handle
        show(IFrame(handle.url, width="100%", height=height))
    return handle
