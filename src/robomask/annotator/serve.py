"""Run the annotation server with uvicorn: in the foreground (CLI) or in a thread
(notebook). The socket is bound here first, so a busy port is a one-line error and
port 0 picks a free port whose number is known before the URL is shown."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from robomask._optional import require
from robomask.annotator.security import is_loopback, new_token
from robomask.annotator.server import AnnotateContext, create_app
from robomask.errors import BackendError, RobomaskError

uvicorn = require("uvicorn", "ui", purpose="robomask annotate")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 = any free port.

    Raises:
        RobomaskError: The address cannot be bound (port in use, unknown host).
    """
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        raise RobomaskError(f"--host {host} --port {port}: expected a free address to listen "
                            f"on, got: {exc}",
                            hint="pick another --port, or --port 0 for any free one") from exc
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def page_url(host: str, port: int, *, token: str | None, frame: int | None = None) -> str:
    """URL of the page; ``0.0.0.0``/``::`` are shown as this machine's name."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    query = [f"token={token}"] if token else []
    query += [f"frame={frame}"] if frame is not None else []
    return f"http://{shown}:{port}/" + ("?" + "&".join(query) if query else "")


class AnnotateServer:
    """The app on a bound socket, with the token its host needs.

    Args:
        ctx: What the app serves.
        host: Address to listen on; any non-loopback address turns the token on.
        port: Port, 0 = any free one.
    """

    def __init__(self, ctx: AnnotateContext, *, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.ctx = ctx
        self.host = host
        self.token = None if is_loopback(host) else new_token()
        self.app = create_app(ctx, token=self.token)
        self.sock = bind(host, port)
        self.port = self.sock.getsockname()[1]
        self._server: Any = uvicorn.Server(uvicorn.Config(self.app, log_level="warning",
                                                          access_log=False))
        self._thread: threading.Thread | None = None

    def url(self, frame: int | None = None) -> str:
        return page_url(self.host, self.port, token=self.token, frame=frame)

    def run(self) -> None:
        """Serve in the foreground until Ctrl-C."""
        self._server.run(sockets=[self.sock])

    def start(self, timeout_s: float = 20.0) -> None:
        """Serve in a daemon thread; returns once the server answers."""
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]},
                                        name=f"robomask-annotate-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise BackendError(f"annotation server on port {self.port}: expected it to "
                                   f"start within {timeout_s:g} s, got no answer")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the thread started by :meth:`start` and free the backend; safe twice."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.sock.close()
        self.ctx.close()
