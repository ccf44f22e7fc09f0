"""Where each scene stands: which stages are done, stale, interrupted or not started."""

from __future__ import annotations

from dataclasses import dataclass

from robomask.config import Config
from robomask.errors import RobomaskError
from robomask.pipeline.merge import merge_fingerprint
from robomask.pipeline.ready import SESSION_STAGES, session_status
from robomask.pipeline.state import StageState, StageStatus
from robomask.scenes import scene as get_scene


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


def scene_status(config: Config, name: str) -> SceneStatus:
    """The :class:`SceneStatus` of scene ``name`` (reads prompt files, loads no model).

    The export counts as done only while both sessions are: an export made from a
    session that was later re-run (or interrupted) is ``stale``.
    """
    stages: dict[str, StageStatus] = {}
    message = ""
    try:
        s = get_scene(config, name)
        frames = s.frames()
        for stage in SESSION_STAGES:
            try:
                stages[stage] = session_status(stage, s, config, frames)
            except RobomaskError as exc:
                stages[stage] = "error"
                message = str(exc)
        export = StageState(s.state_dir, "export").status(merge_fingerprint(s, config),
                                                          s.store("export", frames))
        sessions_done = all(stages[k] == "done" for k in SESSION_STAGES)
        stages["export"] = "stale" if export == "done" and not sessions_done else export
    except RobomaskError as exc:
        return SceneStatus(name, {k: "error" for k in ("arm", "gripper", "export")}, 0, str(exc))
    return SceneStatus(name, stages, len(frames), message)
