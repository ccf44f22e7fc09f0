"""Merge and export (SPEC section 5): dilate both session masks, then combine per frame."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from robomask.config import Config
from robomask.errors import ConfigError, MergeError
from robomask.io.maskstore import MaskStore
from robomask.parallel import map_frames
from robomask.pipeline.ready import require_sessions_done
from robomask.pipeline.state import StageState, fingerprint
from robomask.progress import ProgressCallback, Ticker
from robomask.scenes import Scene


def dilate(mask: np.ndarray, radius_px: int, kernel: str = "square") -> np.ndarray:
    """Dilate a bool (height, width) mask.

    Args:
        mask: Bool array (height, width).
        radius_px: Radius in pixels; 0 returns the mask unchanged.
        kernel: ``"square"``, a (2r+1)x(2r+1) square as the notebooks use, or ``"disk"``,
            OpenCV's ``MORPH_ELLIPSE`` of that size: offset (dx, dy) is in the disk when
            ``|dx| <= round(sqrt(r**2 - dy**2))``, slightly fuller than
            ``dx**2 + dy**2 <= r**2`` (e.g. 17 instead of 13 pixels at r = 2).

    Only the bounding box of the mask grown by the radius is processed, which gives
    the same pixels as dilating the whole frame at a fraction of the cost.
    """
    if radius_px < 0:
        raise ValueError(f"radius_px: expected >= 0, got {radius_px}")
    if radius_px == 0:
        return mask
    u8 = mask.view(np.uint8) if mask.dtype == bool else (mask > 0).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(u8)
    out = np.zeros_like(mask, dtype=bool)
    if w == 0:
        return out
    H, W = mask.shape
    x0, y0 = max(x - radius_px, 0), max(y - radius_px, 0)
    x1, y1 = min(x + w + radius_px, W), min(y + h + radius_px, H)
    size = 2 * radius_px + 1
    shape = cv2.MORPH_RECT if kernel == "square" else cv2.MORPH_ELLIPSE
    se = cv2.getStructuringElement(shape, (size, size))
    out[y0:y1, x0:x1] = cv2.dilate(u8[y0:y1, x0:x1], se) > 0
    return out


def check_radii(config: Config, size_wh: tuple[int, int]) -> None:
    """Refuse a dilation radius past the frame's larger side: no mask needs it (a radius
    that long already covers the whole frame from any pixel) and OpenCV would build a
    kernel of (2r+1)^2 bytes for it.

    Raises:
        ConfigError: ``export_arm_dilate_radius`` or ``export_gripper_dilate_radius`` is
            larger than ``max(width, height)`` of the frames.
    """
    limit = max(size_wh)
    for key in ("export_arm_dilate_radius", "export_gripper_dilate_radius"):
        radius = getattr(config, key)
        if radius > limit:
            raise ConfigError(f"{key}: expected a radius of at most {limit} px (the larger "
                              f"side of the {size_wh[0]}x{size_wh[1]} frames), got {radius}")


def combine(arm: np.ndarray, gripper: np.ndarray, mode: str) -> np.ndarray:
    """Combine dilated bool masks: arm_minus_gripper | union | arm | gripper."""
    if mode == "arm_minus_gripper":
        return arm & ~gripper
    if mode == "union":
        return arm | gripper
    if mode == "arm":
        return arm
    if mode == "gripper":
        return gripper
    raise ValueError(
        f"export_mode: expected arm_minus_gripper, union, arm or gripper, got {mode!r}")


def merge_frame(arm: np.ndarray, gripper: np.ndarray, config: Config) -> np.ndarray:
    """The exported bool mask of one frame from the two undilated session masks."""
    a = dilate(arm, config.export_arm_dilate_radius, config.dilate_kernel)
    g = dilate(gripper, config.export_gripper_dilate_radius, config.dilate_kernel)
    return combine(a, g, config.export_mode)


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: frames written and skipped (already done), seconds taken."""

    scene: str
    frames_written: int
    frames_skipped: int
    seconds: float


def merge_fingerprint(scene: Scene, config: Config) -> str:
    """Fingerprint of the merge's inputs: settings and the upstream session markers."""
    upstream = [StageState(scene.state_dir, s).done_fingerprint() for s in ("arm", "gripper")]
    return fingerprint("export", config.export_arm_dilate_radius,
                       config.export_gripper_dilate_radius, config.dilate_kernel,
                       config.export_mode, config.mask_naming, upstream)


def _require_gripper_somewhere(store: MaskStore, mode: str) -> None:
    if mode == "arm":
        return
    for i in range(len(store)):
        if store.read(i).any():
            return
    raise MergeError(f"{store.root}: expected a gripper mask in at least one frame, got an "
                     "empty mask in every frame (the gripper session looks broken)",
                     hint="check the gripper prompts and re-run 'robomask segment gripper'")


@dataclass(frozen=True)
class _MergeJob:
    """What a worker needs to merge and write one frame."""

    arm: MaskStore
    gripper: MaskStore
    out: MaskStore
    config: Config
    logged: frozenset[int]


def _merge_and_write(job: _MergeJob, frame_index: int) -> tuple[int, int, int] | None:
    """Merge one frame and write it; its (arm, gripper, exported) pixel counts when the
    frame is one the progress log shows, else None."""
    a, g = job.arm.read(frame_index), job.gripper.read(frame_index)
    exported = merge_frame(a, g, job.config)
    job.out.write(frame_index, exported)
    if frame_index not in job.logged:
        return None
    return (int(np.count_nonzero(a)), int(np.count_nonzero(g)),
            int(np.count_nonzero(exported)))


def merge_scene(scene: Scene, config: Config, *, force: bool = False, jobs: int | None = None,
                on_progress: ProgressCallback | None = None) -> MergeResult:
    """Merge the arm and gripper session masks of ``scene`` into the export folder.

    Frames already exported with the same inputs are skipped unless ``force``. Frames
    are merged on ``jobs`` threads (None = every core; decoding, dilation and encoding
    release the GIL); the files are the same, byte for byte, whatever the number.

    Raises:
        StageNotReadyError: A session is interrupted, stale, incomplete or missing.
        MaskStoreError: A session mask is unreadable or of the wrong size.
        MergeError: The gripper mask is empty in every frame.
    """
    t0 = time.perf_counter()
    frames = scene.frames()
    arm = scene.store("arm", frames)
    grip = scene.store("gripper", frames)
    out = scene.store("export", frames)
    state = StageState(scene.state_dir, "export")
    fp = merge_fingerprint(scene, config)
    check_radii(config, frames.size_wh)
    require_sessions_done(scene, config, frames)
    _require_gripper_somewhere(grip, config.export_mode)

    marker = state.read()
    resumable = not force and marker is not None and marker.get("fingerprint") == fp
    todo = out.missing() if resumable else list(range(len(out)))
    out.prepare()
    if not resumable:  # masks of other settings must not pass for done if this run is killed
        for i in todo:
            out.path(i).unlink(missing_ok=True)
    state.mark_running(fp)
    ticker = Ticker(f"{scene.name}/merge", len(todo), on_progress)
    every = config.export_log_every
    logged = frozenset(i for n, i in enumerate(todo, start=1) if n % every == 0 or n == len(todo))
    job = _MergeJob(arm, grip, out, config, logged)
    for i, counts in zip(todo, map_frames(_merge_and_write, job, todo, jobs=jobs), strict=True):
        message = None
        if counts is not None:
            message = (f"[merge] {scene.name} frame {i}: arm={counts[0]} gripper={counts[1]} "
                       f"exported={counts[2]} px")
        ticker.advance(1, message)
    seconds = time.perf_counter() - t0
    state.mark_done(fp, frames=len(out), seconds=round(seconds, 3))
    return MergeResult(scene.name, len(todo), len(out) - len(todo), seconds)
