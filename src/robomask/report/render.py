"""``robomask render``: the kinematic masks of a scene and an overlay preview, no model.

Writes ``{out}/{object}/00000.png`` (0/255, one folder per object with links: ``arm``,
``arm_2``, ``gripper_left``, ``gripper_right``) and ``{out}/preview.png`` (every
``vis_frame_stride``-th frame, arm red, grippers blue).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from robomask.config import Config
from robomask.io.atomic import refuse_overwrite, write_bytes
from robomask.io.maskstore import MaskStore
from robomask.kinematics import open_scene_render
from robomask.progress import ProgressCallback, Ticker
from robomask.report.overlay import draw_label, draw_overlay, fit_size
from robomask.report.preview import preview_frames, tile_grid
from robomask.scenes import Scene


@dataclass(frozen=True)
class RenderResult:
    """What ``robomask render`` wrote.

    Attributes:
        out_dir: The folder.
        frames: Frames rendered.
        objects: Object name -> frames where it has pixels.
        preview: The overlay preview PNG.
        seconds: Wall time.
    """

    out_dir: Path
    frames: int
    objects: dict[str, int]
    preview: Path
    seconds: float


def default_render_dir(scene: Scene) -> Path:
    """``{export_base_dir}/{task_name}/{scene}_render``."""
    return scene.output_dir / f"{scene.name}_render"


def write_render(scene: Scene, config: Config, out_dir: Path | None = None, *,
                 force: bool = False, on_progress: ProgressCallback | None = None
                 ) -> RenderResult:
    """Render every frame of ``scene`` and write the object masks and a preview.

    Raises:
        KinematicsError: No kinematics section, bad calibration inputs, the robot out of
            view on every frame.
        OverwriteError: ``out_dir`` already holds files (without ``force``).
    """
    out = Path(out_dir) if out_dir is not None else default_render_dir(scene)
    refuse_overwrite(out, force=force, instead="--out another folder")
    frames = scene.frames()
    sr = open_scene_render(config, scene, frames)
    sr.check_visible()
    names = {obj_id: sr.names[obj_id] for obj_id in sr.groups}
    stores = {obj_id: MaskStore(out / name, size_wh=frames.size_wh, stems=frames.stems,
                                naming=scene.mask_naming)  # type: ignore[arg-type]
              for obj_id, name in names.items()}
    for store in stores.values():
        store.prepare()
    picked = set(preview_frames(len(frames), config.vis_frame_stride, config.vis_max_plots))
    tiles: list[np.ndarray] = []
    counts = dict.fromkeys(names.values(), 0)
    ticker = Ticker(f"{scene.name}/render", len(frames), on_progress)
    for fm in sr:
        for obj_id, store in stores.items():
            mask = fm.masks[obj_id]
            store.write(fm.frame_index, mask)
            counts[names[obj_id]] += bool(mask.any())
        if fm.frame_index in picked:
            tiles.append(_tile(frames[fm.frame_index], fm.masks, names, fm.frame_index))
        ticker.advance()
    preview = out / "preview.png"
    ok, buf = cv2.imencode(".png", tile_grid(tiles, 4)[..., ::-1])
    if ok:
        write_bytes(preview, buf.tobytes())
    return RenderResult(out, len(frames), counts, preview, ticker.elapsed_s)


def _tile(rgb: np.ndarray, masks: dict[int, np.ndarray], names: dict[int, str],
          frame_index: int, width: int = 480) -> np.ndarray:
    size = fit_size((rgb.shape[1], rgb.shape[0]), width)
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    arm = np.zeros(small.shape[:2], bool)
    grip = np.zeros(small.shape[:2], bool)
    for obj_id, mask in masks.items():
        m = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        (grip if names[obj_id].startswith("gripper") else arm)[...] |= m
    tile = draw_overlay(small, {"arm": arm, "gripper": grip, "export": arm | grip})
    return draw_label(tile, f"frame {frame_index} (render)")
