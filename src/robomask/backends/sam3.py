"""Backend ``sam3``: Meta's official ``sam3`` package (0.1.4), CUDA only.

The predictor (``build_sam3_video_predictor``) is built once per stage on the GPUs of
``cuda_visible_devices_{stage}`` and spoken to with its request dicts (``start_session``,
``add_prompt``, ``propagate_in_video``, ``remove_object``, ``reset_session``,
``close_session``). SAM3 details this module hides from robomask:

- The predictor decides what a propagation does from its action history (0.1.4,
  sam3_video_inference.py L1219-1275): a full pass (detector and tracker), a partial
  one (only objects clicked since the last pass), or a fetch of cached outputs; a pass
  that starts at frame 0 or n-1 turns the next one into a fetch, and a fetch caches
  nothing. So every ``"both"`` propagation here is one forward pass from frame 0, as the
  notebooks ran it: it reaches every frame and caches them all, and the tracker attends
  to conditioning frames (text or clicks) before and after the frame it works on. ``"forward"`` and
  ``"backward"`` are passed through as asked.
- Clicks need cached outputs on their frame (``_build_tracker_output`` asserts "No cached
  outputs found"); whether a frame is cached is read from the session's state. A
  session whose first prompt is clicks (the gripper session) first puts
  ``arm_text_prompt`` on ``arm_text_bootstrap_frame_index``, runs one pass to fill the
  cache, and removes every object the tracker holds (also those with empty masks, which
  never show in the outputs; one removed by hotstart during the pass is already gone).
  The clicked ids are then new objects: their masks depend on the clicks only, not on
  what the text found. After a text prompt without propagation, the first click runs
  the pass first (the text's objects are kept).
- Points go as fractions of width and height, (x, y) in [0, 1]; every add sends all the
  clicks of that object on that frame (SAM3 replaces the earlier ones).
- A propagation stream the consumer stops early (or that Ctrl-C stops) is closed at
  once with one GPU: nothing runs the rest of the pass. With several GPUs the worker
  processes run the whole stream and meet rank 0 at a barrier after it, so the stream
  is left pending: the next request drains it first (and then closes sessions closed
  meanwhile), while ``close()`` shuts the predictor down without draining.
- Closing: the session is closed (idempotent in sam3) and ``close()`` shuts the
  predictor down with a time limit; worker processes that do not acknowledge (e.g.
  killed by the same Ctrl-C) are killed, and a left-over process group is destroyed, so
  a second predictor can start in the same Python process.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from robomask._optional import available, import_problem, require
from robomask.backends.base import Backend, Capabilities, VideoSession
from robomask.backends.sam3_predictor import BPE_HINT, BPE_NAME, find_bpe, shutdown_predictor
from robomask.backends.torch_device import cuda_problem, gpu_indices, release_memory
from robomask.config import Config, Stage
from robomask.errors import BackendError, SessionError
from robomask.io.frame_window import FrameWindow, frames_to_folder
from robomask.io.frames import FrameSource
from robomask.masks import FrameMasks

log = logging.getLogger(__name__)

PredictorFactory = Callable[[], Any]
# The module build() imports: its import chain is what has to work (sam3 0.1.4's
# sam3/model/sam3_video_predictor.py imports psutil, which sam3's metadata omits).
BUILDER_MODULE = "sam3.model_builder"


WEIGHTS_HINT = ("huggingface-cli download facebook/sam3 sam3.pt --local-dir DIR (gated: "
                "request access first), then set sam3_checkpoint")


def check_checkpoint(ckpt: Path | None) -> Path:
    """The SAM3 weights file that ``sam3_checkpoint`` names.

    Raises:
        BackendError: The key is not set, or no file is there.
    """
    if ckpt is None or not Path(ckpt).is_file():
        got = "null" if ckpt is None else f"{ckpt} (no such file)"
        raise BackendError(f"sam3_checkpoint: expected the SAM3 weights file (sam3.pt), "
                           f"got {got}", hint=WEIGHTS_HINT)
    return Path(ckpt)


def diagnose(config: Config | None) -> list[tuple[str, str]]:
    """What stops this backend here, as (reason, fix) pairs; empty when it can run."""
    problems: list[tuple[str, str]] = []
    if not available("torch"):
        return [("no torch", "pip install 'robomask[sam3]' (a CUDA build of torch)")]
    cuda = cuda_problem()
    if cuda:
        problems.append((f"no CUDA: {cuda}", "run on a machine with an NVIDIA GPU, or use "
                                             "backend: sam3-hf (runs on the CPU)"))
    if not available("sam3"):
        problems.append(("no sam3 package", "pip install 'robomask[sam3]'"))
    else:
        broken = import_problem(BUILDER_MODULE)
        if broken:
            problems.append((f"sam3 does not import ({broken})",
                             "pip install 'robomask[sam3]' (it adds what sam3 0.1.4 omits)"))
    if config is not None:
        try:
            check_checkpoint(config.sam3_checkpoint)
        except BackendError as exc:
            problems.append((f"no weights: {exc.message}", WEIGHTS_HINT))
    try:
        find_bpe(config.sam3_bpe_path if config is not None else None)
    except BackendError:
        problems.append((f"no BPE file ({BPE_NAME})", BPE_HINT))
    return problems


def build(config: Config, stage: Stage) -> Sam3Backend:
    """Build the official SAM3 video predictor for ``stage`` (``"arm"`` or ``"gripper"``).

    Raises:
        BackendError: No sam3/torch, no CUDA, no checkpoint, no BPE file, bad GPU list.
    """
    require("torch", "sam3", purpose="the sam3 backend")
    require(BUILDER_MODULE, "sam3", purpose="the sam3 backend")
    cuda = cuda_problem()
    if cuda:
        raise BackendError(f"sam3 backend: expected a CUDA GPU, got {cuda}",
                           hint="use backend: sam3-hf on this machine (see robomask doctor)")
    ckpt = check_checkpoint(config.sam3_checkpoint)
    bpe = find_bpe(config.sam3_bpe_path)
    gpus = gpu_indices(config, stage)
    from sam3.model_builder import build_sam3_video_predictor

    factory = partial(build_sam3_video_predictor, checkpoint_path=str(ckpt), bpe_path=str(bpe),
                      gpus_to_use=gpus,
                      apply_temporal_disambiguation=config.apply_temporal_disambiguation)
    return Sam3Backend(factory, config)


class Sam3Backend(Backend):
    """The official predictor, built once; one session per video.

    Args:
        predictor_factory: Builds the predictor (``build_sam3_video_predictor`` with its
            arguments bound); tests pass a stand-in that speaks the same protocol.
        config: Supplies ``arm_text_prompt``, ``arm_text_bootstrap_frame_index`` and
            ``sam3_offload_video_to_cpu``.
        shutdown_timeout_s: How long ``close()`` waits for worker processes to stop.
    """

    name: ClassVar[str] = "sam3"
    # No box_prompts: sam3 0.1.4's box prompts are detector prompts that reset the session
    # (docs/sam3.md); a prompt entry's box is left out and its clicks are used.
    capabilities: ClassVar[Capabilities] = Capabilities(text_prompts=True, clicks=True,
                                                        devices=("cuda",))

    def __init__(self, predictor_factory: PredictorFactory, config: Config, *,
                 shutdown_timeout_s: float = 60.0) -> None:
        self.bootstrap_text = config.arm_text_prompt
        self.bootstrap_frame_index = config.arm_text_bootstrap_frame_index
        self.shutdown_timeout_s = shutdown_timeout_s
        self.pending: Iterator[dict[str, Any]] | None = None  # multi-GPU stream left open
        self.stale_sessions: list[str] = []  # closed while a stream was pending
        self.predictor: Any = predictor_factory()
        if config.sam3_offload_video_to_cpu:
            # 0.1.4's start_session request has no such field; the model's init_state does.
            model = self.predictor.model
            model.init_state = partial(model.init_state, offload_video_to_cpu=True)
            if config.max_frames_per_session is None:
                # _construct_initial_input_batch (sam3_video_inference.py L113-149) copies
                # the whole image batch to the GPU all the same.
                log.warning("sam3_offload_video_to_cpu: sam3 0.1.4 still copies every frame "
                            "to the GPU; set max_frames_per_session to bound GPU memory")

    def _ready(self) -> Any:
        """The predictor, after finishing a multi-GPU stream a consumer left (see notes)."""
        if self.predictor is None:
            raise BackendError("sam3 backend: expected an open backend, got a closed one")
        pending, self.pending = self.pending, None
        if pending is not None:
            for _ in pending:
                pass
        stale, self.stale_sessions = self.stale_sessions, []
        for session_id in stale:
            self.request(type="close_session", session_id=session_id)
        return self.predictor

    def request(self, **fields: Any) -> dict[str, Any]:
        """Send one request; sam3's assertion and runtime errors become BackendError."""
        predictor = self._ready()
        try:
            return predictor.handle_request(request=fields)
        except (AssertionError, RuntimeError, ValueError) as exc:
            raise BackendError(f"sam3 {fields['type']}: {type(exc).__name__}: {exc}") from exc

    def stream(self, **fields: Any) -> Iterator[dict[str, Any]]:
        """A ``propagate_in_video`` stream; see the module notes on stopping it early."""
        predictor = self._ready()
        responses = predictor.handle_stream_request(request=fields)
        try:
            for response in responses:  # noqa: UP028 ('yield from' would close the stream)
                yield response
        except GeneratorExit:
            if getattr(predictor, "world_size", 1) > 1:
                self.pending = responses  # the workers run it to the end regardless
            else:
                responses.close()  # nothing waits for the rest of the pass
            raise

    def close_session(self, session_id: str) -> None:
        """Close a session now, or at the next request while a stream is pending."""
        if self.predictor is None:
            return  # the predictor was shut down; its sessions went with it
        if self.pending is not None:
            self.stale_sessions.append(session_id)
            return
        try:
            self.request(type="close_session", session_id=session_id)
        except BackendError as exc:
            log.warning("sam3: closing session %s failed: %s", session_id, exc)

    def open_session(self, frames: FrameSource) -> Sam3Session:
        return Sam3Session(frames, self)

    def close(self) -> None:
        """Shut the predictor down (bounded), kill stuck workers, free GPU memory."""
        predictor, self.predictor = self.predictor, None
        self.pending, self.stale_sessions = None, []
        if predictor is None:
            return
        shutdown_predictor(predictor, self.shutdown_timeout_s)
        del predictor
        release_memory()


class Sam3Session(VideoSession):
    """One ``start_session`` of the predictor on a scene's frames (``FrameSource.path``)."""

    backend_name = "sam3"

    def __init__(self, frames: FrameSource, backend: Sam3Backend) -> None:
        super().__init__(frames, backend.capabilities)
        self.backend = backend
        self.text_frame_index: int | None = None  # frame of the user's text prompt
        # sam3 reads a whole folder or video file: a window, or an episode that is a part
        # of its video file (LeRobot v3.0), gets a folder of its own.
        part = isinstance(frames, FrameWindow) or not getattr(frames, "covers_file", True)
        self.window_dir = Path(tempfile.mkdtemp(prefix="robomask-sam3-")) if part else None
        resource = frames.path if self.window_dir is None else \
            frames_to_folder(frames, self.window_dir)
        try:
            self.session_id = backend.request(type="start_session",
                                              resource_path=str(resource))["session_id"]
        except BaseException:
            self._remove_window_dir()
            raise
        self._check_frame_count()

    def _state(self) -> dict[str, Any]:
        """The predictor's inference state of this session (rank 0 holds the cache)."""
        states = getattr(self.backend.predictor, "_ALL_INFERENCE_STATES", {})
        return states.get(self.session_id, {}).get("state", {})

    def _check_frame_count(self) -> None:
        n = self._state().get("num_frames")
        if n is not None and n != self.num_frames:
            self.close()
            raise SessionError(f"{self.frames.path}: sam3 read {n} frames, expected "
                               f"{self.num_frames} like robomask",
                               hint="keep only the video's frames (png/jpg) in that folder")

    # --- conversions ---
    def _frame_masks(self, frame_index: int, outputs: Mapping[str, Any] | None) -> FrameMasks:
        """Outputs of one frame -> FrameMasks; tensors are moved to the CPU first."""
        if outputs is None:
            return FrameMasks(frame_index, self.size_wh, {})
        cpu = {k: v.detach().cpu().numpy() if hasattr(v, "detach") else v
               for k, v in outputs.items() if k in ("out_obj_ids", "out_binary_masks")}
        return FrameMasks.from_sam3(frame_index, cpu, self.size_wh)

    def _is_cached(self, frame_index: int) -> bool:
        return frame_index in (self._state().get("cached_frame_outputs") or {})

    def _tracked_ids(self) -> set[int]:
        """Every object the tracker holds, also those whose masks are empty everywhere."""
        ids = (self._state().get("tracker_metadata") or {}).get("obj_ids_all_gpu")
        return set() if ids is None else {int(i) for i in np.asarray(ids).reshape(-1)}

    def _fill_cache(self) -> None:
        """One pass over the whole video, so that every frame has cached outputs."""
        if self.text_frame_index is not None:
            for _ in self._propagate(0, reverse=False):
                pass
            return
        k = self.bootstrap_frame()
        log.info("sam3: bootstrapping clicks with %r on frame %d", self.backend.bootstrap_text, k)
        self.backend.request(type="add_prompt", session_id=self.session_id, frame_index=k,
                             text=self.backend.bootstrap_text)
        seen: set[int] = set()
        for fm in self._propagate(0, reverse=False):
            seen.update(fm.masks)
        for obj_id in sorted(seen | self._tracked_ids()):
            self._remove_bootstrap_object(obj_id)

    def _remove_bootstrap_object(self, obj_id: int) -> None:
        """Remove a text object; one that hotstart removed during the pass is gone already."""
        try:
            self.backend.request(type="remove_object", session_id=self.session_id,
                                 obj_id=obj_id)
        except BackendError as exc:
            if "not found" not in exc.message:
                raise
            log.debug("sam3: bootstrap object %d was already removed (hotstart)", obj_id)

    def bootstrap_frame(self) -> int:
        """``arm_text_bootstrap_frame_index``, or this session's last frame if it is shorter
        (a window of a long video): the bootstrap only fills the cache."""
        return min(self.backend.bootstrap_frame_index, self.num_frames - 1)

    def _remove_window_dir(self) -> None:
        if self.window_dir is not None:
            shutil.rmtree(self.window_dir, ignore_errors=True)

    # --- hooks ---
    def _add_text(self, frame_index: int, text: str) -> FrameMasks:
        resp = self.backend.request(type="add_prompt", session_id=self.session_id,
                                    frame_index=frame_index, text=text)
        self.text_frame_index = frame_index
        return self._frame_masks(frame_index, resp["outputs"])

    def _add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                    labels: np.ndarray) -> FrameMasks:
        if not self._is_cached(frame_index):
            self._fill_cache()
        w, h = self.size_wh
        rel = np.clip(points_xy / np.array([w, h], dtype=np.float64), 0.0, 1.0)
        resp = self.backend.request(type="add_prompt", session_id=self.session_id,
                                    frame_index=frame_index, points=rel.tolist(),
                                    point_labels=[int(v) for v in labels], obj_id=obj_id)
        return self._frame_masks(frame_index, resp["outputs"])

    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        for resp in self.backend.stream(type="propagate_in_video", session_id=self.session_id,
                                        propagation_direction="backward" if reverse
                                        else "forward", start_frame_index=start_frame_index):
            yield self._frame_masks(int(resp["frame_index"]), resp["outputs"])

    def _propagate_both(self, start_frame_index: int) -> Iterator[FrameMasks]:
        """One forward pass from frame 0 (see the module notes): every frame once."""
        yield from self._propagate(0, reverse=False)

    def _remove_object(self, obj_id: int) -> None:
        self.backend.request(type="remove_object", session_id=self.session_id, obj_id=obj_id)

    def _reset(self) -> None:
        self.backend.request(type="reset_session", session_id=self.session_id)
        self.text_frame_index = None

    def _close(self) -> None:
        try:
            self.backend.close_session(self.session_id)
        finally:
            self._remove_window_dir()
