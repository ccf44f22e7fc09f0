"""The arm and gripper sessions (SPEC section 5), streamed into their mask stores."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from robomask.backends.base import Backend, Capabilities
from robomask.config import Config
from robomask.errors import SessionError
from robomask.io.frames import FolderFrames, FrameSource
from robomask.io.objstats import write_object_stats
from robomask.io.prefetch import PrefetchFrames
from robomask.pipeline.kinprompts import ensure_kinematic_prompts, render_fingerprint
from robomask.pipeline.state import StageState, file_digest, fingerprint
from robomask.pipeline.track import TextPrompt, track
from robomask.pipeline.writer import SessionWriter
from robomask.progress import ProgressCallback, Ticker
from robomask.prompt_checks import validate_prompts
from robomask.prompts import ARM2_KEY, ARM_KEY, LEFT_KEY, RIGHT_KEY, PromptEntry, read_prompts
from robomask.scenes import Scene

log = logging.getLogger(__name__)

SessionStage = Literal["arm", "gripper"]
BackendSource = Backend | Callable[[], Backend]


@dataclass
class SessionResult:
    """What one session did.

    Attributes:
        scene: Scene name.
        stage: ``"arm"`` or ``"gripper"``.
        frames: Frames in the video.
        skipped: True when the stage was already done with the same inputs.
        seconds: Wall time.
        object_frames: Object id -> number of frames where it has pixels.
        warnings: Lines for the user (e.g. an arm id that never appears).
    """

    scene: str
    stage: str
    frames: int
    skipped: bool
    seconds: float
    object_frames: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SessionPlan:
    """Prompts of one session, read and checked against the video and config.

    Attributes:
        clicks: Click entries of the session's objects.
        keep_obj_ids: Objects the session's result holds (None = every object found).
        prompt_digest: Hash of the prompt file, or of the render's inputs when the render is
            the result (None when there is neither).
    """

    clicks: list[PromptEntry]
    keep_obj_ids: list[int] | None
    prompt_digest: str | None


def plan_session(stage: SessionStage, scene: Scene, config: Config,
                 frames: FrameSource) -> SessionPlan:
    """Read and validate the prompts of a session (no model needed).

    Raises:
        PromptError: The prompt file is missing (gripper), unreadable or invalid.
        SessionError: The gripper file has no points on either side.
    """
    if config.arm_text_bootstrap_frame_index >= len(frames):
        raise SessionError(f"arm_text_bootstrap_frame_index: expected 0..{len(frames) - 1}, got "
                           f"{config.arm_text_bootstrap_frame_index}")
    if config.kinematic_masks:  # the render is the result: no prompts
        return SessionPlan([], config.arm_ids if stage == "arm" else config.gripper_ids,
                           fingerprint("kinematic", render_fingerprint(config, scene)))
    path = scene.arm_prompts_path if stage == "arm" else scene.gripper_prompts_path
    if stage == "arm" and not path.is_file():
        return SessionPlan([], None, None)
    prompts = read_prompts(path, kind=stage)
    validate_prompts(prompts, source=str(path), num_frames=len(frames), size_wh=frames.size_wh,
                     config=config)
    digest = _prompt_digest(path, scene, config)
    if stage == "arm":
        clicks = prompts[ARM_KEY] + (prompts[ARM2_KEY] if config.arm_obj_id_2 is not None else [])
        return SessionPlan(clicks, None, digest)
    clicks = prompts[LEFT_KEY] + prompts[RIGHT_KEY]
    if not clicks:
        raise SessionError(f"{path}: expected points for at least one gripper side, got both "
                           f"{LEFT_KEY} and {RIGHT_KEY} empty",
                           hint=f"robomask annotate --scene {scene.name}")
    return SessionPlan(clicks, config.gripper_ids, digest)


def _prompt_digest(path: Path, scene: Scene, config: Config) -> str:
    """Hash of the prompt file; with ``kinematics.use: prompts`` also of the render's inputs,
    which a backend may take as a shape prior (opencv) even when the prompt file is the
    user's own, so a new calibration or re-recorded joint states redo the session."""
    kin = config.kinematics
    if kin is None or kin.use != "prompts":
        return file_digest(path)
    return fingerprint(file_digest(path), render_fingerprint(config, scene))


def text_prompt(stage: SessionStage, plan: SessionPlan, scene: Scene, config: Config,
                capabilities: Capabilities, backend_name: str) -> TextPrompt | None:
    """The arm session's text prompt, or None where the backend reads no text.

    Args:
        capabilities: What the backend can do (``Backend.capabilities``, or
            :func:`robomask.backends.declared_capabilities` before it is built).
        backend_name: The backend's name, for the message.

    Raises:
        SessionError: An arm session on a backend without text and with no arm clicks.
    """
    if stage != "arm" or not capabilities.needs_prompts:
        return None
    if capabilities.text_prompts:
        return TextPrompt(config.arm_text_bootstrap_frame_index, config.arm_text_prompt)
    if not plan.clicks:
        raise SessionError(f"{scene.arm_prompts_path}: expected arm clicks (backend "
                           f"'{backend_name}' reads no text prompt), got none",
                           hint=f"robomask annotate --scene {scene.name}, or backend sam3/sam3-hf")
    return None


def session_fingerprint(stage: SessionStage, plan: SessionPlan, config: Config,
                        frames: FrameSource) -> str:
    """Fingerprint of everything a session's output depends on."""
    return fingerprint(stage, config.backend, plan.prompt_digest, config.arm_ids,
                       config.gripper_ids, config.arm_text_prompt,
                       config.arm_text_bootstrap_frame_index, len(frames), frames.size_wh,
                       config.mask_naming, config.apply_temporal_disambiguation,
                       # only when set, so that stages done before the key existed stay done
                       *([config.max_frames_per_session]
                         if config.max_frames_per_session is not None else []))


def _check_objects(stage: SessionStage, plan: SessionPlan, config: Config,
                   object_frames: dict[int, int], scene: Scene) -> list[str]:
    """SPEC section 5's warnings (arm) and failures (gripper)."""
    if stage == "arm":
        return [f"{scene.name}: {key}={obj_id} never appears in the arm session output "
                f"(found ids {sorted(object_frames)})"
                for key, obj_id in (("arm_obj_id", config.arm_obj_id),
                                    ("arm_obj_id_2", config.arm_obj_id_2))
                if obj_id is not None and not object_frames.get(obj_id)]
    for side_key, obj_id in ((LEFT_KEY, config.gripper_left_obj_id),
                             (RIGHT_KEY, config.gripper_right_obj_id)):
        has_points = any(e.obj_id == obj_id for e in plan.clicks)
        if has_points and not object_frames.get(obj_id):
            raise SessionError(f"{scene.gripper_prompts_path}: {side_key} has points, expected "
                               f"object {obj_id} in the output, got it in no frame",
                               hint="check the clicks sit on the gripper (robomask annotate)")
    return []


def run_session(stage: SessionStage, scene: Scene, config: Config, backend: BackendSource, *,
                force: bool = False, on_progress: ProgressCallback | None = None) -> SessionResult:
    """Run the arm or gripper session of ``scene`` and write ``{scene}_ckpt_{stage}``.

    Frames are decoded ahead of the backend and masks are encoded, written and measured
    behind it, on threads (:class:`~robomask.io.prefetch.PrefetchFrames`,
    :class:`~robomask.pipeline.writer.SessionWriter`), with a bounded number of frames in
    flight, so robomask's own work overlaps the model's and memory does not grow with
    the video's length. A stage already done with the same inputs is skipped
    unless ``force``; a stage that was interrupted is run again from its start (a model's
    propagation cannot be resumed), overwriting its frames atomically.

    Args:
        stage: ``"arm"`` or ``"gripper"``.
        scene: The scene.
        config: The config.
        backend: A built backend, or a function that builds it (called only when the
            stage has work to do).
        force: Run even when the stage is done.
        on_progress: Receives a :class:`~robomask.progress.Progress` per frame written.

    Raises:
        SessionError: No usable prompts, or a gripper side with points never found.
        PromptError, FrameError, BackendError: Bad inputs, as named in the message.
    """
    t0 = time.perf_counter()
    frames = scene.frames()
    if isinstance(frames, FolderFrames):
        frames.check_sizes()
    store = scene.store(stage, frames)
    state = StageState(scene.state_dir, stage)
    ensure_kinematic_prompts(scene, config, frames, on_progress=on_progress)
    plan = plan_session(stage, scene, config, frames)
    fp = session_fingerprint(stage, plan, config, frames)
    if not force and state.is_done(fp, store):
        marker = state.read() or {}
        return SessionResult(scene.name, stage, len(frames), True, time.perf_counter() - t0,
                             {int(k): v for k, v in marker.get("object_frames", {}).items()})
    model = backend if isinstance(backend, Backend) else backend()
    text = text_prompt(stage, plan, scene, config, model.capabilities, model.name)
    store.prepare()
    state.mark_running(fp)
    ticker = Ticker(f"{scene.name}/{stage}", len(frames), on_progress)
    # Frames decode ahead of the model and masks are written behind it, on threads.
    decoders = 2 if isinstance(frames, FolderFrames) else 1  # one file per read: thread-safe
    with PrefetchFrames(frames, threads=decoders) as ahead, \
            SessionWriter(store, plan.keep_obj_ids or ()) as out:
        with contextlib.closing(track(ahead, plan.clicks, backend=model, text=text,
                                      keep_obj_ids=plan.keep_obj_ids,
                                      max_frames=config.max_frames_per_session)) as masks:
            for fm in masks:
                out.put(fm)
                ticker.advance()
        out.finish()
        for i in sorted(set(range(len(frames))) - out.written):
            log.warning("%s/%s: backend yielded no output for frame %d; writing an empty mask",
                        scene.name, stage, i)
            out.put_empty(i)
            ticker.advance()
        rows, object_frames = out.finish()
    write_object_stats(scene.state_dir / f"{stage}_objects.csv", rows)
    warnings = _check_objects(stage, plan, config, object_frames, scene)
    for w in warnings:
        log.warning(w)
    seconds = time.perf_counter() - t0
    state.mark_done(fp, frames=len(frames), seconds=round(seconds, 3),
                    object_frames={str(k): v for k, v in object_frames.items()},
                    warnings=warnings)
    return SessionResult(scene.name, stage, len(frames), False, seconds, object_frames, warnings)

