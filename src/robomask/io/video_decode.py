"""Decoding a video stream packet by packet, reporting damage instead of hiding it.

FFmpeg conceals damaged data: a frame made from garbage usually comes out without an
exception, with only a log line ("error while decoding MB ..."); a packet it cannot use
at all raises, which ends PyAV's ``container.decode()`` generator. This decoder
captures the errors of each packet, reports them, and goes on with the next packet as
a video player does, so that every damaged frame can be named.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Damage:
    """The decoder reported errors on the packet with presentation time ``pts``."""

    pts: int | None
    message: str


def decode_reporting_damage(av: Any, container: Any, stream: Any) -> Iterator[Any]:
    """Yield the decoded frames of ``stream``, and a :class:`Damage` before the frames of
    each packet the decoder reported errors on (``av`` is the imported PyAV module)."""
    for packet in container.demux(stream):
        with av.logging.Capture(local=True) as logs:
            try:
                frames, problem = packet.decode(), None
            except av.error.FFmpegError as exc:
                frames, problem = [], f"{type(exc).__name__}: {exc}"
        errors = [f"{name}: {message.strip()}" for level, name, message in logs
                  if level <= av.logging.ERROR]
        if problem or errors:
            yield Damage(packet.pts, problem or errors[0])
        yield from frames
