"""One log line per request, on the standard logger ``walkapp.requests``, with nothing personal.

Each line: the request id, the method, the route, the status and the duration in milliseconds::

    request_id=3f2a… method=POST route=/api/v1/walks/<code>/participants status=201 duration_ms=8.4

The route is the URL rule's pattern, never the path that was asked: a path may carry a join
code, a spot's uuid or a file name. No query string, no header, no body (so never a token, a
comment or an erasure code). A request that matched no route is logged with route ``-``.

The request id is a fresh uuid4 (hex), or the incoming ``X-Request-Id`` when it is a short
string of letters, digits and dashes (a proxy's own id, to follow one request through both
logs); either way it is sent back as ``X-Request-Id``. The fields are also the record's
attributes (``request_id``, ``method``, ``route``, ``status``, ``duration_ms``) for a structured
handler.

The logger is at INFO and propagates to the app's logger (``walkapp``), whose handler Flask
installs (the server's error stream: gunicorn's error log under `walkapp serve`). The app factory
installs it (`init_app`), first before every request and last after it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, request

log = logging.getLogger("walkapp.requests")

HEADER = "X-Request-Id"
INCOMING_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
METHOD = re.compile(r"[A-Z]{1,10}")
_ID_KEY = "walkapp.request_id"
_START_KEY = "walkapp.request_start"


def request_id() -> str:
    """The current request's id (made on first use if the hook did not run)."""
    rid = request.environ.get(_ID_KEY)
    if rid is None:
        incoming = request.headers.get(HEADER, "")
        rid = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.environ[_ID_KEY] = rid
    return rid


def _start() -> None:
    request.environ[_START_KEY] = time.perf_counter()
    request_id()


def _finish(response):
    started = request.environ.get(_START_KEY, time.perf_counter())
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    rid = request_id()
    response.headers[HEADER] = rid
    fields = {
        "request_id": rid,
        "method": request.method if METHOD.fullmatch(request.method) else "-",
        "route": request.url_rule.rule if request.url_rule is not None else "-",
        "status": response.status_code,
        "duration_ms": duration_ms,
    }
    log.info(" ".join(f"{key}={value}" for key, value in fields.items()), extra=fields)
    return response


def init_app(app: Flask) -> None:
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    app.logger  # noqa: B018 (Flask installs its handler on first use, where our lines propagate)
    # First before any other hook (the clock starts before the session is read), last after
    # every other (after-request hooks run in reverse order of registration).
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
