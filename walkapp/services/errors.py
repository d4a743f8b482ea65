"""The one error a use case raises: a refusal, with a code per field and the values it quotes.

Codes are stable words (``walk_closed``, ``too_long``), never sentences: each front door words
them through `walkapp.error_messages` (pages in the page's language, the API as
``{"errors": {field: message}, "codes": {field: code}}``, the CLI as a line of text).

Raising one also marks the unit of work as failed (see `walkapp.unit_of_work`): a view that
catches it to show a message and redirect still gets everything flushed before it rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import unit_of_work


class Problem:
    """One field's problem: a code and the values its message quotes (``max=200``)."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (other.code, other.params) == (
            self.code,
            self.params,
        )

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Problem({self.code!r}, **{self.params!r})"


class ServiceError(Exception):
    """A refusal. ``ServiceError({"email": "email_taken"})``, or with quoted values
    ``Invalid({"title": Problem("length", min=1, max=200)})``; a bare code is about the body."""

    status = 400

    def __init__(self, problems: Mapping[str, str | Problem] | str):
        if isinstance(problems, str):
            problems = {"body": problems}
        self.problems = {
            field: p if isinstance(p, Problem) else Problem(p) for field, p in problems.items()
        }
        # Sentences for codes walkapp does not word itself (pydantic's, in the API).
        self.fallbacks: dict[str, str] = {}
        super().__init__(self.codes)
        unit_of_work.mark_failed()

    @property
    def codes(self) -> dict[str, str]:
        return {field: p.code for field, p in self.problems.items()}


class NotFound(ServiceError):
    status = 404


class Unauthorized(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class Invalid(ServiceError):
    status = 422


class TooManyAttempts(ServiceError):
    """Too many attempts: wait `retry_after` seconds (the answer's Retry-After)."""

    status = 429

    def __init__(self, problems: Mapping[str, str | Problem] | str, *, retry_after: int):
        super().__init__(problems)
        self.retry_after = retry_after
