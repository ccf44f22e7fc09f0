"""``propainter``: per scene a ``frames/`` and a ``masks/`` folder that ProPainter reads.

ProPainter (``inference_propainter.py --video DIR --mask DIR``) pairs frames and masks
by sorted name and processes sizes that are multiples of 8. Each scene gets
``{out}/{scene}/frames/00000.png ...`` and ``{out}/{scene}/masks/00000.png ...`` (equal
counts, same sorted order, masks 0/255; a source frame that needs no change is copied
byte for byte and keeps its suffix, e.g. ``00000.jpg``), optionally scaled down so the
longer side is at most ``max_side`` pixels, then padded (default; bottom and right
edges, frame edge pixels repeated, mask 0) or cropped (bottom and right) to multiples
of 8. ``robomask_export.json`` beside them records the sizes, so results can be mapped
back to the source frames.
"""

from __future__ import annotations

import math
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from robomask.errors import ExportError
from robomask.io.atomic import write_bytes, write_json, writing
from robomask.io.frames import FolderFrames, FrameSource
from robomask.io.maskstore import encode_png
from robomask.progress import ProgressCallback
from robomask.scenes import Scene

from .base import Exporter, ExportOptions, SceneExport
from .masks import SceneMasks

MULTIPLE = 8
LAYOUT_FILE = "robomask_export.json"
_FRAME_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1]


@dataclass(frozen=True)
class Geometry:
    """How a source frame becomes a ProPainter frame; sizes are (width, height) pixels.

    Attributes:
        source_wh: Size of the source frames.
        scaled_wh: Size after scaling down to ``max_side`` (= source_wh when not scaled).
        out_wh: Size written: ``scaled_wh`` padded or cropped to multiples of 8.
        fit: ``"pad"`` or ``"crop"`` (both at the bottom and right edges).
    """

    source_wh: tuple[int, int]
    scaled_wh: tuple[int, int]
    out_wh: tuple[int, int]
    fit: str

    @classmethod
    def plan(cls, source_wh: tuple[int, int], max_side: int | None, fit: str) -> Geometry:
        w, h = source_wh
        scale = min(1.0, max_side / max(w, h)) if max_side else 1.0
        sw, sh = max(round(w * scale), 1), max(round(h * scale), 1)
        rounding = math.ceil if fit == "pad" else math.floor
        ow, oh = (max(rounding(v / MULTIPLE), 1) * MULTIPLE for v in (sw, sh))
        return cls((w, h), (sw, sh), (ow, oh), fit)

    @property
    def is_identity(self) -> bool:
        """True when frames pass unchanged (already multiples of 8, not scaled)."""
        return self.out_wh == self.source_wh

    def frame(self, rgb: np.ndarray) -> np.ndarray:
        """A (height, width, 3) frame scaled, then padded or cropped to ``out_wh``."""
        return self._fit(self._scale(rgb, cv2.INTER_AREA), cv2.BORDER_REPLICATE)

    def mask(self, mask: np.ndarray) -> np.ndarray:
        """A bool (height, width) mask as uint8 0/255 of ``out_wh``; scaling keeps every
        output pixel that covers any masked source pixel (an inpainting mask must not
        shrink)."""
        u8 = mask.view(np.uint8) * 255
        return self._fit((self._scale(u8, cv2.INTER_AREA) > 0).view(np.uint8) * 255,
                         cv2.BORDER_CONSTANT)

    def _scale(self, img: np.ndarray, interpolation: int) -> np.ndarray:
        if self.scaled_wh == self.source_wh:
            return img
        return cv2.resize(img, self.scaled_wh, interpolation=interpolation)

    def _fit(self, img: np.ndarray, border: int) -> np.ndarray:
        (sw, sh), (ow, oh) = self.scaled_wh, self.out_wh
        if (ow, oh) == (sw, sh):
            return img
        if self.fit == "crop":
            return np.ascontiguousarray(img[:oh, :ow])
        return cv2.copyMakeBorder(img, 0, oh - sh, 0, ow - sw, border, value=0)


@dataclass(frozen=True)
class _Frames:
    """Writes frame i and its mask as ``{root}/frames/i.png`` and ``{root}/masks/i.png``."""

    frames: FrameSource
    masks: SceneMasks
    geometry: Geometry
    root: Path

    def frame(self, frame_index: int) -> None:
        name = f"{frame_index:05d}"
        if self.geometry.is_identity and isinstance(self.frames, FolderFrames):
            source = self.frames.file(frame_index)  # already the right size: copied as is
            with writing(self.root / "frames" / f"{name}{source.suffix.lower()}") as tmp:
                shutil.copyfile(source, tmp)
        else:
            rgb = self.geometry.frame(self.frames[frame_index])
            write_bytes(self.root / "frames" / f"{name}.png",
                        cv2.imencode(".png", rgb[..., ::-1], _FRAME_PNG)[1].tobytes())
        write_bytes(self.root / "masks" / f"{name}.png",
                    encode_png(self.geometry.mask(self.masks.union(frame_index))))


class ProPainterExporter(Exporter):
    """Frames and masks folders per scene for ProPainter (see the module docstring).

    Format options: ``max_side`` (pixels, longer side; default: full size) and ``fit``
    (``pad``, the default, or ``crop``).
    """

    name = "propainter"
    params = ("max_side", "fit")

    def __init__(self, config, options: ExportOptions) -> None:
        super().__init__(config, options)
        self.max_side = options.params.get("max_side")
        self.fit = options.params.get("fit") or "pad"
        if self.fit not in ("pad", "crop"):
            raise ExportError(f"--fit: expected pad or crop, got {self.fit!r}")
        if self.max_side is not None and self.max_side < MULTIPLE:
            raise ExportError(f"--max-side: expected at least {MULTIPLE} pixels, got "
                              f"{self.max_side}")

    def targets(self, scene: Scene) -> list[Path]:
        return [self.options.out_dir / scene.name]

    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        frames = scene.frames()
        geo = Geometry.plan(frames.size_wh, self.max_side, self.fit)
        work = _Frames(frames, SceneMasks(scene, self.config, frames, self.stage), geo,
                       staged[0])
        ticker = self.ticker(scene, len(frames), on_progress)
        for _ in self.map_frames(work, len(frames), ticker, frames=frames):
            pass
        write_json(staged[0] / LAYOUT_FILE, {
            "format": "robomask.propainter.v1", "scene": scene.name, "stage": self.stage,
            "frames": str(frames.path), "stems": frames.stems, **asdict(geo)})
        return len(frames)

    def next_steps(self, results: Sequence[SceneExport]) -> list[str]:
        lines = ["run ProPainter (from its repository) on each scene; it dilates the masks "
                 "again by --mask_dilation (default 4 px): lower it, or robomask's "
                 "export_*_dilate_radius, to avoid double dilation:"]
        for r in results:
            root = r.targets[0]
            lines.append("  python inference_propainter.py --video "
                         f"{shlex.quote(str(root / 'frames'))} --mask "
                         f"{shlex.quote(str(root / 'masks'))} --output "
                         f"{shlex.quote(str(root / 'propainter'))} --mask_dilation 4")
        return lines
