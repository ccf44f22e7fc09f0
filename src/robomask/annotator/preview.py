"""Live preview: the configured backend's mask for one object's clicks on one frame.

The backend is built once, on the first preview (so the page opens at once, even when
the backend cannot be built), and one :class:`~robomask.backends.VideoSession` stays
open on the scene's frames. Calls are serialised. Every failure becomes a
:class:`~robomask.errors.BackendError` whose message the page shows; the server goes on.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from robomask.backends import Backend, VideoSession, build_backend
from robomask.config import Config, Stage
from robomask.errors import BackendError, RobomaskError
from robomask.scenes import Scene

log = logging.getLogger(__name__)


class PreviewEngine:
    """Masks for clicks, from one backend session on one scene.

    Args:
        config: Names the backend (``config.backend``) and its settings.
        scene: The scene whose frames the session opens (its own frame reader, apart
            from the one serving images, since video decoders are not thread-safe).
        stage: Stage the backend is built for (devices, SAM3 set-up).
    """

    def __init__(self, config: Config, scene: Scene, *, stage: Stage = "arm") -> None:
        self.config = config
        self.scene = scene
        self.stage = stage
        self._backend: Backend | None = None
        self._session: VideoSession | None = None
        self._build_error: str | None = None
        self._lock = threading.Lock()

    @property
    def backend_name(self) -> str:
        return self.config.backend

    def mask(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
             labels: np.ndarray) -> tuple[np.ndarray, float]:
        """Bool (height, width) mask of ``obj_id`` on ``frame_index`` for these clicks,
        and the milliseconds the backend took.

        Args:
            frame_index: Frame the clicks are on.
            obj_id: Object they belong to.
            points_xy: Float (N, 2) array of (x, y) pixels, N >= 1.
            labels: Int (N,) array, 1 positive, 0 negative.

        Raises:
            BackendError: The backend cannot be built or failed on these clicks.
        """
        with self._lock:
            session = self._open()
            start = time.perf_counter()
            try:
                fm = session.add_clicks(frame_index, obj_id, points_xy, labels)
            except RobomaskError as exc:
                raise BackendError(f"preview with backend '{self.backend_name}': {exc}") from exc
            except Exception as exc:
                log.exception("preview failed; the session is reopened on the next click")
                self._close_session()
                raise BackendError(f"preview with backend '{self.backend_name}' failed: "
                                   f"{type(exc).__name__}: {exc}") from exc
            ms = (time.perf_counter() - start) * 1000
            w, h = fm.size_wh
            return fm.masks.get(obj_id, np.zeros((h, w), dtype=bool)), ms

    def forget(self, obj_id: int) -> None:
        """Drop ``obj_id``'s clicks from the session (after its last click is undone)."""
        with self._lock:
            if self._session is not None:
                try:
                    self._session.remove_object(obj_id)
                except Exception:  # a stale object in a preview session is harmless
                    log.debug("remove_object(%s) failed", obj_id, exc_info=True)

    def _open(self) -> VideoSession:
        if self._build_error is not None:
            raise BackendError(self._build_error)
        try:
            if self._backend is None:
                self._backend = build_backend(self.config, self.stage)
            if self._session is None:
                self._session = self._backend.open_session(self.scene.frames())
        except Exception as exc:
            detail = str(exc) if isinstance(exc, RobomaskError) else f"{type(exc).__name__}: {exc}"
            self._build_error = (f"no preview: backend '{self.backend_name}' could not be "
                                 f"started: {detail}")
            log.warning("%s", self._build_error)
            raise BackendError(self._build_error) from exc
        return self._session

    def _close_session(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None

    def close(self) -> None:
        """Close the session and the backend; safe to call twice."""
        with self._lock:
            try:
                self._close_session()
            finally:
                if self._backend is not None:
                    self._backend.close()
                    self._backend = None
