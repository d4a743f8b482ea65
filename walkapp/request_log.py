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

The logger is at INFO, with a handler of its own (`LineWriter`) that writes to stderr (gunicorn's
error log under `walkapp serve`), and does not propagate — unless it has a handler already when
the app is made (a structured handler of the deployment, or the test suite's), which it keeps.
The request's thread only formats its line and queues it; a thread of its own writes what has
queued up in one write, woken by the first line and then gathering for `LineWriter.GATHER`
seconds. A write on the request's thread would hand Python's lock to the other threads and wait
to get it back, at every request: measured under gunicorn (bench/submit_floor.py), about a fifth
of the spot submit's CPU; a writer woken by every line costs the same lock hand-over (about 0.3 ms
a request, bench/submit_profile.py). A line still queued when the process is killed is lost; a
line of a normal exit is written first.

The app factory installs it (`init_app`), first before every request and last after it.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import sys
import threading
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


class LineWriter(logging.Handler):
    """Formats each record on the caller's thread and queues the line; a writer thread of the
    process writes the lines queued so far to stderr, in one write (see the module docstring)."""

    FORMAT = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"  # Flask's own
    GATHER = 0.05  # seconds: a line reaches the log this late at most, a flush waits as long
    _starting = threading.Lock()  # one writer thread, however many requests log at once

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter(self.FORMAT))
        self._forget()
        os.register_at_fork(after_in_child=self._forget)  # the parent's lines are its own
        atexit.register(self.flush)

    def _forget(self) -> None:
        self._queue: queue.SimpleQueue[str | threading.Event] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: the queue is thread-safe, and the formatting needs none.
        if not self.filter(record):
            return False
        if self._writer is None:
            self._start_writer()
        self._queue.put(self.format(record) + "\n")
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)

    def _start_writer(self) -> None:
        with self._starting:
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="request-log", daemon=True)
                self._writer.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]  # idle, the thread sleeps until a line comes
            time.sleep(self.GATHER)  # and lets the lines of the next moments join it
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write("".join(item for item in batch if isinstance(item, str)))
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()  # a flush waits for the lines queued before it

    def flush(self) -> None:
        """Return once the lines queued so far are written (the process's exit waits for them)."""
        if self._writer is None:
            return
        written = threading.Event()
        self._queue.put(written)
        written.wait(timeout=5)

    @staticmethod
    def _write(text: str) -> None:
        if not text:
            return
        try:
            sys.stderr.write(text)  # looked up each time: tests swap it
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed: nowhere to write the lines
            pass


_writer = LineWriter()


def init_app(app: Flask) -> None:
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers:  # else a deployment's structured handler, or the tests' capture
        log.addHandler(_writer)
        log.propagate = False  # the app's handler would write each line again, on the spot
    # First before any other hook (the clock starts before the session is read), last after
    # every other (after-request hooks run in reverse order of registration).
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
