"""An in-process stand-in for sam3 0.1.4's video predictor (the request protocol only).

It follows the published source of sam3 0.1.4 (the PyPI wheel), file by file:

- sam3/model/sam3_video_predictor.py
  - L55-86 ``handle_request``: request fields ``type``, ``resource_path``, ``session_id``,
    ``frame_index``, ``text``, ``points``, ``point_labels``, ``obj_id``; responses
    ``{"session_id"}``, ``{"frame_index", "outputs"}``, ``{"is_success": True}``.
  - L88-100 ``handle_stream_request``: ``propagate_in_video`` with
    ``propagation_direction`` (default "both"), ``start_frame_index``,
    ``max_frame_num_to_track``; L203-220 forward pass first, then backward.
  - L236-251 ``close_session`` is idempotent; L253-259 unknown session -> RuntimeError.
  - L25 ``_ALL_INFERENCE_STATES`` is a class attribute; L285-287 / L509-521 ``shutdown``
    clears it, waits for every worker's acknowledgement, sets ``has_shutdown``;
    L332-338 requests after shutdown raise RuntimeError.
  - L355-371 with several GPUs, rank 0 meets the workers at a barrier only after the
    stream ends: a stream left open makes the next request hang (here: an error).
- sam3/model/sam3_video_inference.py
  - L54-70 ``init_state(resource_path, offload_video_to_cpu=False, ...)``; image folders are
    read by io_utils.py L158-190 (extensions of L25: .jpg .jpeg .png .bmp .tiff .webp).
  - L862-863 a text prompt resets the session; L1357-1385 points need ``obj_id``.
  - L550-557 ``_build_tracker_output`` (called for every click) asserts "No cached outputs
    found..." when clicks come before any propagation reached their frame.
  - L221-247 processing order: forward ``start..n-1``, backward ``start-1..0``.
  - L1277-1283 ``remove_object`` asserts the object exists.
  - L429-518 per-frame outputs: numpy ``out_obj_ids`` (N,), ``out_probs`` (N,),
    ``out_boxes_xywh`` (N, 4) relative, ``out_binary_masks`` bool (N, H, W).
  - L1532-1541 ``tracker.add_new_points(..., clear_old_points=True)``: an object's clicks on
    a frame replace its earlier ones there; points are relative (x, y) in [0, 1].

Masks are simple shapes: each text object a bar moving 2 px per frame, each clicked
object a disc around its mean positive click.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tiff", ".webp")


class StandInModel:
    """The part of ``Sam3VideoInferenceWithInstanceInteractivity`` the backend touches."""

    def __init__(self) -> None:
        self.init_state_calls: list[dict[str, Any]] = []

    def init_state(self, resource_path: str, offload_video_to_cpu: bool = False,
                   async_loading_frames: bool = False, video_loader_type: str = "cv2") -> dict:
        self.init_state_calls.append({"resource_path": resource_path,
                                      "offload_video_to_cpu": offload_video_to_cpu})
        names = sorted(p for p in os.listdir(resource_path)
                       if os.path.splitext(p)[-1].lower() in IMAGE_EXTS)
        if not names:
            raise RuntimeError(f"no images found in {resource_path}")
        with Image.open(Path(resource_path) / names[0]) as im:
            w, h = im.size
        return {"num_frames": len(names), "orig_height": h, "orig_width": w}


class StandInPredictor:
    """``Sam3VideoPredictorMultiGPU`` as seen through its requests."""

    _ALL_INFERENCE_STATES: dict[str, dict[str, Any]] = {}

    def __init__(self, *, text_objects: int = 2, world_size: int = 1,
                 worker_pids: dict[int, int] | None = None, hang_on_shutdown: bool = False,
                 tensors: bool = False) -> None:
        self.model = StandInModel()
        self.text_objects = text_objects
        self.world_size = world_size
        self.rank = 0
        self.worker_pids = worker_pids or {}
        self.hang_on_shutdown = hang_on_shutdown
        self.tensors = tensors
        self.has_shutdown = False
        self.log: list[dict[str, Any]] = []
        self.stream_open = False
        self.streams_drained = 0

    # --- protocol ---
    def handle_request(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_ready()
        self.log.append(dict(request))
        kind = request["type"]
        if kind == "start_session":
            state = self.model.init_state(resource_path=request["resource_path"])
            state.update(text=None, text_frame=None, objects={}, cached={})
            sid = request.get("session_id") or str(uuid.uuid4())
            self._ALL_INFERENCE_STATES[sid] = {"state": state, "session_id": sid}
            return {"session_id": sid}
        if kind == "add_prompt":
            return self._add_prompt(self._state(request["session_id"]), request)
        if kind == "remove_object":
            st = self._state(request["session_id"])
            assert request["obj_id"] in st["objects"], \
                f"Object {request['obj_id']} not found in any GPU."
            del st["objects"][request["obj_id"]]
            for frame in st["cached"].values():
                frame.pop(request["obj_id"], None)
            return {"is_success": True}
        if kind == "reset_session":
            st = self._state(request["session_id"])
            st.update(text=None, text_frame=None, objects={}, cached={})
            return {"is_success": True}
        if kind == "close_session":
            self._ALL_INFERENCE_STATES.pop(request["session_id"], None)
            return {"is_success": True}
        raise RuntimeError(f"invalid request type: {kind}")

    def handle_stream_request(self, request: dict[str, Any]):
        self._check_ready()
        self.log.append(dict(request))
        if request["type"] != "propagate_in_video":
            raise RuntimeError(f"invalid request type: {request['type']}")
        st = self._state(request["session_id"])
        direction = request.get("propagation_direction", "both")
        if direction not in ("both", "forward", "backward"):
            raise ValueError(f"invalid propagation direction: {direction}")
        start = request.get("start_frame_index")
        if start is None:
            prompted = [f for o in st["objects"].values() for f in o["frames"]]
            if not prompted:
                raise RuntimeError("No prompts are received on any frames.")
            start = min(prompted)
        n = st["num_frames"]
        order = []
        if direction in ("both", "forward"):
            order += list(range(start, n))
        if direction in ("both", "backward"):
            order += list(range(start - 1, -1, -1))
        self.stream_open = True
        for i in order:
            st["cached"][i] = {oid: True for oid in st["objects"]}
            yield {"frame_index": i, "outputs": self._outputs(st, i)}
        self.stream_open = False  # the barrier after the stream (multi-GPU)
        self.streams_drained += 1

    def shutdown(self) -> None:
        if self.world_size > 1 and self.hang_on_shutdown:
            threading.Event().wait()  # a worker that died never acknowledges
        self._ALL_INFERENCE_STATES.clear()
        self.has_shutdown = True

    # --- model behaviour ---
    def _check_ready(self) -> None:
        if self.has_shutdown:
            raise RuntimeError("cannot handle request after the predictor has shutdown; "
                               "please create a new predictor")
        if self.stream_open and self.world_size > 1:
            raise RuntimeError("stand-in: a propagation stream was left open; with several "
                               "GPUs this request would hang at the workers' barrier")

    def _state(self, sid: str) -> dict[str, Any]:
        session = self._ALL_INFERENCE_STATES.get(sid)
        if session is None:
            raise RuntimeError(f"Cannot find session {sid}; it might have expired")
        return session["state"]

    def _add_prompt(self, st: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
        frame = req["frame_index"]
        assert 0 <= frame < st["num_frames"], f"frame_idx={frame} is out of range"
        if req.get("points") is None:
            st.update(text=req["text"], text_frame=frame, objects={}, cached={})
            for k in range(self.text_objects):
                st["objects"][k] = {"kind": "text", "row": 2 + 6 * k, "frames": {frame: None}}
            return {"frame_index": frame, "outputs": self._outputs(st, frame)}
        assert req.get("obj_id") is not None, "When points are provided, obj_id must be provided."
        pts = np.asarray(req["points"], dtype=float)
        assert ((pts >= 0) & (pts <= 1)).all(), "points must be relative, in [0, 1]"
        obj = st["objects"].setdefault(req["obj_id"], {"kind": "clicks", "frames": {}})
        obj["frames"][frame] = (pts, list(req["point_labels"]))
        assert frame in st["cached"], ("No cached outputs found. Ensure normal propagation "
                                       "has run first to populate the cache.")
        return {"frame_index": frame, "outputs": self._outputs(st, frame)}

    def _mask(self, st: dict[str, Any], obj: dict[str, Any], frame: int) -> np.ndarray:
        h, w = st["orig_height"], st["orig_width"]
        m = np.zeros((h, w), bool)
        if obj["kind"] == "text":
            x = min(2 * frame, w - 4)
            m[obj["row"]:obj["row"] + 4, x:x + w // 3] = True
            return m
        key = min(obj["frames"], key=lambda f: abs(f - frame))
        pts, labels = obj["frames"][key]
        pos = pts[np.asarray(labels) == 1]
        cx, cy = (pos if len(pos) else pts).mean(axis=0) * (w, h)
        yy, xx = np.mgrid[0:h, 0:w]
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= 9

    def _outputs(self, st: dict[str, Any], frame: int) -> dict[str, Any]:
        ids = sorted(st["objects"])
        masks = np.stack([self._mask(st, st["objects"][i], frame) for i in ids]) if ids else \
            np.zeros((0, st["orig_height"], st["orig_width"]), bool)
        out = {"out_obj_ids": np.asarray(ids, dtype=np.int64),
               "out_probs": np.ones(len(ids), dtype=np.float32),
               "out_boxes_xywh": np.zeros((len(ids), 4), dtype=np.float32),
               "out_binary_masks": masks, "frame_stats": None}
        if self.tensors:
            import torch

            out = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                   for k, v in out.items()}
        return out
