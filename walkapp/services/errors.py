"""Errors a use case raises; each front door (API, pages, CLI) turns them into its own answer."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, errors: dict[str, str] | str):
        self.errors = errors if isinstance(errors, dict) else {"body": errors}
        super().__init__(self.errors)


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422


class TooManyAttempts(ServiceError):
    status = 429
