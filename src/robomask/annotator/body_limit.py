"""An ASGI middleware that caps request bodies, counting bytes as they arrive.

A ``Content-Length`` header can be checked up front, but a chunked body has none: it
must be counted while it is read, and refused as soon as it passes the cap, before the
application (which would parse it whole) sees any of it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Message, Receive, Send], Awaitable[None]]

_DIGITS = re.compile(rb"[0-9]{1,19}")


class BodyLimit:
    """Refuse HTTP request bodies over ``max_bytes`` with ``reject(message)``, an ASGI
    response (413); other bodies are read in full (they are small) and replayed to
    ``app``.

    Args:
        app: The wrapped ASGI application.
        max_bytes: Largest body accepted, in bytes.
        reject: Builds the refusal response from a one-line message.
    """

    def __init__(self, app: App, *, max_bytes: int, reject: Callable[[str], App]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.reject = reject

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not _DIGITS.fullmatch(length.strip())
                                   or int(length) > self.max_bytes):
            await self._refuse(f"content-length {length[:40].decode('latin-1')!r}", scope,
                               receive, send)
            return
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._refuse(f"more ({total} bytes so far)", scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, got: str, scope: Message, receive: Receive, send: Send) -> None:
        message = f"request body: expected at most {self.max_bytes} bytes, got {got}"
        await self.reject(message)(scope, receive, send)
