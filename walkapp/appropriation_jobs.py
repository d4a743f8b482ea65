"""Refreshing a project's appropriation figures as a background job (walkapp.jobs).

Queued by every answer (services.appropriation.mark_stale; one at a time per project). The
builder only reads (``writes=False``): the bootstrap intervals may take seconds over a large
survey, and on SQLite a write transaction would hold the one write lock all along; the figures
are written at the end in one short transaction of their own (services.appropriation_figures).

Imported by the app factory, so that the web server and `walkapp worker` know the kind.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import jobs
from .services import appropriation, appropriation_figures


@jobs.task(appropriation.KIND, label=_l("Appropriation index: computing the figures"))
def build_appropriation(ctx: jobs.JobContext) -> None:
    if ctx.project_id is None:
        return
    computed = appropriation_figures.compute(ctx.project_id, ctx.progress)
    appropriation_figures.store(ctx.project_id, computed)
    ctx.progress(1, 1)
