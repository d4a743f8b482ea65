"""What each role may do. One table, read by the planner pages, the API and the tests."""

from __future__ import annotations

# Actions on a project the user belongs to (an admin belongs to every project).
READ = "read"  # see the project, its events, spots, photos, maps, indicators
EDIT_PROJECT = "edit_project"  # name, commune, perimeter, phase
MANAGE_EVENTS = "manage_events"  # schedule, edit, delete events and their stops
FACILITATE = "facilitate"  # open/close a walk, count attendance, note, enter spots for others
MODERATE = "moderate"  # hide a spot (with the reason kept)
EXPORT = "export"  # download data and documents
MANAGE_USERS = "manage_users"  # accounts and memberships (not tied to a project)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {READ, EDIT_PROJECT, MANAGE_EVENTS, FACILITATE, MODERATE, EXPORT, MANAGE_USERS}
    ),
    "planner": frozenset({READ, EDIT_PROJECT, MANAGE_EVENTS, FACILITATE, MODERATE, EXPORT}),
    "facilitator": frozenset({READ, FACILITATE}),
    "viewer": frozenset({READ}),
}


def can(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
