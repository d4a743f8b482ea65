"""A server that loses answers, for tests: the `lost_answers` fixture (conftest.py) installs it.

`LostAnswers` reproduces a phone losing the server's answer: the request is handled completely
(its transaction committed), then the connection is closed before a single byte of the answer is
sent. The browser sees a network error, exactly as when the signal drops at that moment.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable


class LostAnswers:
    """WSGI middleware: arm(method, path) makes the next matching answers get lost."""

    def __init__(self, wsgi_app: Callable):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()
        self.armed: list[tuple[str, str]] = []
        self.dropped: list[tuple[str, str]] = []

    def arm(self, method: str, path: str, times: int = 1) -> None:
        with self.lock:
            self.armed.extend([(method.upper(), path)] * times)

    def _take(self, method: str, path: str) -> bool:
        with self.lock:
            if (method, path) in self.armed:
                self.armed.remove((method, path))
                return True
        return False

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if not self._take(method, path):
            return self.wsgi_app(environ, start_response)
        # Run the request to its end (the view commits), keep the answer to ourselves...
        body = self.wsgi_app(environ, lambda *args, **kwargs: None)
        try:
            for _chunk in body:
                pass
        finally:
            close = getattr(body, "close", None)
            if close:
                close()
        with self.lock:
            self.dropped.append((method, path))
        # ...then hang up. Werkzeug's development server gives the socket in the environ.
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionResetError("walkapp test hook: answer dropped on purpose")


def install(app) -> LostAnswers:
    """Wrap the app's WSGI callable (the test client and the live server both go through it)."""
    hook = LostAnswers(app.wsgi_app)
    app.wsgi_app = hook
    return hook
