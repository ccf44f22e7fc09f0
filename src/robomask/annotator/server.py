"""The annotation server: a FastAPI app serving one scene's frames, clicks and previews.

Endpoints (JSON unless noted; errors are ``{"detail": "..."}`` with a 4xx, or 503 when
the preview backend is unavailable):

- ``GET /``, ``GET /static/{app,api,view}.js``, ``GET /static/style.css``: the page
  (shipped in the package).
- ``GET /api/state``: scene, objects, every click as (x, y) pixels, warnings, save state.
- ``GET /api/frame/{i}?max_width=W``: frame ``i`` as JPEG, optionally shrunk to W pixels.
- ``GET /api/mask/{arm|gripper|export}/{i}``: the stored mask of frame ``i`` as a PNG
  overlay (404 when there is none).
- ``GET /api/preview?frame_index=i&obj_id=k``: the backend's mask for the clicks of object
  ``k`` on frame ``i`` as a PNG overlay (204 when it has no clicks there);
  header ``X-Backend-Ms``: the backend's time, or ``cached``.
- ``POST /api/click`` ``{frame_index, obj_id, x, y, label}``, ``POST /api/clear``
  ``{frame_index, obj_id}``, ``POST /api/undo``, ``POST /api/save``: edit and save.

Only frames of the chosen scene are served, by index; the client never names a file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from robomask._optional import require
from robomask.annotator.body_limit import BodyLimit
from robomask.annotator.images import BytesCache, encode_jpeg, overlay_png
from robomask.annotator.preview import PreviewEngine
from robomask.annotator.security import AccessPolicy
from robomask.annotator.state import AnnotationState, Mode
from robomask.config import Config, Stage
from robomask.errors import BackendError, FrameError, MaskStoreError, PromptError, RobomaskError
from robomask.io.frames import FrameSource
from robomask.pipeline.kinprompts import ensure_kinematic_prompts
from robomask.scenes import Scene

fastapi = require("fastapi", "ui", purpose="robomask annotate")
responses = require("fastapi.responses", "ui", purpose="robomask annotate")

log = logging.getLogger(__name__)

STATIC_FILES = {"app.js": "text/javascript", "api.js": "text/javascript",
                "view.js": "text/javascript", "style.css": "text/css"}
MASK_COLOURS = {"arm": (255, 64, 64), "gripper": (64, 255, 160), "export": (255, 230, 40)}
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:"}


class FrameObject(BaseModel):
    """Body naming one object on one frame."""

    model_config = ConfigDict(extra="forbid")
    frame_index: StrictInt = Field(ge=0)
    obj_id: StrictInt


class Click(FrameObject):
    """One click: (x, y) in pixels of the full-size frame; label 1 positive, 0 negative."""

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)
    label: Literal[0, 1]


@dataclass
class AnnotateContext:
    """Everything the endpoints share. ``lock`` guards ``state``; ``frames_lock`` the
    frame reader (video decoders are not thread-safe)."""

    config: Config
    scene: Scene
    frames: FrameSource
    state: AnnotationState
    engine: PreviewEngine
    start_frame: int
    lock: threading.Lock
    frames_lock: threading.Lock
    frame_cache: BytesCache
    preview_cache: BytesCache

    def info(self) -> dict[str, Any]:
        w, h = self.frames.size_wh
        stores = [k for k in MASK_COLOURS if self.scene.mask_dir(k).is_dir()]
        return {"scene": self.scene.name, "num_frames": len(self.frames), "width": w,
                "height": h, "start_frame": self.start_frame, "backend": self.engine.backend_name,
                "stores": stores, "files": [str(self.scene.arm_prompts_path),
                                            str(self.scene.gripper_prompts_path)]}

    def state_json(self) -> dict[str, Any]:
        with self.lock:
            return {**self.info(), **self.state.to_json()}

    def close(self) -> None:
        """Free the preview backend and the frame reader (a video decoder); safe twice."""
        self.engine.close()
        close_frames = getattr(self.frames, "close", None)  # only video sources have one
        if close_frames is not None:
            with self.frames_lock:
                close_frames()


def make_context(config: Config, scene: Scene, *, mode: Mode = "append", start_frame: int = 0,
                 stage: Stage = "arm") -> AnnotateContext:
    """Open the scene's frames and prompt files.

    Raises:
        SceneError: The frames cannot be opened.
        PromptError: ``start_frame`` is out of range, or (append) a prompt file is broken.
    """
    frames = scene.frames()
    if mode == "append":  # kinematics.use: prompts -> review the clicks made from the render
        ensure_kinematic_prompts(scene, config, frames)
    state = AnnotationState(scene, config, size_wh=frames.size_wh, num_frames=len(frames),
                            mode=mode)
    state.check_frame(start_frame)
    return AnnotateContext(config, scene, frames, state, PreviewEngine(config, scene, stage=stage),
                           start_frame, threading.Lock(), threading.Lock(), BytesCache(48),
                           BytesCache(64))


def _error(status: int, message: str) -> Any:
    return responses.JSONResponse({"detail": message}, status_code=status, headers=HEADERS)


def _describe_validation(errors: Any) -> str:
    """The first pydantic error as one line: ``body.x: expected a number, got 'a'``."""
    if not errors:
        return "expected a valid request, got an invalid one"
    err = errors[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "request"
    if err.get("type") == "missing":
        return f"{where}: expected a value, got none"
    msg = str(err.get("msg", "invalid"))
    msg = msg[len("Input should be "):] if msg.startswith("Input should be ") else msg
    got = repr(err["input"])[:200] if "input" in err else "something else"
    return f"{where}: expected {msg}, got {got}"


def _static(name: str) -> str:
    return resources.files("robomask.annotator").joinpath("static", name).read_text("utf-8")


MAX_BODY_BYTES = 64 * 1024  # a click is ~100 bytes; nothing the page sends comes near


def create_app(ctx: AnnotateContext, *, token: str | None = None) -> Any:
    """The FastAPI app for ``ctx``; ``token`` None = loopback clients only.

    Example:
        >>> ctx = make_context(config, scene(config, "scene_0018"))  # doctest: +SKIP
        >>> app = create_app(ctx)  # serve with uvicorn, or see robomask.annotator.serve
    """
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        ctx.close()

    app = fastapi.FastAPI(title="robomask annotate", docs_url=None, redoc_url=None,
                          openapi_url=None, lifespan=lifespan)
    app.state.ctx = ctx
    policy = AccessPolicy(token)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES,
                       reject=lambda message: _error(413, message))

    @app.middleware("http")
    async def guard(request: Any, call_next: Any) -> Any:
        verdict = policy.check(method=request.method, path=request.url.path,
                               headers=request.headers,
                               query_token=request.query_params.get("token"),
                               cookies=request.cookies)
        if verdict.status:
            return _error(verdict.status, verdict.message)
        response = await call_next(request)
        response.headers.update(HEADERS)
        if verdict.set_cookie and token is not None:
            response.set_cookie(policy.cookie_name(request.headers.get("host", "")), token,
                                httponly=True, samesite="strict")
        return response

    @app.exception_handler(RobomaskError)
    async def user_error(request: Any, exc: RobomaskError) -> Any:
        if isinstance(exc, BackendError):
            return _error(503, str(exc))
        if isinstance(exc, MaskStoreError):
            return _error(404, str(exc))
        if isinstance(exc, FrameError):
            return _error(500, str(exc))
        return _error(400, str(exc))

    @app.exception_handler(fastapi.exceptions.RequestValidationError)
    async def bad_request(request: Any, exc: Any) -> Any:
        return _error(422, _describe_validation(exc.errors()))

    @app.exception_handler(Exception)
    async def crash(request: Any, exc: Exception) -> Any:
        log.exception("annotate: %s %s failed", request.method, request.url.path)
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    @app.get("/", response_class=responses.HTMLResponse)
    def index() -> Any:
        return responses.HTMLResponse(_static("index.html"))

    @app.get("/static/{name}")
    def static(name: str) -> Any:
        if name not in STATIC_FILES:
            return _error(404, f"static file: expected one of {sorted(STATIC_FILES)}, got "
                               f"{name!r}")
        return responses.Response(_static(name), media_type=STATIC_FILES[name])

    @app.get("/api/state")
    def get_state() -> Any:
        return ctx.state_json()

    def checked_frame(frame_index: int) -> None:
        if not 0 <= frame_index < len(ctx.frames):
            raise PromptError(f"frame_index: expected 0..{len(ctx.frames) - 1}, got "
                              f"{frame_index}")

    @app.get("/api/frame/{frame_index}")
    def frame(frame_index: int, max_width: int | None = fastapi.Query(None, ge=16, le=16384)
              ) -> Any:
        checked_frame(frame_index)

        def make() -> bytes:
            with ctx.frames_lock:
                rgb = ctx.frames[frame_index]
            return encode_jpeg(rgb, max_width=max_width)

        data = ctx.frame_cache.get_or_make((frame_index, max_width), make)
        return responses.Response(data, media_type="image/jpeg",
                                  headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/api/mask/{kind}/{frame_index}")
    def stored_mask(kind: Literal["arm", "gripper", "export"], frame_index: int) -> Any:
        checked_frame(frame_index)
        mask = ctx.scene.store(kind, ctx.frames).read(frame_index)
        return responses.Response(overlay_png(mask, MASK_COLOURS[kind]), media_type="image/png",
                                  headers={"Cache-Control": "no-store"})

    @app.get("/api/preview")
    def preview(frame_index: int, obj_id: int) -> Any:
        with ctx.lock:
            ctx.state.check_frame(frame_index)
            obj = ctx.state.object(obj_id)
            pts, labels = ctx.state.clicks(frame_index, obj_id)
        if len(pts) == 0:
            ctx.engine.forget(obj_id)
            return responses.Response(status_code=204)

        backend_ms: list[float] = []

        def make() -> bytes:
            mask, ms = ctx.engine.mask(frame_index, obj_id, pts, labels)
            backend_ms.append(ms)
            return overlay_png(mask, obj.rgb)

        key = (frame_index, obj_id, pts.tobytes(), labels.tobytes())
        data = ctx.preview_cache.get_or_make(key, make)
        return responses.Response(data, media_type="image/png", headers={
            "Cache-Control": "no-store",
            "X-Backend-Ms": f"{backend_ms[0]:.1f}" if backend_ms else "cached"})

    @app.post("/api/click")
    def click(body: Click) -> Any:
        with ctx.lock:
            ctx.state.add_click(body.frame_index, body.obj_id, body.x, body.y, body.label)
        return ctx.state_json()

    @app.post("/api/clear")
    def clear(body: FrameObject) -> Any:
        with ctx.lock:
            ctx.state.clear(body.frame_index, body.obj_id)
        return ctx.state_json()

    @app.post("/api/undo")
    def undo() -> Any:
        with ctx.lock:
            undone = ctx.state.undo()
        target = None if undone is None else {"frame_index": undone[0], "obj_id": undone[1]}
        return {"undone": target, "state": ctx.state_json()}

    @app.post("/api/save")
    def save() -> Any:
        with ctx.lock:
            files = ctx.state.save()
        return {"files": files, "state": ctx.state_json()}

    return app
