"""The one live server of the suite: the test's app, served over real HTTP on 127.0.0.1.

werkzeug's server, threaded (one thread per request), on a free port, in a background thread.
It serves whatever app the test has: the browser tests' (SQLite), and the `app` fixture's on
each database for the db-tier tests that need real HTTP (schemathesis, a lost answer). On
127.0.0.1 the page is a secure context, as service workers, geolocation and
crypto.randomUUID() need.
"""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="walkapp-live", daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(30)
        self.server.server_close()
        assert not self.thread.is_alive(), "the live server did not stop"


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1; QR codes and links point at it (BASE_URL)."""
    with LiveServer(app) as server:
        previous = app.config["BASE_URL"]
        app.config["BASE_URL"] = server.url
        yield server
        app.config["BASE_URL"] = previous
