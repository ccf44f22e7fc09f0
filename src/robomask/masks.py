"""The one mask result type that flows from backends to stores, exporters and the UI, and
the small mask geometry every layer shares (IoU, a disk kernel, farthest-point sampling)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np


def disk_kernel(radius_px: int) -> np.ndarray:
    """OpenCV's elliptic structuring element of side ``2 * radius_px + 1``: uint8, 1 on
    the pixels within about ``radius_px`` of the centre."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius_px + 1,) * 2)


def farthest_points(points: np.ndarray, first: int, k: int) -> np.ndarray:
    """``k`` rows of ``points`` (M, 2) spread by farthest-point sampling, starting at row
    ``first`` (fewer when there are fewer rows)."""
    chosen = [first]
    nearest = ((points - points[first]) ** 2).sum(axis=1)
    while len(chosen) < min(k, len(points)):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, ((points - points[nxt]) ** 2).sum(axis=1))
    return points[chosen]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool (height, width) masks; 1.0 when both are empty."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


@dataclass(frozen=True)
class FrameMasks:
    """Binary masks of several objects on one frame.

    Attributes:
        frame_index: 0-based position of the frame in the video.
        size_wh: Frame size as (width, height) in pixels.
        masks: Object id -> bool array of shape (height, width). An object missing from
            the mapping is absent on this frame; an all-False mask means the same.
    """

    frame_index: int
    size_wh: tuple[int, int]
    masks: Mapping[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frame_index < 0:
            raise ValueError(f"frame_index: expected >= 0, got {self.frame_index}")
        w, h = self.size_wh
        clean: dict[int, np.ndarray] = {}
        for obj_id, mask in self.masks.items():
            arr = np.asarray(mask)
            if arr.ndim == 3 and arr.shape[0] == 1:
                arr = arr[0]
            if arr.shape != (h, w):
                raise ValueError(
                    f"frame {self.frame_index}, object {obj_id}: expected a mask of shape "
                    f"(height, width) = ({h}, {w}), got {arr.shape}"
                )
            clean[int(obj_id)] = arr if arr.dtype == bool else arr > 0
        object.__setattr__(self, "masks", clean)

    @property
    def object_ids(self) -> list[int]:
        """Ids of the objects whose mask has at least one pixel, sorted."""
        return sorted(i for i, m in self.masks.items() if m.any())

    def union(self, obj_ids: Iterable[int] | None = None) -> np.ndarray:
        """Bool (height, width) union of the given objects (all when ``None``)."""
        w, h = self.size_wh
        out = np.zeros((h, w), dtype=bool)
        wanted = None if obj_ids is None else set(obj_ids)
        for obj_id, mask in self.masks.items():
            if wanted is None or obj_id in wanted:
                out |= mask
        return out

    def only(self, obj_ids: Iterable[int]) -> FrameMasks:
        """The same frame restricted to ``obj_ids``."""
        keep = set(obj_ids)
        return FrameMasks(self.frame_index, self.size_wh, {
            i: m for i, m in self.masks.items() if i in keep
        })

    def merged_with(self, newer: FrameMasks) -> FrameMasks:
        """Per-object merge: objects of ``newer`` replace ours, objects only we have stay.

        This is how a backward pass joins a forward pass on the same frame without losing
        an object that only one of the passes found.
        """
        if newer.frame_index != self.frame_index:
            raise ValueError(
                f"expected the same frame_index, got {self.frame_index} and {newer.frame_index}"
            )
        joined = dict(self.masks)
        for obj_id, mask in newer.masks.items():
            if mask.any() or obj_id not in joined:
                joined[obj_id] = mask
        return FrameMasks(self.frame_index, self.size_wh, joined)

    @classmethod
    def from_sam3(cls, frame_index: int, output: Mapping[str, Any],
                  size_wh: tuple[int, int]) -> FrameMasks:
        """Adapter for one frame of SAM3's propagate output (no sam3 import needed).

        Args:
            frame_index: The frame the output belongs to.
            output: Dict with ``out_obj_ids`` (N,) and ``out_binary_masks`` (N, H, W),
                as numpy arrays or torch tensors already moved to the CPU.
            size_wh: (width, height) of the video in pixels.
        """
        ids = np.asarray(output.get("out_obj_ids", [])).reshape(-1)
        masks = output.get("out_binary_masks")
        if masks is None or len(ids) == 0:
            return cls(frame_index, size_wh, {})
        arr = np.asarray(masks)
        return cls(frame_index, size_wh, {int(i): arr[k] for k, i in enumerate(ids)})
