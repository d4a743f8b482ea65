"""Job kinds for the tests only (walkapp.jobs.task): registered when this module is imported,
by the test modules and by a `walkapp worker` started as a subprocess (see job_worker.py).

- `test_text`: writes params["text"] to params["filename"], reporting params["steps"] steps,
  sleeping params["pause"] seconds between them;
- `test_gated`: reports params["at"] of params["steps"], then waits until the file
  params["gate"] exists (the test opens the gate), then finishes the steps and writes "gated";
- `test_refused`: refuses as a service does (export_not_allowed);
- `test_crash`: any other exception.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask_babel import lazy_gettext as _l

from walkapp import jobs
from walkapp.services.errors import Forbidden

GATE_LIMIT_SECONDS = 120  # a gate nobody opens ends the builder (a test failed meanwhile)


@jobs.task("test_text", label=_l("Test file"))
def build_text(ctx: jobs.JobContext) -> None:
    steps = int(ctx.params.get("steps", 3))
    pause = float(ctx.params.get("pause", 0))
    for step in range(steps):
        ctx.progress(step, steps)
        if pause:
            time.sleep(pause)
    path = ctx.output(ctx.params.get("filename", "résultat.txt"))
    path.write_text(ctx.params.get("text", ""), encoding="utf-8")
    ctx.progress(steps, steps)


@jobs.task("test_gated", label=_l("Test file"))
def build_gated(ctx: jobs.JobContext) -> None:
    steps, at = int(ctx.params["steps"]), int(ctx.params["at"])
    ctx.progress(at, steps)
    gate = Path(ctx.params["gate"])
    deadline = time.monotonic() + GATE_LIMIT_SECONDS
    while not gate.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never opened the gate")
        time.sleep(0.05)
    ctx.output(ctx.params.get("filename", "gated.txt")).write_text("gated", encoding="utf-8")
    ctx.progress(steps, steps)


@jobs.task("test_refused")
def build_refused(ctx: jobs.JobContext) -> None:
    ctx.output("never.txt").write_text("half", encoding="utf-8")
    raise Forbidden({"body": "export_not_allowed"})


@jobs.task("test_crash")
def build_crash(ctx: jobs.JobContext) -> None:
    ctx.progress(1, 4)
    ctx.output("half.txt").write_text("half", encoding="utf-8")
    raise RuntimeError("the builder broke")
