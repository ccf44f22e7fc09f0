"""Where each scene stands: which stages are done, stale, interrupted or not started."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robomask.config import Config
from robomask.errors import RobomaskError
from robomask.io.maskstore import MaskStore
from robomask.pipeline.merge import merge_fingerprint
from robomask.pipeline.sessions import plan_session, session_fingerprint
from robomask.pipeline.state import StageState
from robomask.scenes import scene as get_scene

StageStatus = Literal["done", "stale", "interrupted", "partial", "missing", "error"]


@dataclass(frozen=True)
class SceneStatus:
    """Status of every stage of one scene.

    Attributes:
        scene: Scene name.
        stages: ``arm``/``gripper``/``export`` -> ``done`` (same inputs), ``stale`` (done
            with other inputs: a run redoes it), ``interrupted`` (started, not finished),
            ``partial`` (some masks, no marker), ``missing`` (nothing yet) or ``error``.
        frames: Frames in the video (0 when they cannot be read).
        message: The error that made a stage ``error``, if any.
    """

    scene: str
    stages: dict[str, StageStatus]
    frames: int
    message: str = ""


def _stage_status(state: StageState, fp: str, store: MaskStore) -> StageStatus:
    if state.is_done(fp, store):
        return "done"
    marker = state.read()
    if marker is None:
        return "partial" if store.root.is_dir() and len(store.missing()) < len(store) \
            else "missing"
    return "interrupted" if marker.get("status") == "running" else "stale"


def scene_status(config: Config, name: str) -> SceneStatus:
    """The :class:`SceneStatus` of scene ``name`` (reads prompt files, loads no model)."""
    stages: dict[str, StageStatus] = {}
    message = ""
    try:
        s = get_scene(config, name)
        frames = s.frames()
        for stage in ("arm", "gripper"):
            store = s.store(stage, frames)
            state = StageState(s.state_dir, stage)
            try:
                fp = session_fingerprint(stage, plan_session(stage, s, config, frames), config,
                                         frames)
            except RobomaskError as exc:
                stages[stage] = "error"
                message = str(exc)
                continue
            stages[stage] = _stage_status(state, fp, store)
        stages["export"] = _stage_status(StageState(s.state_dir, "export"),
                                         merge_fingerprint(s, config), s.store("export", frames))
    except RobomaskError as exc:
        return SceneStatus(name, {k: "error" for k in ("arm", "gripper", "export")}, 0, str(exc))
    return SceneStatus(name, stages, len(frames), message)
