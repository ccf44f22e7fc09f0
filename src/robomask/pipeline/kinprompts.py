"""``kinematics.use: prompts``: the SPEC prompt files, written from the render before the
sessions, so that any backend runs with zero clicks.

A prompt file a person made (or saved from ``robomask annotate``) is never overwritten;
a generated one carries ``stats.generated_by`` and is rewritten when the kinematics
section, a file it names (URDF, joint states, intrinsics, pose), the video or the object
ids change.
"""

from __future__ import annotations

from pathlib import Path

from robomask.config import Config
from robomask.io.frames import FrameSource
from robomask.pipeline.state import fingerprint, tree_digest
from robomask.progress import ProgressCallback
from robomask.prompts import GENERATED_BY, generated_stats, write_prompts
from robomask.scenes import Scene


def wants_generated_prompts(config: Config) -> bool:
    """True when the config asks for prompt files made from the render."""
    return (config.kinematics is not None and config.kinematics.use == "prompts"
            and not config.kinematic_masks)


def render_fingerprint(config: Config, scene: Scene) -> str | None:
    """Fingerprint of what the render of ``scene`` depends on: the kinematics section and
    the contents of the files it names (so a new calibration or re-recorded joint states
    redo what was made from the render). None without a kinematics section.

    Raises:
        KinematicsError: An unknown placeholder in a path.
    """
    kin = config.kinematics
    if kin is None:
        return None
    from robomask.kinematics.scene import input_paths  # only with a kinematics section

    files = {key: tree_digest(path) for key, path in input_paths(kin, scene).items()}
    return fingerprint(kin.model_dump_json(), files)


def ensure_kinematic_prompts(scene: Scene, config: Config, frames: FrameSource | None = None,
                             *, on_progress: ProgressCallback | None = None) -> list[Path]:
    """Write the scene's missing or outdated generated prompt files; returns those written.

    Raises:
        KinematicsError: Bad URDF, joint states or camera, or the robot out of view.
    """
    if not wants_generated_prompts(config):
        return []
    frames = frames if frames is not None else scene.frames()
    kin = config.kinematics
    assert kin is not None  # wants_generated_prompts checked it
    fp = fingerprint(render_fingerprint(config, scene), len(frames), frames.size_wh,
                     config.arm_ids, config.gripper_ids)
    todo = [p for p in (scene.arm_prompts_path, scene.gripper_prompts_path)
            if not p.exists() or ((s := generated_stats(p)) is not None
                                  and s.get("generated_fingerprint") != fp)]
    if not todo:
        return []
    from robomask.kinematics import open_scene_render  # only with a kinematics section
    from robomask.kinematics.clicks import kinematic_prompts

    render = open_scene_render(config, scene, frames)
    render.check_visible()
    made = kinematic_prompts(render, config, kin.keyframe_every, on_progress=on_progress)
    extra = {"generated_by": GENERATED_BY, "generated_fingerprint": fp,
             "generated_keyframes": made.keyframes}
    for path in todo:
        write_prompts(path, made.arm if path == scene.arm_prompts_path else made.gripper,
                      extra_stats=extra)
    return todo
