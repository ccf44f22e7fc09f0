"""The overlay grid the notebooks end each stage with: every ``vis_frame_stride``-th frame,
at most ``vis_max_plots`` of them, masks coloured by stage, as one PNG."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from robomask.config import Config, load_config
from robomask.errors import MaskStoreError, RobomaskError
from robomask.io.atomic import write_bytes
from robomask.prompts import LEFT_KEY, RIGHT_KEY, read_prompts
from robomask.report.flags import object_name
from robomask.report.outputs import SceneOutputs
from robomask.report.overlay import draw_label, legend_strip, render_frame
from robomask.scenes import Scene
from robomask.scenes import scene as find_scene

#: What each ``stage`` choice draws: (filled stages, outlined stages).
VIEWS: dict[str | None, tuple[tuple[str, ...], tuple[str, ...]]] = {
    None: (("arm", "gripper"), ("export",)),
    "arm": (("arm",), ()),
    "gripper": (("gripper",), ()),
    "export": (("export",), ("export",)),
}
_NAMES = {"arm": "arm session", "gripper": "gripper session", "export": "exported mask"}


def preview_frames(n_frames: int, stride: int, max_plots: int) -> list[int]:
    """Frame indices of the grid: 0, stride, 2*stride, ... (at most ``max_plots``)."""
    return list(range(0, n_frames, stride))[:max_plots]


def _unclicked_grippers(scene: Scene, config: Config) -> set[int]:
    """Gripper ids without clicks in the prompt file (the second gripper of a one-gripper
    scene): the gripper session tracks only clicked objects, so these are absent by
    design. Empty when the file cannot be read. (Arm objects also come from the text
    prompt, so none of them is ruled out this way.)"""
    try:
        prompts = read_prompts(scene.gripper_prompts_path)
    except RobomaskError:
        return set()
    clicked = {e.obj_id for e in prompts[LEFT_KEY] + prompts[RIGHT_KEY]}
    return set(config.gripper_ids) - clicked


def objects_in_tiles(outputs: SceneOutputs, stages: tuple[str, ...], picked: list[int]) -> str:
    """``"arm 10/10, second arm 9/10; left gripper 10/10, right gripper 8/10"``: in how
    many tiles each object of the stages' objects CSVs is present (empty when there is no
    CSV). A gripper without clicks is named as such instead of counted, so its empty
    tiles do not read as a failure."""
    wanted, parts = set(picked), []
    cfg = outputs.config
    for stage in (s for s in stages if s != "export"):
        seen: dict[int, int] = {}
        for r in outputs.object_stats(stage):
            if r.frame_index in wanted:
                seen[r.obj_id] = seen.get(r.obj_id, 0) + (r.area_px > 0)
        unclicked = _unclicked_grippers(outputs.scene, cfg) if stage == "gripper" else set()
        counted = [f"{object_name(cfg, k)} {v}/{len(picked)}"
                   for k, v in sorted(seen.items()) if k not in unclicked]
        counted += [f"{object_name(cfg, k)} not clicked" for k in sorted(unclicked & set(seen))]
        if counted:
            parts.append(", ".join(counted))
    return "; ".join(parts)


def tile_grid(tiles: list[np.ndarray], columns: int, gap_px: int = 4) -> np.ndarray:
    """Equal-sized RGB tiles laid out ``columns`` per row on white, ``gap_px`` apart."""
    th, tw = tiles[0].shape[:2]
    cols = min(columns, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    grid = np.full((rows * (th + gap_px) - gap_px, cols * (tw + gap_px) - gap_px, 3), 255,
                   np.uint8)
    for k, tile in enumerate(tiles):
        y, x = (k // cols) * (th + gap_px), (k % cols) * (tw + gap_px)
        grid[y:y + th, x:x + tw] = tile
    return grid


def render_preview(scene: Scene, config: Config, stage: str | None = None, *,
                   tile_width: int = 480, columns: int = 4) -> np.ndarray:
    """The grid as an RGB uint8 (height, width, 3) array.

    Args:
        scene: The scene.
        config: Gives ``vis_frame_stride`` and ``vis_max_plots``.
        stage: ``None`` (arm and gripper filled, export outlined), ``"arm"``,
            ``"gripper"`` or ``"export"``.
        tile_width: Width of one tile in pixels (smaller frames are not enlarged).
        columns: Tiles per row (fewer when there are fewer tiles).

    Raises:
        MaskStoreError: None of the stages to draw has any mask yet.
    """
    if stage not in VIEWS:
        raise ValueError(f"stage: expected arm, gripper, export or None, got {stage!r}")
    fill, outline = VIEWS[stage]
    outputs = SceneOutputs(scene, config)
    stages = tuple(dict.fromkeys(fill + outline))
    if not any(outputs.present[s] for s in stages):
        where = ", ".join(str(outputs.stores[s].root) for s in stages)
        raise MaskStoreError(f"{where}: expected {' or '.join(stages)} masks, got none",
                             hint="run 'robomask segment' / 'robomask merge' first")
    picked = preview_frames(len(outputs), config.vis_frame_stride, config.vis_max_plots)
    tiles = [draw_label(render_frame(outputs, i, width=tile_width, fill=fill, outline=outline),
                        f"frame {i}") for i in picked]
    grid = tile_grid(tiles, columns)
    tw = tiles[0].shape[1]
    items = [(s, _NAMES[s] + (" (missing)" if not outputs.present[s] else ""), s in outline)
             for s in stages]
    counts = objects_in_tiles(outputs, stages, picked)
    title = (f"{scene.name}: {stage or 'all stages'}, every {config.vis_frame_stride}th frame"
             + (f"   objects in tiles: {counts}" if counts else ""))
    legend = legend_strip(grid.shape[1], title, items, height_px=max(48, min(72, tw // 6)))
    return np.concatenate([legend, grid], axis=0)


def preview(scene: Scene | str, config: Config | str | Path | None = None,
            stage: str | None = None, *, out: str | Path | None = None,
            show: bool | None = None) -> Image.Image:
    """Render the preview grid; save it as PNG and show it inline in a notebook.

    Args:
        scene: A :class:`~robomask.scenes.Scene` or a scene name (then ``config`` is needed).
        config: A :class:`~robomask.config.Config` or the path of mask_config.yaml.
        stage: ``None``, ``"arm"``, ``"gripper"`` or ``"export"`` (see :func:`render_preview`).
        out: Write the grid to this PNG file when given.
        show: Display via ``IPython.display`` (default: when running under IPython).

    Returns:
        The grid as a PIL image.

    Example:
        >>> img = preview("scene_0018", "mask_config.yaml", stage="arm")  # doctest: +SKIP
    """
    if config is None:
        raise ValueError("config: expected a Config or a mask_config.yaml path, got None")
    cfg = config if isinstance(config, Config) else load_config(config)
    sc = scene if isinstance(scene, Scene) else find_scene(cfg, scene)
    rgb = render_preview(sc, cfg, stage)
    if out is not None:
        ok, buf = cv2.imencode(".png", rgb[..., ::-1])
        if ok:
            write_bytes(Path(out), buf.tobytes())
    image = Image.fromarray(rgb)
    if show is None:
        show = _in_ipython()
    if show:
        from IPython.display import display

        display(image)
    return image


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None
