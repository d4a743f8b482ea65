"""Re-attaching a project's spots to its zones as a background job (walkapp.jobs).

Every change of the zones (services.zones) starts a `zones` job with the zones version it made;
the builder re-attaches the spots if the zones are still at that version, else does nothing (the
newer change's own job does the work). It writes (``writes=True``): on SQLite it holds the write
lock while it runs, a few seconds for a hundred thousand spots. Idempotent: run twice, the second
run writes nothing.

Imported by the app factory, so that the web server and `walkapp worker` know the kind.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import jobs
from .services import zones as service


@jobs.task(service.KIND, label=_l("Zones: attaching the spots"), writes=True)
def build_zones(ctx: jobs.JobContext) -> None:
    if ctx.project_id is None:
        return
    version = int(ctx.params.get("zones_version", -1))
    service.reattach_for_version(ctx.project_id, version, ctx.progress)
