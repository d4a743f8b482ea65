"""Nothing but the unit-of-work boundary commits (walkapp/unit_of_work.py).

`CommitGuard` wraps `Session.commit` for the whole test suite (see conftest.py): a commit called
from a module of the walkapp package while the boundary is not committing is recorded, and the
test that caused it fails. Tests themselves may commit (their set-up does).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.orm import Session

import walkapp
from walkapp import unit_of_work

PACKAGE_DIR = Path(walkapp.__file__).resolve().parent
_LIBRARIES = ("sqlalchemy", "flask_sqlalchemy")


def _caller() -> Path | None:
    """The file of the first frame above Session.commit that is not SQLAlchemy's."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in _LIBRARIES:
            return Path(frame.f_code.co_filename).resolve()
        frame = frame.f_back
    return None


class CommitGuard:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self._original = Session.commit

    def install(self) -> None:
        original, violations = self._original, self.violations

        def commit(session: Session) -> None:
            if not unit_of_work.committing.get():
                caller = _caller()
                if caller is not None and caller.is_relative_to(PACKAGE_DIR):
                    violations.append(str(caller.relative_to(PACKAGE_DIR.parent)))
            return original(session)

        Session.commit = commit  # type: ignore[method-assign]

    def uninstall(self) -> None:
        Session.commit = self._original  # type: ignore[method-assign]
