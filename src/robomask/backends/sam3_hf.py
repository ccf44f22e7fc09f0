"""Backend ``sam3-hf``: SAM3 through transformers (>= 5), on CUDA, MPS or the CPU.

One model folder (``sam3_hf_model_dir``, the facebook/sam3 hub repository saved
locally) gives ``Sam3VideoModel`` and ``Sam3VideoProcessor``. Weights are read with
``local_files_only=True``: nothing is downloaded at run time.

How text objects and clicked objects share one session: every object lives in one
tracker session of the ``Sam3TrackerVideoModel`` that ``Sam3VideoModel`` holds
(``video_model.tracker_model``), driven by a ``Sam3TrackerVideoProcessor`` built on the
same image processor.

- A text prompt runs the detector (Sam3VideoModel with Sam3VideoProcessor's text
  prompt) on that one frame; each object it finds seeds the tracker as a mask prompt on
  that frame, under the detector's object id. Unlike the official package, the detector
  does not run again on later frames: an instance that appears later is not found
  (click it instead).
- Duplicate detections: transformers runs the detector's non-maximum suppression only
  with the ``kernels`` package, which fetches kernel code from the Hub at run time, and
  otherwise keeps every duplicate. robomask gives transformers its own NMS
  (:func:`nms_masks`, mask IoU above the model's ``det_nms_thresh``, best score kept) and
  turns the Hub path off, so nothing is downloaded (hole filling and sprinkle removal,
  which need the same kernels, are skipped). Text objects whose mask is empty on the
  text frame are not seeded.
- Clicks are point prompts of the tracker in pixels (x, y); a box given with them goes
  with them in the same call (``input_boxes``: the tracker prepends its corners as
  points labelled 2 and 3, as SAM2/SAM3 encode boxes). Clicks on an id the text
  found refine that object, as in SAM3: transformers would store a click on a frame the
  tracker already went through as an ordinary tracked frame, which the next propagation
  recomputes without the clicks; the clicked frame is made a conditioning frame of its
  object instead, as the official tracker does (sam3_tracking_predictor.py,
  ``add_all_frames_to_correct_as_cond``). No cache warm-up is needed here.
- The tracker has no vision encoder of its own: the detector's backbone encodes each
  frame once and its features are handed to the tracker (as Sam3VideoModel does
  internally), so the ViT is in memory once.

Streaming and memory: frames are read from the FrameSource one at a time, encoded, fed
to the tracker in streaming mode and dropped right after; per-object tracking results
older than the tracker's memory window (``num_maskmem`` frames and
``max_object_pointers_in_encoder`` object pointers) are pruned as the propagation moves
on. Memory therefore stays flat in the video's length; prompt frames (conditioning
outputs) are always kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from robomask._optional import available, require
from robomask.backends.base import Backend, Capabilities, VideoSession
from robomask.backends.torch_device import pick_device, pick_dtype, release_memory
from robomask.config import Config, Stage
from robomask.errors import BackendError
from robomask.io.frames import FrameSource
from robomask.masks import FrameMasks

log = logging.getLogger(__name__)

_Prompt = tuple[str, Any, Any, Any]  # ("mask", mask, None, None) | ("points", xy, labels, box)

DOWNLOAD_HINT = ("huggingface-cli download facebook/sam3 --local-dir DIR (gated: request "
                 "access on the hub first), then set sam3_hf_model_dir: DIR")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def check_model_dir(model_dir: Path | None) -> Path:
    """The transformers SAM3 folder, checked for the files loading needs.

    Raises:
        BackendError: Not configured, missing, or without config/weights/processor files.
    """
    if model_dir is None:
        raise BackendError("config key 'sam3_hf_model_dir': expected the local folder of the "
                           "transformers SAM3 weights, got no value", hint=DOWNLOAD_HINT)
    path = Path(model_dir).expanduser()
    if not path.is_dir():
        raise BackendError(f"config key 'sam3_hf_model_dir': expected a folder, got nothing "
                           f"at {path}", hint=DOWNLOAD_HINT)
    missing = [name for name, ok in (
        ("config.json", (path / "config.json").is_file()),
        ("model weights (model.safetensors)", any((path / f).is_file() for f in WEIGHT_FILES)),
        ("processor_config.json", (path / "processor_config.json").is_file()
         or (path / "preprocessor_config.json").is_file()),
        ("tokenizer files", (path / "tokenizer.json").is_file()
         or (path / "vocab.json").is_file()),
    ) if not ok]
    if missing:
        raise BackendError(f"{path}: expected a complete transformers SAM3 folder, got it "
                           f"without {', '.join(missing)}", hint=DOWNLOAD_HINT)
    return path


def transformers_problem() -> str | None:
    """Why transformers cannot serve SAM3 here (None when it can)."""
    if not available("transformers"):
        return "no transformers"
    from importlib.metadata import version

    major = int(version("transformers").split(".")[0])
    return None if major >= 5 else f"transformers {version('transformers')} (SAM3 needs >= 5)"


def diagnose(config: Config | None) -> list[tuple[str, str]]:
    """What stops this backend here, as (reason, fix) pairs; empty when it can run."""
    problems: list[tuple[str, str]] = []
    if not available("torch"):
        problems.append(("no torch", "pip install 'robomask[hf]'"))
    tf = transformers_problem()
    if tf:
        problems.append((tf, "pip install 'robomask[hf]'"))
    if config is not None:
        try:
            check_model_dir(config.sam3_hf_model_dir)
        except BackendError as exc:
            problems.append((f"no weights: {exc.message}", DOWNLOAD_HINT))
    return problems


def build(config: Config, stage: Stage) -> Sam3HFBackend:
    """Load the transformers SAM3 models from ``sam3_hf_model_dir`` (no download).

    Raises:
        BackendError: No torch/transformers >= 5, missing or incomplete folder, bad device.
    """
    require("torch", "hf", purpose="the sam3-hf backend")
    problem = transformers_problem()
    if problem:
        raise BackendError(f"sam3-hf backend: expected transformers >= 5, got {problem}",
                           hint="pip install 'robomask[hf]'")
    path = check_model_dir(config.sam3_hf_model_dir)
    device = pick_device(config.device)
    return Sam3HFBackend(path, device, pick_dtype(config.dtype, device))


def nms_masks(pred_probs: Any, pred_masks: Any, prob_threshold: float,
              iou_threshold: float) -> Any:
    """Greedy mask NMS with the signature of transformers' ``nms_masks``.

    Args:
        pred_probs: Float tensor (N,): each detection's score.
        pred_masks: Float tensor (N, h, w): mask logits (> 0 = inside).
        prob_threshold: Detections at or below this score are dropped first.
        iou_threshold: A detection whose mask IoU with a better kept one exceeds this is
            dropped.

    Returns:
        Bool tensor (N,): the detections kept.
    """
    import torch

    keep = pred_probs > prob_threshold
    valid = torch.nonzero(keep).flatten()
    if len(valid) < 2:
        return keep
    flat = (pred_masks[valid] > 0).flatten(1).float()
    inter = flat @ flat.T
    area = inter.diagonal()
    iou = inter / (area[:, None] + area[None, :] - inter).clamp(min=1.0)
    kept: list[int] = []
    for i in torch.argsort(pred_probs[valid], descending=True, stable=True).tolist():
        if all(iou[i, k] <= iou_threshold for k in kept):
            kept.append(i)
        else:
            keep[valid[i]] = False
    return keep


def _own_nms_no_hub() -> None:
    """Give transformers' SAM3 video code robomask's NMS and keep it off the Hub.

    ``cv_utils_kernel`` is that module's load-once switch (None = not tried, False =
    unavailable); False sends hole filling and sprinkle removal down their no-kernel
    paths instead of a download.
    """
    from transformers.models.sam3_video import modeling_sam3_video

    modeling_sam3_video.cv_utils_kernel = False
    modeling_sam3_video.nms_masks = nms_masks


def notes() -> list[str]:
    """How this backend differs from a default transformers setup (shown by doctor)."""
    return ["text detections: duplicate suppression (NMS) done by robomask; transformers' "
            "Hub kernels are never loaded, so no hole filling or sprinkle removal"]


class Sam3HFBackend(Backend):
    """Sam3VideoModel (detector + tracker) and its processors, loaded once.

    Args:
        model_dir: Local folder with config.json, weights, processor and tokenizer files.
        device: torch device to run on.
        dtype: torch dtype of the weights and the session state.
    """

    name: ClassVar[str] = "sam3-hf"
    capabilities: ClassVar[Capabilities] = Capabilities(text_prompts=True, clicks=True,
                                                        devices=("cuda", "mps", "cpu"),
                                                        mask_prompts=True, box_prompts=True)

    def __init__(self, model_dir: Path, device: Any, dtype: Any) -> None:
        from transformers import Sam3TrackerVideoProcessor, Sam3VideoModel, Sam3VideoProcessor

        self.device, self.dtype = device, dtype
        try:
            model = Sam3VideoModel.from_pretrained(model_dir, local_files_only=True)
            self.processor = Sam3VideoProcessor.from_pretrained(model_dir, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise BackendError(f"{model_dir}: expected a loadable transformers SAM3 folder, got "
                               f"{type(exc).__name__}: {exc}", hint=DOWNLOAD_HINT) from exc
        self.model: Any = model.to(device=device, dtype=dtype).eval()
        _own_nms_no_hub()
        self.tracker_processor = Sam3TrackerVideoProcessor(
            image_processor=self.processor.image_processor,
            video_processor=self.processor.video_processor)

    def open_session(self, frames: FrameSource) -> Sam3HFSession:
        if self.model is None:
            raise BackendError("sam3-hf backend: expected an open backend, got a closed one")
        return Sam3HFSession(frames, self)

    def close(self) -> None:
        self.model = None
        release_memory()

    # --- model steps shared by sessions ---
    def pixels(self, rgb: np.ndarray) -> Any:
        """RGB uint8 (h, w, 3) -> model input (3, S, S) on the device."""
        enc = self.processor(images=rgb, return_tensors="pt")
        return enc.pixel_values[0].to(self.device, self.dtype)

    def detect(self, rgb: np.ndarray, frame_index: int, text: str) -> tuple[list[int], Any]:
        """Objects of ``text`` on one frame with pixels there: ids and bool masks (N, h, w)
        on the CPU."""
        import torch

        h, w = rgb.shape[:2]
        session = self.processor.init_video_session(inference_device=self.device,
                                                    dtype=self.dtype)
        self.processor.add_text_prompt(session, text)
        with torch.inference_mode():
            out = self.model(inference_session=session, frame=self.pixels(rgb),
                             frame_idx=frame_index)
        post = self.processor.postprocess_outputs(session, out, original_sizes=[[h, w]])
        masks = post["masks"].cpu()
        keep = [k for k in range(len(masks)) if bool(masks[k].any())]
        return [int(post["object_ids"][k]) for k in keep], masks[keep]

    def encode_for_tracker(self, session: Any, frame_index: int, pixels: Any) -> None:
        """Run the detector's backbone once and cache its features for the tracker."""
        vision = self.model.detector_model.get_vision_features(pixel_values=pixels[None])
        feats, pos = self.model.get_vision_features_for_tracker(vision)
        session.cache.cache_vision_features(frame_index, {"vision_feats": feats,
                                                          "vision_pos_embeds": pos})


class Sam3HFSession(VideoSession):
    """All objects of a video in one tracker session, fed one frame at a time.

    Prompts are also kept here (mask seeds, clicks and boxes per object and frame) so that
    ``remove_object`` can rebuild the tracker session from the remaining objects: the
    transformers tracker session has no removal of its own.
    """

    backend_name = "sam3-hf"

    def __init__(self, frames: FrameSource, backend: Sam3HFBackend) -> None:
        super().__init__(frames, backend.capabilities)
        self.backend = backend
        cfg = backend.model.tracker_model.config
        self.window = max(cfg.num_maskmem, cfg.max_object_pointers_in_encoder) + 1
        self.prompts: dict[int, dict[int, _Prompt]] = {}
        self.tracker: Any = None
        self._new_tracker()

    def _new_tracker(self) -> None:
        w, h = self.size_wh
        self.tracker = self.backend.tracker_processor.init_video_session(
            inference_device=self.backend.device, dtype=self.backend.dtype)
        self.tracker.video_height, self.tracker.video_width = h, w

    def _send(self, obj_id: int, frame_index: int, prompt: _Prompt) -> None:
        kind, a, b, box = prompt
        proc = self.backend.tracker_processor
        if kind == "mask":
            proc.add_inputs_to_inference_session(self.tracker, frame_idx=frame_index,
                                                 obj_ids=[obj_id], input_masks=[a])
        else:  # a box goes first, as box corner points (labels 2, 3), then the clicks
            proc.add_inputs_to_inference_session(
                self.tracker, frame_idx=frame_index, obj_ids=[obj_id],
                input_points=[[a.tolist()]], input_labels=[[b.tolist()]],
                input_boxes=None if box is None else [[box.tolist()]])

    def _prompt(self, obj_id: int, frame_index: int, prompt: _Prompt) -> FrameMasks:
        self.prompts.setdefault(obj_id, {})[frame_index] = prompt
        self._send(obj_id, frame_index, prompt)
        masks = self._step(frame_index, reverse=False)
        self._make_conditioning(obj_id, frame_index)
        return masks

    def _make_conditioning(self, obj_id: int, frame_index: int) -> None:
        """Keep a prompted frame's result as a conditioning frame of its object.

        On a frame the tracker already went through, transformers stores a correction
        as an ordinary tracked output (``is_init_cond_frame`` is False), which the next
        propagation recomputes without the prompt.
        """
        obj_idx = self.tracker.obj_id_to_idx(obj_id)
        outputs = self.tracker.output_dict_per_obj[obj_idx]
        out = outputs["non_cond_frame_outputs"].pop(frame_index, None)
        if out is not None:
            outputs["cond_frame_outputs"][frame_index] = out
            self.tracker.frames_tracked_per_obj[obj_idx].pop(frame_index, None)

    def _step(self, frame_index: int, *, reverse: bool) -> FrameMasks:
        """One tracker step on one frame (read, encoded, used, dropped)."""
        import torch

        if not self.tracker.obj_ids:
            return FrameMasks(frame_index, self.size_wh, {})
        with torch.inference_mode():
            pixels = self.backend.pixels(self.frames[frame_index])
            self.backend.encode_for_tracker(self.tracker, frame_index, pixels)
            out = self.backend.model.tracker_model(self.tracker, frame_idx=frame_index,
                                                   frame=pixels, reverse=reverse)
        self.tracker.processed_frames.pop(frame_index, None)
        w, h = self.size_wh
        masks = self.backend.tracker_processor.post_process_masks(
            [out.pred_masks], original_sizes=[[h, w]], binarize=True)[0]
        masks = masks[:, 0].cpu().numpy()
        return FrameMasks(frame_index, self.size_wh,
                          {int(i): masks[k] for k, i in enumerate(out.object_ids)})

    def _prune(self, frame_index: int, reverse: bool) -> None:
        """Drop tracking results the tracker's memory window can no longer reach."""
        for per_obj in self.tracker.output_dict_per_obj.values():
            old = per_obj["non_cond_frame_outputs"]
            for i in [i for i in old if (i > frame_index + self.window if reverse
                                         else i < frame_index - self.window)]:
                del old[i]

    # --- hooks ---
    def _add_text(self, frame_index: int, text: str) -> FrameMasks:
        self._reset()
        ids, masks = self.backend.detect(self.frames[frame_index], frame_index, text)
        log.info("sam3-hf: %r found %d object(s) on frame %d", text, len(ids), frame_index)
        for k, obj_id in enumerate(ids):
            self.prompts[obj_id] = {frame_index: ("mask", masks[k], None, None)}
        if ids:  # one call, so that every seeded object is new on this step
            self.backend.tracker_processor.add_inputs_to_inference_session(
                self.tracker, frame_idx=frame_index, obj_ids=ids, input_masks=list(masks))
        return self._step(frame_index, reverse=False)

    def _add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                    labels: np.ndarray) -> FrameMasks:
        return self._prompt(obj_id, frame_index, ("points", points_xy, labels, None))

    def _add_box_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                        labels: np.ndarray, box_xyxy: np.ndarray) -> FrameMasks:
        return self._prompt(obj_id, frame_index, ("points", points_xy, labels, box_xyxy))

    def _add_mask(self, frame_index: int, obj_id: int, mask: np.ndarray) -> FrameMasks:
        import torch

        return self._prompt(obj_id, frame_index, ("mask", torch.from_numpy(mask), None, None))

    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        order = range(start_frame_index, -1, -1) if reverse else range(start_frame_index,
                                                                      self.num_frames)
        for i in order:
            fm = self._step(i, reverse=reverse)
            self._prune(i, reverse)
            yield fm

    def _remove_object(self, obj_id: int) -> None:
        if obj_id not in self.prompts:
            raise BackendError(f"remove_object: expected one of the session's objects "
                               f"{sorted(self.prompts)}, got {obj_id}")
        remaining = {i: p for i, p in self.prompts.items() if i != obj_id}
        self._reset()
        for i, per_frame in remaining.items():
            for frame_index, prompt in per_frame.items():
                self._prompt(i, frame_index, prompt)

    def _reset(self) -> None:
        self.prompts = {}
        self._new_tracker()

    def _close(self) -> None:
        self.prompts = {}
        self.tracker = None
        release_memory()
