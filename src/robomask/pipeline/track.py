"""Track given objects through a given video with a given backend: the generic call that
sessions, the annotation preview and benchmarks share."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from robomask.backends.base import Backend
from robomask.io.frame_window import FrameWindow
from robomask.io.frames import FrameSource, open_frames
from robomask.masks import FrameMasks
from robomask.pipeline.windows import Window, plan_windows, run_order, seed, shared_frames
from robomask.prompts import PromptEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextPrompt:
    """A text prompt (e.g. ``"robot and cable"``) put on one frame."""

    frame_index: int
    text: str


def track(frames: FrameSource | Path | str, clicks: Iterable[PromptEntry] = (), *,
          backend: Backend, text: TextPrompt | None = None,
          keep_obj_ids: Iterable[int] | None = None,
          max_frames: int | None = None) -> Iterator[FrameMasks]:
    """Segment objects through a whole video, yielding each frame's masks once.

    Steps (SPEC section 5): the text prompt, if any; when there are clicks too, one
    propagation in both directions to fill the model's cache (its output is dropped);
    the clicks (with their entry's box for a backend with ``box_prompts``; other
    backends get the clicks alone), each replacing its object's clicks on its frame; a
    final propagation in both directions starting at the earliest prompted frame. The
    session is closed at the end, on error, on Ctrl-C, and when the caller stops iterating early.

    A video longer than ``max_frames`` runs in overlapping windows of at most that many
    frames, one session each (:mod:`robomask.pipeline.windows`): first the window of the
    text prompt (else of the earliest click), then the later windows, then the earlier
    ones; each is seeded with its neighbour's masks on the frames they share and gets the
    clicks on its own frames. Frames come in that order, each once.

    Args:
        frames: The video (a :class:`FrameSource`, or a path to a frame folder or .mp4).
        clicks: Prompt entries; their points may be abs pixels or rel fractions.
        backend: A built backend; it is not closed here.
        text: Optional text prompt.
        keep_obj_ids: Objects to keep in the yielded masks (None = all).
        max_frames: Most frames one session holds; None = the whole video in one.

    Example:
        >>> for fm in track("scene/color", entries, backend=backend):  # doctest: +SKIP
        ...     store.write(fm.frame_index, fm.union())
    """
    source = frames if isinstance(frames, FrameSource) else open_frames(Path(frames))
    clicks = list(clicks)
    if not backend.capabilities.box_prompts and any(e.box is not None for e in clicks):
        log.debug("backend %s takes no boxes: the prompt boxes are ignored, the clicks used",
                  backend.name)
    keep = None if keep_obj_ids is None else list(keep_obj_ids)
    windows = plan_windows(len(source), max_frames)
    if len(windows) == 1:
        yield from _session(source, clicks, backend, text, keep, {})
        return
    first = text.frame_index if text is not None else min(
        (e.frame_index for e in clicks), default=0)
    anchor = next(i for i, w in enumerate(windows) if w.start <= first < w.stop)
    shared: dict[int, FrameMasks] = {}  # masks on frames shared with a window yet to run
    waiting = {w.start for w in windows}
    for window, seeded_from in run_order(windows, anchor):
        seeds = {} if seeded_from is None else {
            i - window.start: shared.pop(i) for i in shared_frames(window, windows[seeded_from])}
        waiting.discard(window.start)
        wanted = {i for w in windows if w.start in waiting for i in shared_frames(window, w)}
        for fm in _window(source, window, clicks, backend, text if seeded_from is None
                          else None, keep, seeds):
            if fm.frame_index in wanted:
                shared[fm.frame_index] = fm
            if fm.frame_index in window.owns:
                yield fm


def _window(source: FrameSource, window: Window, clicks: list[PromptEntry], backend: Backend,
            text: TextPrompt | None, keep: list[int] | None,
            seeds: dict[int, FrameMasks]) -> Iterator[FrameMasks]:
    """One window's session; frame indices in and out are the whole video's."""
    own = [replace(e, frame_index=e.frame_index - window.start) for e in clicks
           if window.start <= e.frame_index < window.stop]
    local_text = None if text is None else TextPrompt(text.frame_index - window.start,
                                                      text.text)
    if local_text is None and not own and not any(fm.object_ids for fm in seeds.values()):
        for i in range(window.start, window.stop):  # no object reaches this window
            yield FrameMasks(i, source.size_wh, {})
        return
    view = FrameWindow(source, window.start, window.stop)
    for fm in _session(view, own, backend, local_text, keep, seeds):
        yield FrameMasks(fm.frame_index + window.start, fm.size_wh, fm.masks)


def _session(source: FrameSource, clicks: list[PromptEntry], backend: Backend,
             text: TextPrompt | None, keep: list[int] | None,
             seeds: dict[int, FrameMasks]) -> Iterator[FrameMasks]:
    """One session over ``source``: text, warm-up, seeds, clicks, final propagation."""
    with backend.open_session(source) as session:
        if text is not None:
            session.add_text(text.frame_index, text.text)
            if clicks or seeds:
                for _ in session.propagate(direction="both"):
                    pass
        for frame_index, masks in sorted(seeds.items()):
            seed(session, frame_index, masks)
        takes_boxes = backend.capabilities.box_prompts
        for entry in clicks:
            session.add_clicks(entry.frame_index, entry.obj_id,
                               entry.points_px(source.size_wh), entry.labels,
                               box_xyxy=entry.box_px(source.size_wh) if takes_boxes else None)
        for fm in session.propagate(direction="both"):
            yield fm if keep is None else fm.only(keep)
