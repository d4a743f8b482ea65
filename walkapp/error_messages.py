"""The one translation of refusal codes into sentences, for pages, the API and the CLI.

A `ServiceError` carries a code per field (services/errors.py); the API validation layer adds
pydantic's own error types. Each code has one sentence here, in the catalogs' languages; a
code without one (a pydantic type we never word) keeps the sentence it came with.
"""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l

from .services.errors import Problem, ServiceError

MESSAGES = {
    # Any field
    "required": _l("This field is required."),
    "unknown": _l("Unknown value."),
    "invalid": _l("This value is not accepted."),
    "too_long": _l("At most %(max)s characters."),
    "length": _l("From %(min)s to %(max)s characters."),
    "in_future": _l("More than a day in the future: check the phone's clock."),
    "position_invalid": _l("Not a WGS84 position (latitude -90 to 90, longitude -180 to 180)."),
    "feeling_range": _l("The feeling goes from 1 to 5."),
    "control_characters": _l("Control characters (such as NUL) are not accepted in text."),
    # Requests
    "not_json": _l("The body is not valid JSON."),
    "too_deep": _l("The JSON is nested more than %(max)s levels deep."),
    "too_many_items": _l("The JSON holds more than %(max)s values."),
    "body_too_large": _l("The body is larger than %(limit)s."),
    "extra_forbidden": _l("Unknown field."),
    "not_found": _l("Not found."),
    "method_not_allowed": _l("Method not allowed."),
    "token_required": _l("A valid participant token is required."),
    "signed_out": _l("Your session has ended: sign in again."),
    "too_many_attempts": _l("Too many wrong codes from this network: wait a few minutes."),
    # Joining and spots
    "join_code_unknown": _l("Unknown join code."),
    "walk_not_started": _l("This walk has not started yet."),
    "walk_closed": _l("This walk is closed."),
    "walk_not_open": _l("This walk is not open."),
    "consent_required": _l("Consent is required to take part."),
    "guardian_consent_required": _l("Under 15, a parent or guardian must agree."),
    "stop_unknown": _l("There is no such stop on this walk."),
    "id_taken": _l("This id is already used."),
    "id_conflict": _l("A different spot was already sent with this id."),
    "spot_unknown": _l("No such spot."),
    "photo_missing": _l("Send the picture in the multipart field “photo”."),
    "photo_empty": _l("The file is empty."),
    "photo_not_an_image": _l("The file is not a JPEG, PNG, WebP or HEIC photo."),
    "photo_truncated": _l("The image file is damaged or incomplete."),
    "photo_too_many_pixels": _l("The image has too many pixels."),
    "erasure_code_unknown": _l("Unknown erasure code."),
    "track_not_agreed": _l("The route trace needs the participant's agreement."),
    # Facilitation
    "position_or_stop": _l("Give a position or choose a stop."),
    "spots_required": _l("Enter at least one spot."),
    "already_saved": _l("These spots were already saved."),
    "note_required": _l("Write the group's remark."),
    "count_negative": _l("A count cannot be negative."),
    # Moderation
    "reason_required": _l("Give the reason for hiding this spot (at most %(max)s characters)."),
    "already_hidden": _l("Someone changed this spot meanwhile. Here is the list as it is now."),
    "not_hidden": _l("Someone changed this spot meanwhile. Here is the list as it is now."),
    # Events
    "time_skipped": _l("This time does not exist here: the clocks change that night."),
    "ends_before_start": _l("The end must come after the start."),
    "facilitator_not_member": _l("The facilitator must be a member of the project."),
    "stop_name_required": _l("Give the stop a name."),
    "join_code_exhausted": _l("No free join code could be drawn. Please try again."),
    "event_has_participants": _l("People have joined this event: it cannot be deleted any more."),
    "event_not_planned": _l("Only a planned event can be opened."),
    "event_not_open": _l("Only an open event can be closed."),
    # Projects and findings
    "insee_code_invalid": _l("An INSEE code has 5 characters, such as 59606 or 2A004."),
    "finding_unknown": _l("No such finding."),
    "not_a_hotspot": _l("This place is not a hotspot any more."),
    "already_a_finding": _l("This place is already a finding."),
    "export_not_allowed": _l("Your role does not allow exports: ask a planner of the project."),
    # Accounts
    "wrong_credentials": _l("Wrong email or password."),
    "login_throttled": _l("Too many failed sign-ins from this network or for this account."),
    "email_taken": _l("An account with this e-mail address already exists."),
    "last_admin": _l("walkapp needs at least one active administrator: this change is refused."),
    "deactivate_self": _l("You cannot deactivate your own account."),
    "password_length": _l("From %(min)s to %(max)s characters."),
}


def message(problem: Problem, fallback: str | None = None) -> str:
    """The sentence of one problem, in the current language."""
    text = MESSAGES.get(problem.code)
    if text is None:
        return fallback or str(MESSAGES["invalid"])
    return str(text) % problem.params if problem.params else str(text)


def messages(exc: ServiceError) -> dict[str, str]:
    """{field: sentence} of a refusal."""
    return {field: message(p, exc.fallbacks.get(field)) for field, p in exc.problems.items()}


def error_body(exc: ServiceError) -> dict[str, dict[str, str]]:
    """A refusal as JSON: ``{"errors": {field: sentence}, "codes": {field: code}}``."""
    return {"errors": messages(exc), "codes": exc.codes}


def sentence(exc: ServiceError) -> str:
    """A refusal as one line (a flash message, the CLI): its distinct sentences joined."""
    return " ".join(dict.fromkeys(messages(exc).values()))


# --- On pages -----------------------------------------------------------------------------------


def flash_refusal(exc: ServiceError) -> None:
    flash(sentence(exc), "error")


def show_on_form(form, exc: ServiceError) -> None:
    """Each field's sentence under its field of a WTForms form; the others as a flash."""
    unplaced = []
    for name, text in messages(exc).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors") and isinstance(field.errors, list):
            field.errors = [*field.errors, text]
        else:
            unplaced.append(text)
    if unplaced:
        flash(" ".join(dict.fromkeys(unplaced)), "error")
