"""Who may talk to the annotation server.

On a loopback address (the default, 127.0.0.1) only requests whose ``Host`` header
names a loopback host are served, so a web page cannot reach the server through DNS
rebinding. On any other address every request needs the random token printed in the
URL (``?token=...``; the server then sets a cookie). Requests that change state must
come from the page's own origin when the browser says where they come from.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PREFIX = "/static/"  # the page's own JS and CSS: the same in every install


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A random URL-safe token (128 bits)."""
    return secrets.token_urlsafe(16)


def _hostname(host_header: str) -> str:
    """``127.0.0.1:8765`` -> ``127.0.0.1``; ``[::1]:8765`` -> ``::1``."""
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


@dataclass(frozen=True)
class Verdict:
    """Outcome of :meth:`AccessPolicy.check`.

    Attributes:
        status: 0 = allowed, else the HTTP status to answer with.
        message: Why it was refused.
        set_cookie: The token came in the query: remember it in a cookie.
    """

    status: int = 0
    message: str = ""
    set_cookie: bool = False


class AccessPolicy:
    """Checks requests against the server's token (None = loopback only).

    Args:
        token: Token every request must carry (query ``token`` or the cookie), or None
            to accept requests whose Host header is a loopback name.
    """

    def __init__(self, token: str | None) -> None:
        self.token = token

    def _matches(self, given: str) -> bool:
        if self.token is None:
            return False
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())

    @staticmethod
    def cookie_name(host_header: str) -> str:
        """Cookies ignore ports: one name per port keeps two servers apart."""
        try:
            port = urlsplit(f"//{host_header}").port
        except ValueError:  # a malformed port: no cookie matches
            port = None
        return f"robomask_token_{port or 80}"

    def check(self, *, method: str, path: str, headers: Mapping[str, str],
              query_token: str | None, cookies: Mapping[str, str]) -> Verdict:
        """Verdict for one request.

        Args:
            method: HTTP method.
            path: URL path; GETs under ``/static/`` need no token (an inline frame in
                a notebook on another site may not get the cookie).
            headers: Request headers (lower-case names).
            query_token: The ``token`` query parameter, if any.
            cookies: Request cookies.
        """
        host = headers.get("host", "")
        origin = headers.get("origin")
        if method not in SAFE_METHODS and origin is not None and _netloc(origin) != host:
            return Verdict(403, f"expected a request from this page ({host}), got origin "
                                f"{origin!r}")
        if self.token is None:
            if not is_loopback(_hostname(host)):
                return Verdict(403, f"expected a loopback Host header (127.0.0.1, localhost), "
                                    f"got {host!r}; start with --host to serve other names")
            return Verdict()
        if method == "GET" and path.startswith(PUBLIC_PREFIX):
            return Verdict()
        if query_token is not None and self._matches(query_token):
            return Verdict(set_cookie=True)
        cookie = cookies.get(self.cookie_name(host))
        if cookie is not None and self._matches(cookie):
            return Verdict()
        return Verdict(403, "expected the access token of this server, got "
                            + ("a wrong one" if query_token or cookie else "none"))
