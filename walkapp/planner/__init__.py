"""Planner workspace: accounts, projects, events, the facilitator's live view, triage, and the
analysis pages (maps, hotspots, indicators).

One module per area, each registering its views on the blueprint of blueprint.py.
"""

from . import (
    admin,
    annex,
    appropriation,
    auth,
    counting,
    counts,
    events,
    exports,
    hotspots,
    indicators,
    jobs,
    live,
    maps,
    project_lifecycle,
    projects,
    publication,
    questionnaire,
    report,
    triage,
    zones,
)
from .blueprint import bp

__all__ = [
    "admin",
    "annex",
    "appropriation",
    "auth",
    "bp",
    "counting",
    "counts",
    "events",
    "exports",
    "hotspots",
    "indicators",
    "jobs",
    "live",
    "maps",
    "project_lifecycle",
    "projects",
    "publication",
    "questionnaire",
    "report",
    "triage",
    "zones",
]
