"""Whether a session's output may be consumed: the one check merge, status and every
reader of ``{scene}_ckpt_{arm,gripper}`` go through.

A session folder is usable when its marker says done with the fingerprint of the
current inputs and every mask is there, or when it is a complete notebook-era folder
(no marker at all). A marker saying ``running`` means a run was killed part-way: the
folder may hold frames of the old run beside frames of the new one, so nothing may
read it until ``robomask run`` redoes the stage.
"""

from __future__ import annotations

from robomask.config import Config
from robomask.errors import StageNotReadyError
from robomask.io.frames import FrameSource
from robomask.pipeline.sessions import SessionStage, plan_session, session_fingerprint
from robomask.pipeline.state import StageState, StageStatus
from robomask.scenes import Scene

SESSION_STAGES: tuple[SessionStage, ...] = ("arm", "gripper")


def session_status(stage: SessionStage, scene: Scene, config: Config,
                   frames: FrameSource) -> StageStatus:
    """Status of the arm or gripper session of ``scene`` against the current inputs.

    Raises:
        PromptError, SessionError: A marker exists and the current prompts are invalid
            (so the fingerprint they would give cannot be computed).
    """
    state, store = StageState(scene.state_dir, stage), scene.store(stage, frames)
    if state.read() is None:  # no fingerprint needed: skip reading the prompt files
        return state.status(None, store)
    fp = session_fingerprint(stage, plan_session(stage, scene, config, frames), config, frames)
    return state.status(fp, store)


_WHY = {
    "interrupted": "a run that was killed or failed part-way (its frames may mix the old "
                   "and the new run)",
    "stale": "one made with other inputs (the prompt file or config changed since it ran)",
    "partial": "an incomplete folder with no robomask marker",
    "missing": "nothing there",
}


def require_sessions_done(scene: Scene, config: Config, frames: FrameSource,
                          stages: tuple[SessionStage, ...] = SESSION_STAGES, *,
                          incomplete_ok: bool = False) -> None:
    """Raise unless every session in ``stages`` may be read.

    Args:
        incomplete_ok: Accept a missing or incomplete folder without a marker (a QA
            report flags the missing frames); interrupted and stale output is refused.

    Raises:
        StageNotReadyError: A session is interrupted, stale, incomplete or missing; the
            message names the folder and the command that redoes it.
    """
    for stage in stages:
        status = session_status(stage, scene, config, frames)
        if status == "done" or (incomplete_ok and status in ("partial", "missing")):
            continue
        store = scene.store(stage, frames)
        missing = store.missing()
        detail = (f" ({len(store) - len(missing)} of {len(store)} masks, first missing: "
                  f"frame {missing[0]})" if status in ("partial", "missing") and missing else "")
        raise StageNotReadyError(
            f"scene '{scene.name}': {store.root}: expected a finished {stage} session, got "
            f"{_WHY[status]}{detail}",
            hint=f"run 'robomask run --scene {scene.name}' (or 'robomask segment {stage} "
                 f"--scene {scene.name}') to redo it")
