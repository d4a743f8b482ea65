"""Planner workspace: accounts, projects, events, the facilitator's live view, triage, and the
analysis pages (maps, hotspots, indicators).

One module per area, each registering its views on the blueprint of blueprint.py.
"""

from . import (
    admin,
    auth,
    events,
    hotspots,
    indicators,
    live,
    maps,
    project_lifecycle,
    projects,
    triage,
)
from .blueprint import bp

__all__ = [
    "admin",
    "auth",
    "bp",
    "events",
    "hotspots",
    "indicators",
    "live",
    "maps",
    "project_lifecycle",
    "projects",
    "triage",
]
