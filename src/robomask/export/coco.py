"""``coco``: one COCO instance-segmentation JSON per scene, masks as compressed RLE.

``{out}/{scene}.json`` holds one image entry per frame and one annotation per object per
frame where that object has pixels. Categories: 1 ``arm``, 2 ``gripper``. By default
(``--stage sessions``) the objects are the configured ones (arm, arm 2, left gripper,
right gripper) from the two session masks, split per object with the sessions' stored
boxes (:mod:`robomask.export.objects`); undilated, as the model saw them. ``--stage arm``
or ``gripper`` keeps one session; ``--stage export`` gives one ``arm`` annotation per
frame from the merged (dilated, gripper cut out) mask.

Image entries: ``file_name`` is the source frame's absolute path (a video source gives
the video's path, and ``frame_index`` says which frame); ``frame_index`` and
``source_stem`` (e.g. the timestamp) are extra keys. Annotations carry ``obj_id`` and
``track_id`` (the same object id across frames). Annotations are streamed to disk, so
memory stays flat in the length of the scene.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robomask import __version__
from robomask._optional import require
from robomask.io.atomic import writing
from robomask.io.frames import FrameSource
from robomask.progress import ProgressCallback
from robomask.scenes import Scene

from .base import Exporter
from .masks import SceneMasks

CATEGORIES = [{"id": 1, "name": "arm", "supercategory": "robot"},
              {"id": 2, "name": "gripper", "supercategory": "robot"}]
_CATEGORY_ID = {c["name"]: c["id"] for c in CATEGORIES}


def image_entry(frames: FrameSource, frame_index: int) -> dict:
    """The COCO image entry of one frame (id = frame_index + 1)."""
    file = getattr(frames, "file", None)
    w, h = frames.size_wh
    return {"id": frame_index + 1,
            "file_name": str(Path(file(frame_index)).resolve() if file else frames.path),
            "width": w, "height": h, "frame_index": frame_index,
            "source_stem": frames.stems[frame_index]}


@dataclass(frozen=True)
class _Frames:
    """Gives frame i's image entry and its annotations (without ids)."""

    frames: FrameSource
    masks: SceneMasks

    def frame(self, frame_index: int) -> tuple[dict, list[dict]]:
        from pycocotools import mask as rle

        annotations = []
        for obj_id, mask in self.masks.objects(frame_index).items():
            if not mask.any():
                continue
            enc = rle.encode(np.asfortranarray(mask.view(np.uint8)))
            annotations.append({
                "image_id": frame_index + 1,
                "category_id": _CATEGORY_ID[self.masks.category(obj_id)],
                "segmentation": {"size": enc["size"], "counts": enc["counts"].decode("ascii")},
                "area": int(rle.area(enc)), "bbox": [float(v) for v in rle.toBbox(enc)],
                "iscrowd": 0, "obj_id": obj_id, "track_id": obj_id})
        return image_entry(self.frames, frame_index), annotations


class CocoExporter(Exporter):
    """One COCO JSON per scene (see the module docstring); needs pycocotools."""

    name = "coco"
    stages = ("sessions", "arm", "gripper", "export")

    def targets(self, scene: Scene) -> list[Path]:
        return [self.options.out_dir / f"{scene.name}.json"]

    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        require("pycocotools", "coco", purpose="the coco export")
        frames = scene.frames()
        work = _Frames(frames, SceneMasks(scene, self.config, frames, self.stage))
        head = {"info": {"description": f"robomask masks of scene {scene.name}",
                         "version": __version__, "stage": self.stage,
                         "date_created": dt.datetime.now(dt.timezone.utc).isoformat(),
                         "frames": str(frames.path)},
                "licenses": [], "categories": CATEGORIES}
        images = []
        ann_id = 0
        with writing(staged[0]) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(head)[:-1] + ', "annotations": [')
            ticker = self.ticker(scene, len(frames), on_progress)
            for image, annotations in self.map_frames(work, len(frames), ticker):
                images.append(image)
                for ann in annotations:
                    ann_id += 1
                    fh.write(("" if ann_id == 1 else ", ") + json.dumps({"id": ann_id, **ann}))
            fh.write('], "images": ' + json.dumps(images) + "}\n")
        return len(frames)
