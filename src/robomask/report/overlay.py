"""Drawing masks over frames (OpenCV only): fills, outlines, labels and a legend strip.

All images are RGB ``uint8`` arrays of shape (height, width, 3); masks are bool arrays
of shape (height, width) in the same pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import cv2
import numpy as np

from robomask.report.outputs import SceneOutputs

#: Stage colours (RGB): arm session fill, gripper session fill, exported mask outline.
COLOURS = {"arm": (255, 70, 70), "gripper": (40, 150, 255), "export": (255, 225, 0)}
ALPHA = 0.45
FONT = cv2.FONT_HERSHEY_SIMPLEX


def fit_size(size_wh: tuple[int, int], width: int | None) -> tuple[int, int]:
    """(width, height) scaled down to ``width`` pixels wide, keeping the aspect ratio;
    unchanged when ``width`` is None or not smaller."""
    w, h = size_wh
    if width is None or width >= w:
        return w, h
    return width, max(1, round(h * width / w))


def resize_mask(mask: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Bool mask resized to (width, height) = ``size_wh`` (area-averaged, >= half)."""
    if mask.shape[::-1] == tuple(size_wh):
        return mask
    return cv2.resize(mask.view(np.uint8) * 255, size_wh, interpolation=cv2.INTER_AREA) >= 128


def draw_overlay(rgb: np.ndarray, masks: Mapping[str, np.ndarray | None], *,
                 fill: Iterable[str] = ("arm", "gripper"), outline: Iterable[str] = ("export",),
                 thickness: int = 1) -> np.ndarray:
    """A copy of ``rgb`` with the ``fill`` stages tinted and the ``outline`` stages traced.

    Args:
        rgb: (height, width, 3) uint8 frame.
        masks: Stage -> bool (height, width) mask, or None to draw nothing for it.
        fill: Stages drawn as translucent fills (:data:`ALPHA`), in this order.
        outline: Stages drawn as contours ``thickness`` pixels wide, on top.
    """
    out = rgb.copy()
    for stage in fill:
        m = masks.get(stage)
        if m is None:
            continue
        x, y, w, h = cv2.boundingRect(m.view(np.uint8))  # blend only the mask's box
        if w == 0:
            continue
        roi = out[y:y + h, x:x + w]
        tint = cv2.addWeighted(roi, 1 - ALPHA, np.full_like(roi, COLOURS[stage]), ALPHA, 0)
        np.copyto(roi, tint, where=m[y:y + h, x:x + w, None])
    for stage in outline:
        m = masks.get(stage)
        if m is not None and m.any():
            contours, _ = cv2.findContours(m.view(np.uint8), cv2.RETR_LIST,
                                           cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, contours, -1, COLOURS[stage], thickness, cv2.LINE_AA)
    return out


def draw_label(rgb: np.ndarray, text: str, *, origin_xy: tuple[int, int] = (0, 0),
               scale: float | None = None) -> np.ndarray:
    """Write ``text`` in white on a black box at ``origin_xy`` (top-left, pixels), in place.

    ``scale`` defaults to a size readable at the image's height.
    """
    scale = scale or max(0.45, rgb.shape[0] / 900)
    thick = max(1, round(scale * 1.8))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    pad = max(2, round(4 * scale))
    x, y = origin_xy
    cv2.rectangle(rgb, (x, y), (x + tw + 2 * pad, y + th + base + 2 * pad), (0, 0, 0), -1)
    cv2.putText(rgb, text, (x + pad, y + pad + th), FONT, scale, (255, 255, 255), thick,
                cv2.LINE_AA)
    return rgb


def _wrap(text: str, max_width_px: int, scale: float, thickness: int) -> list[str]:
    """``text`` in lines of whole words that each fit ``max_width_px`` when drawn (a
    single word wider than that gets a line of its own)."""
    lines: list[str] = []
    for word in text.split(" "):  # runs of spaces survive inside a line, not at its start
        wider = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(wider, FONT, scale, thickness)[0][0] <= max_width_px:
            lines[-1] = wider
        elif word:
            lines.append(word)
    return lines


def legend_strip(width_px: int, title: str, items: Sequence[tuple[str, str, bool]],
                 height_px: int = 64) -> np.ndarray:
    """A white (height, width_px, 3) strip: ``title`` on the first line, then one swatch
    per ``(stage, text, outlined)`` item (outlined: a hollow box, else filled).

    ``height_px`` is the height when everything fits one title line and one swatch line;
    what does not fit ``width_px`` wraps onto further lines (the strip grows), so nothing
    is cut at the right edge.
    """
    scale = height_px / 110
    pitch, box = int(height_px * 0.36), int(height_px * 0.28)
    title_lines = _wrap(title, width_px - 16, scale * 1.15, 2)
    swatches: list[list[tuple[int, str, str, bool]]] = [[]]  # per line: (x, stage, text, ...)
    x = 8
    for stage, text, outlined in items:
        step = box + 18 + cv2.getTextSize(text, FONT, scale, 1)[0][0]
        if swatches[-1] and x + step - 12 > width_px:
            swatches.append([])
            x = 8
        swatches[-1].append((x, stage, text, outlined))
        x += step
    extra = pitch * (len(title_lines) - 1 + len(swatches) - 1)
    strip = np.full((height_px + extra, width_px, 3), 255, np.uint8)
    for k, line in enumerate(title_lines):
        cv2.putText(strip, line, (8, int(height_px * 0.38) + k * pitch), FONT, scale * 1.15,
                    (0, 0, 0), 2, cv2.LINE_AA)
    y = int(height_px * 0.58) + pitch * (len(title_lines) - 1)
    for row in swatches:
        for x, stage, text, outlined in row:
            colour = COLOURS[stage]
            cv2.rectangle(strip, (x, y), (x + box, y + box), colour, 3 if outlined else -1)
            cv2.putText(strip, text, (x + box + 6, y + box - 2), FONT, scale, (30, 30, 30), 1,
                        cv2.LINE_AA)
        y += pitch
    return strip


def render_frame(outputs: SceneOutputs, frame_index: int, *, width: int | None = None,
                 fill: Iterable[str] = ("arm", "gripper"),
                 outline: Iterable[str] = ("export",), thickness: int = 1) -> np.ndarray:
    """Frame ``frame_index`` of a scene with its masks drawn, ``width`` pixels wide.

    Returns:
        RGB uint8 (height, width, 3), downscaled (area-averaged) when ``width`` is smaller
        than the frame.
    """
    fill, outline = tuple(fill), tuple(outline)
    frame = outputs.frames[frame_index]
    size = fit_size(outputs.size_wh, width)
    if size != outputs.size_wh:
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    masks = {}
    for stage in set(fill) | set(outline):
        m = outputs.mask(stage, frame_index)
        masks[stage] = None if m is None else resize_mask(m, size)
    return draw_overlay(frame, masks, fill=fill, outline=outline, thickness=thickness)
