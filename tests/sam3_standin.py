"""An in-process stand-in for sam3 0.1.4's video predictor: its request protocol and the
bookkeeping that decides what a propagation does (action history, output cache).

It follows the published source of sam3 0.1.4 (the PyPI wheel), file by file:

- sam3/model/sam3_video_predictor.py
  - L55-86 ``handle_request``: request fields ``type``, ``resource_path``, ``session_id``,
    ``frame_index``, ``text``, ``points``, ``point_labels``, ``obj_id``; responses
    ``{"session_id"}``, ``{"frame_index", "outputs"}``, ``{"is_success": True}``.
    ``remove_object`` is a user action unless ``is_user_action`` is False (L79).
  - L88-100 ``handle_stream_request``; L183-220 ``propagate_in_video``: ``"both"`` is a
    forward model pass, then a backward one, each a separate ``propagate_in_video`` call
    of the model (so each is one entry of the action history below).
  - L236-251 ``close_session`` is idempotent; L253-259 unknown session -> RuntimeError.
  - L25 ``_ALL_INFERENCE_STATES`` is a class attribute; L285-287 / L509-521 ``shutdown``
    clears it, waits for every worker's acknowledgement, sets ``has_shutdown``;
    L332-338 requests after shutdown raise RuntimeError.
  - L355-371 with several GPUs, rank 0 meets the workers at a barrier only after the
    stream ends: a stream left open makes the next request hang (here: an error).
- sam3/model/sam3_video_inference.py
  - L54-88 ``init_state``: ``cached_frame_outputs`` {}, ``action_history`` [],
    ``tracker_metadata``; image folders are read by io_utils.py L158-190 (extensions of
    L25: .jpg .jpeg .png .bmp .tiff .webp).
  - L862-863 / L91-111 a text prompt resets the session: objects, cache and history.
  - L221-247 processing order: forward ``start..n-1``, backward ``start-1..0``.
  - L993-1186 ``propagate_in_video`` picks its pass from the history (L1219-1275):
    no history -> full; after a full/partial pass -> fetch when the pass before it was a
    propagation too or when the last one started at frame 0 or n-1, else the same kind
    again; after add/refine actions -> partial for those objects; after only removes ->
    fetch. The pass is recorded with ``frame_idx=start_frame_idx``.
  - L1039-1068 a fetch yields ``cached_frame_outputs.get(frame, {})`` and caches nothing;
    L318-354 / L523-548 full and partial passes cache every frame they yield (without
    objects hidden on it); L1173-1177 a partial pass builds each frame from the cache
    (``_build_tracker_output``, L550-557, asserts "No cached outputs found").
  - L429-521 ``_postprocess_output``: objects with empty masks are dropped from the
    outputs; overlapping masks are made disjoint by tracker score (here: clicked objects
    1.0 on their clicked frames, text objects 0.9, clicked objects 0.8 elsewhere).
  - L280-316 hotstart: an object can be removed during a full pass (``removed_obj_ids``);
    it is hidden from then on and gone from the tracker, so ``remove_object`` asserts
    (L1277-1283 "Object X not found in any GPU.").
  - L1397-1608 clicks (``add_tracker_new_points``): an unknown id is an "add", a known
    one a "refine" (history); the frame must be cached (assertion above); the clicked
    frame is cached. L1532-1541 ``clear_old_points=True``: an object's clicks on a frame
    replace its earlier ones there; points are relative (x, y) in [0, 1].

Masks are simple shapes: each text object a bar moving 2 px per frame, each clicked
object a disc around the mean positive click of its nearest clicked frame.
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
        self.init_state_calls[-1]["num_frames"] = len(names)
        return {"num_frames": len(names), "orig_height": h, "orig_width": w}


class StandInPredictor:
    """``Sam3VideoPredictorMultiGPU`` as seen through its requests.

    Args:
        text_objects: How many objects a text prompt finds (ids 0..N-1).
        empty_text_ids: Text objects whose mask is empty on every frame (tracked, never
            in the outputs).
        hotstart_removed: Text object id -> frame at which a full pass removes it.
        world_size, worker_pids, hang_on_shutdown: Several GPUs and a stuck shutdown.
        tensors: Outputs as torch tensors instead of numpy arrays.
    """

    _ALL_INFERENCE_STATES: dict[str, dict[str, Any]] = {}

    def __init__(self, *, text_objects: int = 2, empty_text_ids: tuple[int, ...] = (),
                 hotstart_removed: dict[int, int] | None = None, world_size: int = 1,
                 worker_pids: dict[int, int] | None = None, hang_on_shutdown: bool = False,
                 tensors: bool = False) -> None:
        self.model = StandInModel()
        self.text_objects = text_objects
        self.empty_text_ids = set(empty_text_ids)
        self.hotstart_removed = dict(hotstart_removed or {})
        self.world_size = world_size
        self.rank = 0
        self.worker_pids = worker_pids or {}
        self.hang_on_shutdown = hang_on_shutdown
        self.tensors = tensors
        self.has_shutdown = False
        self.log: list[dict[str, Any]] = []
        self.passes: list[str] = []  # the kind of every model pass, in order
        self.frames_run = 0  # frames a pass computed (the work a Ctrl-C should save)
        self.stream_open = False
        self.streams_drained = 0

    # --- protocol ---
    def handle_request(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_ready()
        self.log.append(dict(request))
        kind = request["type"]
        if kind == "start_session":
            state = self.model.init_state(resource_path=request["resource_path"])
            self._reset_state(state)
            sid = request.get("session_id") or str(uuid.uuid4())
            self._ALL_INFERENCE_STATES[sid] = {"state": state, "session_id": sid}
            return {"session_id": sid}
        if kind == "add_prompt":
            return self._add_prompt(self._state(request["session_id"]), request)
        if kind == "remove_object":
            st = self._state(request["session_id"])
            obj_id = request["obj_id"]
            assert obj_id in st["objects"], f"Object {obj_id} not found in any GPU."
            self._drop(st, obj_id)
            if request.get("is_user_action", True):
                st["action_history"].append({"type": "remove", "frame_idx": None,
                                             "obj_ids": [obj_id]})
            return {"is_success": True}
        if kind == "reset_session":
            self._reset_state(self._state(request["session_id"]))
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
        self.stream_open = True
        for reverse in [r for r, d in ((False, "forward"), (True, "backward"))
                        if direction in ("both", d)]:
            yield from self._model_pass(st, start, reverse)
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

    @staticmethod
    def _reset_state(st: dict[str, Any]) -> None:
        st.update(objects={}, text_frame=None, cached_frame_outputs={}, action_history=[],
                  tracker_metadata={"obj_ids_all_gpu": np.zeros(0, np.int64)})

    def _sync_ids(self, st: dict[str, Any]) -> None:
        st["tracker_metadata"]["obj_ids_all_gpu"] = np.asarray(sorted(st["objects"]), np.int64)

    def _drop(self, st: dict[str, Any], obj_id: int) -> None:
        del st["objects"][obj_id]
        for frame in st["cached_frame_outputs"].values():
            frame.pop(obj_id, None)
        self._sync_ids(st)

    def _pass_kind(self, st: dict[str, Any]) -> tuple[str, list[int] | None]:
        """parse_action_history_for_propagation (sam3_video_inference.py L1219-1275)."""
        hist = st["action_history"]
        if not hist:
            return "propagation_full", None
        last = hist[-1]
        if "propagation" in last["type"]:
            if last["type"] == "propagation_fetch":
                return "propagation_fetch", None
            if (len(hist) > 1 and hist[-2]["type"] in ("propagation_partial",
                                                       "propagation_full")) \
                    or last["frame_idx"] in (0, st["num_frames"] - 1):
                return "propagation_fetch", None
            return last["type"], last["obj_ids"]
        obj_ids: list[int] = []
        for action in hist[::-1]:
            if "propagation" in action["type"]:
                break
            if action["type"] in ("add", "refine"):
                obj_ids.extend(action["obj_ids"])
        return ("propagation_partial", sorted(set(obj_ids))) if obj_ids else \
            ("propagation_fetch", None)

    def _model_pass(self, st: dict[str, Any], start: int | None, reverse: bool):
        kind, obj_ids = self._pass_kind(st)
        st["action_history"].append({"type": kind, "frame_idx": start, "obj_ids": obj_ids})
        self.passes.append(kind.removeprefix("propagation_"))
        if start is None:
            prompted = [f for o in st["objects"].values() for f in o["frames"]] + \
                ([] if st["text_frame"] is None else [st["text_frame"]])
            if not prompted:
                raise RuntimeError("No prompts are received on any frames.")
            start = min(prompted)
        n = st["num_frames"]
        order = range(start - 1, -1, -1) if reverse else range(start, n)
        cache = st["cached_frame_outputs"]
        for i in order:
            if kind == "propagation_fetch":
                yield {"frame_index": i, "outputs": self._outputs(st, i, cache.get(i, {}))}
                continue
            self.frames_run += 1
            if kind == "propagation_full":
                for obj_id, frame in list(self.hotstart_removed.items()):
                    if frame == i and obj_id in st["objects"]:
                        self._drop(st, obj_id)
                masks = {o: self._mask(st, o, i) for o in st["objects"]}
            else:
                assert i in cache, ("No cached outputs found. Ensure normal propagation has "
                                    "run first to populate the cache.")
                masks = dict(cache[i])
                masks.update({o: self._mask(st, o, i) for o in obj_ids if o in st["objects"]})
            cache[i] = masks
            yield {"frame_index": i, "outputs": self._outputs(st, i, masks)}

    def _add_prompt(self, st: dict[str, Any], req: dict[str, Any]) -> dict[str, Any]:
        frame = req["frame_index"]
        assert 0 <= frame < st["num_frames"], f"frame_idx={frame} is out of range"
        if req.get("points") is None:
            self._reset_state(st)
            st["text_frame"] = frame
            for k in range(self.text_objects):
                st["objects"][k] = {"row": 2 + 6 * k, "frames": {}}
            self._sync_ids(st)
            masks = {o: self._mask(st, o, frame) for o in st["objects"]}
            return {"frame_index": frame, "outputs": self._outputs(st, frame, masks)}
        obj_id = req.get("obj_id")
        assert obj_id is not None, "When points are provided, obj_id must be provided."
        pts = np.asarray(req["points"], dtype=float)
        assert ((pts >= 0) & (pts <= 1)).all(), "points must be relative, in [0, 1]"
        known = obj_id in st["objects"]
        obj = st["objects"].setdefault(obj_id, {"row": None, "frames": {}})
        obj["frames"][frame] = (pts, list(req["point_labels"]))
        self._sync_ids(st)
        st["action_history"].append({"type": "refine" if known else "add",
                                     "frame_idx": frame, "obj_ids": [obj_id]})
        cache = st["cached_frame_outputs"]
        assert frame in cache, ("No cached outputs found. Ensure normal propagation has run "
                                "first to populate the cache.")
        cache[frame] = {**cache[frame], obj_id: self._mask(st, obj_id, frame)}
        return {"frame_index": frame, "outputs": self._outputs(st, frame, cache[frame])}

    def _mask(self, st: dict[str, Any], obj_id: int, frame: int) -> np.ndarray:
        h, w = st["orig_height"], st["orig_width"]
        obj = st["objects"][obj_id]
        m = np.zeros((h, w), bool)
        if not obj["frames"]:  # a text object
            if obj_id not in self.empty_text_ids:
                x = min(2 * frame, w - 4)
                m[obj["row"]:obj["row"] + 4, x:x + w // 3] = True
            return m
        key = min(obj["frames"], key=lambda f: abs(f - frame))
        pts, labels = obj["frames"][key]
        pos = pts[np.asarray(labels) == 1]
        cx, cy = (pos if len(pos) else pts).mean(axis=0) * (w, h)
        yy, xx = np.mgrid[0:h, 0:w]
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= 9

    def _score(self, st: dict[str, Any], obj_id: int, frame: int) -> float:
        frames = st["objects"].get(obj_id, {}).get("frames", {})
        return 1.0 if frame in frames else 0.8 if frames else 0.9

    def _outputs(self, st: dict[str, Any], frame: int,
                 masks: dict[int, np.ndarray]) -> dict[str, Any]:
        ids = sorted(i for i, m in masks.items() if m.any())  # empty masks are dropped
        h, w = st["orig_height"], st["orig_width"]
        stack = np.zeros((len(ids), h, w), bool)
        taken = np.zeros((h, w), bool)  # non-overlap: the higher tracker score keeps a pixel
        for k in sorted(range(len(ids)), key=lambda k: -self._score(st, ids[k], frame)):
            stack[k] = masks[ids[k]] & ~taken
            taken |= stack[k]
        out = {"out_obj_ids": np.asarray(ids, dtype=np.int64),
               "out_probs": np.ones(len(ids), dtype=np.float32),
               "out_boxes_xywh": np.zeros((len(ids), 4), dtype=np.float32),
               "out_binary_masks": stack, "frame_stats": None}
        if self.tensors:
            import torch

            out = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                   for k, v in out.items()}
        return out
