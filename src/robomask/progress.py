"""Progress reporting through a callback: nothing below the CLI prints."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """One progress update.

    Attributes:
        stage: What is running, e.g. ``"scene_0018/arm"`` or ``"scene_0018/merge"``.
        done: Units finished so far.
        total: Units in all (0 when unknown).
        elapsed_s: Seconds since the stage started.
        message: Optional line for the log (e.g. the merge pixel counts).
        unit: What ``done`` counts when it is not frames, e.g. ``"MB"`` ("" = the
            display's default).
    """

    stage: str
    done: int
    total: int
    elapsed_s: float
    message: str | None = None
    unit: str = ""

    @property
    def rate_per_s(self) -> float:
        """Units per second so far."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Estimated seconds left, or None when unknown."""
        rate = self.rate_per_s
        if rate <= 0 or self.total <= 0:
            return None
        return max(self.total - self.done, 0) / rate


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default callback: ignore updates."""


class Ticker:
    """Counts units of one stage and sends :class:`Progress` to a callback."""

    def __init__(self, stage: str, total: int, callback: ProgressCallback | None, *,
                 unit: str = "") -> None:
        self.stage = stage
        self.total = total
        self.done = 0
        self.unit = unit
        self._callback = callback or no_progress
        self._t0 = time.perf_counter()
        self._callback(Progress(stage, 0, total, 0.0, unit=unit))

    def advance(self, n: int = 1, message: str | None = None) -> None:
        """Add ``n`` finished units and report."""
        self.done += n
        self._callback(Progress(self.stage, self.done, self.total,
                                time.perf_counter() - self._t0, message, self.unit))

    def finish(self) -> None:
        """End the stage before ``total`` (a search that converged early): the units done
        become the total, so the bar completes and the ETA ends."""
        self.total = self.done
        self.advance(0)

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self._t0
