"""``robomask check``: validate config, frames, prompt files and the kinematics section
(URDF, joint states, camera, the robot in view) without a model.

A check runs the same validation as ``run`` (the session plan, the merge's limits, the
backend's name and what it can read), so a scene that passes ``check`` does not fail
``run`` on its inputs. Frames: every header and end marker, and every PNG's chunk
checksums (corrupted data); ``decode`` also decodes every frame, which is the only way
to catch damaged JPEG or mp4 data, and lists every frame that fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from robomask.backends import Capabilities, declared_capabilities, session_backend_name
from robomask.config import Config
from robomask.errors import FrameError, RobomaskError
from robomask.io.frames import FolderFrames, FrameSource
from robomask.kinematics import open_scene_render
from robomask.pipeline.merge import check_radii
from robomask.pipeline.sessions import plan_session, text_prompt
from robomask.prompt_checks import prompt_warnings
from robomask.prompts import read_prompts
from robomask.scenes import Scene, select_scene_names
from robomask.scenes import scene as find_scene

MAX_LISTED_FRAMES = 10  # --decode: frames named in one problem; the rest are counted


@dataclass(frozen=True)
class Problem:
    """One finding of a check.

    Attributes:
        scene: Scene name ("" for the config itself).
        what: ``frames``, ``arm prompts``, ``gripper prompts``, ``kinematics`` or ``config``.
        severity: ``error`` stops a run; ``warning`` does not.
        message: One line naming the culprit.
    """

    scene: str
    what: str
    severity: Literal["error", "warning"]
    message: str


def _undecodable(frames: FrameSource) -> list[str]:
    """Messages of the frames that fail to decode (every frame is tried)."""
    failed = []
    for i in range(len(frames)):
        try:
            frames[i]
        except FrameError as exc:
            failed.append(exc.message)
    close = getattr(frames, "close", None)
    if close is not None:
        close()
    return failed


def _frame_problems(scene: Scene, decode: bool) -> tuple[FrameSource | None, list[Problem]]:
    try:
        frames = scene.frames()
        if isinstance(frames, FolderFrames):
            frames.check_sizes(checksums=True)
    except RobomaskError as exc:
        return None, [Problem(scene.name, "frames", "error", str(exc))]
    failed = _undecodable(frames) if decode else []
    if not failed:
        return frames, []
    more = f" (and {len(failed) - MAX_LISTED_FRAMES} more)" if len(failed) > MAX_LISTED_FRAMES \
        else ""
    return None, [Problem(scene.name, "frames", "error",
                          f"{len(failed)} of {len(frames)} frames failed to decode: "
                          f"{'; '.join(failed[:MAX_LISTED_FRAMES])}{more}")]


def _capabilities(config: Config) -> Capabilities | None:
    """The configured backend's declared capabilities; None when unknown (an unknown
    backend is reported once, by :func:`check_scenes`)."""
    try:
        return declared_capabilities(session_backend_name(config))
    except (RobomaskError, ImportError):
        return None


def check_scene(scene: Scene, config: Config, *, decode: bool = False) -> list[Problem]:
    """Every problem of one scene's frames and prompt files.

    Args:
        scene: The scene.
        config: The config it is checked against (object ids, layout, radii, backend:
            one that reads no text needs arm clicks).
        decode: Decode every frame (slow) instead of reading only headers and checksums.
    """
    capabilities = _capabilities(config)
    frames, out = _frame_problems(scene, decode)
    if frames is None:
        return out
    try:
        check_radii(config, frames.size_wh)
        if config.arm_text_bootstrap_frame_index >= len(frames):
            plan_session("arm", scene, config, frames)  # raises the run's own message
    except RobomaskError as exc:
        return [Problem(scene.name, "config", "error", str(exc))]
    # prompt files made from the render at run time, or not needed at all
    from_render = config.kinematic_masks or (config.kinematics is not None
                                             and config.kinematics.use == "prompts")
    for stage, path in (("arm", scene.arm_prompts_path), ("gripper", scene.gripper_prompts_path)):
        what = f"{stage} prompts"
        if from_render and not path.is_file():
            continue
        try:
            plan = plan_session(stage, scene, config, frames)
            if capabilities is not None:
                text_prompt(stage, plan, scene, config, capabilities,
                            session_backend_name(config))
        except RobomaskError as exc:
            out.append(Problem(scene.name, what, "error", str(exc)))
            continue
        if path.is_file():
            out += [Problem(scene.name, what, "warning", w.message)
                    for w in prompt_warnings(read_prompts(path), frames.size_wh)]
    if config.kinematics is not None:
        try:
            open_scene_render(config, scene, frames).check_visible()
        except RobomaskError as exc:
            out.append(Problem(scene.name, "kinematics", "error", str(exc)))
    return out


def check_scenes(config: Config, patterns: list[str] | None, *,
                 decode: bool = False) -> list[Problem]:
    """Problems of the backend choice and of every selected scene (a selection error is
    itself a problem; a scene whose files are missing is one problem, and the other
    scenes are still checked)."""
    try:
        declared_capabilities(config.backend)
    except ImportError as exc:
        return [Problem("", "config", "error", f"config key 'backend': expected "
                        f"{config.backend!r} to import, got {exc}")]
    except RobomaskError as exc:
        return [Problem("", "config", "error", str(exc))]
    try:
        names = select_scene_names(config, patterns)
    except RobomaskError as exc:
        return [Problem("", "scenes", "error", str(exc))]
    out: list[Problem] = []
    for name in names:
        try:
            out += check_scene(find_scene(config, name), config, decode=decode)
        except RobomaskError as exc:
            out.append(Problem(name, "frames", "error", str(exc)))
    return out
