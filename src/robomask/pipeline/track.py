"""Track given objects through a given video with a given backend: the generic call that
sessions, the annotation preview and benchmarks share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from robomask.backends.base import Backend
from robomask.io.frames import FrameSource, open_frames
from robomask.masks import FrameMasks
from robomask.prompts import PromptEntry


@dataclass(frozen=True)
class TextPrompt:
    """A text prompt (e.g. ``"robot and cable"``) put on one frame."""

    frame_index: int
    text: str


def track(frames: FrameSource | Path | str, clicks: Iterable[PromptEntry] = (), *,
          backend: Backend, text: TextPrompt | None = None,
          keep_obj_ids: Iterable[int] | None = None) -> Iterator[FrameMasks]:
    """Segment objects through a whole video, yielding each frame's masks once.

    Steps (SPEC section 5): the text prompt, if any; when there are clicks too, one
    propagation in both directions to fill the model's cache (its output is dropped);
    the clicks, each replacing its object's clicks on its frame; a final propagation in
    both directions starting at the earliest prompted frame. The session is closed at
    the end, on error, on Ctrl-C, and when the caller stops iterating early.

    Args:
        frames: The video (a :class:`FrameSource`, or a path to a frame folder or .mp4).
        clicks: Prompt entries; their points may be abs pixels or rel fractions.
        backend: A built backend; it is not closed here.
        text: Optional text prompt.
        keep_obj_ids: Objects to keep in the yielded masks (None = all).

    Example:
        >>> for fm in track("scene/color", entries, backend=backend):  # doctest: +SKIP
        ...     store.write(fm.frame_index, fm.union())
    """
    source = frames if isinstance(frames, FrameSource) else open_frames(Path(frames))
    clicks = list(clicks)
    keep = None if keep_obj_ids is None else list(keep_obj_ids)
    with backend.open_session(source) as session:
        if text is not None:
            session.add_text(text.frame_index, text.text)
            if clicks:
                for _ in session.propagate(direction="both"):
                    pass
        for entry in clicks:
            session.add_clicks(entry.frame_index, entry.obj_id,
                               entry.points_px(source.size_wh), entry.labels)
        for fm in session.propagate(direction="both"):
            yield fm if keep is None else fm.only(keep)
