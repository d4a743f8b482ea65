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
    "retention_range": _l("A whole number of months, from %(min)s to %(max)s."),
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
    "erased": _l("Your data has been erased from the server."),
    "signed_out": _l("Your session has ended: sign in again."),
    "too_many_attempts": _l("Too many wrong codes from this network: wait a few minutes."),
    "too_many_spots": _l("Too many spots sent in a short time: they will be sent again later."),
    "too_many_photos": _l("Too many photos sent in a short time: they will be sent again later."),
    "photo_quota": _l("Your photos take more than %(max)s MB: no more photos can be stored."),
    "track_quota": _l("Your route trace holds more than %(max)s points: no more can be stored."),
    # Joining and spots
    "join_code_unknown": _l("Unknown join code."),
    "walk_not_started": _l("This walk has not started yet."),
    "walk_closed": _l("This walk is closed."),
    "walk_not_open": _l("This walk is not open."),
    "consent_required": _l("Consent is required to take part."),
    "guardian_consent_required": _l("Under 15, a parent or guardian must agree."),
    "consent_too_early": _l("Agreed long before the walk starts: check the phone's clock."),
    "stop_unknown": _l("There is no such stop on this walk."),
    "accuracy_required": _l("A GPS position comes with its accuracy (accuracy_m)."),
    "stop_required": _l("A position taken at a stop names the stop (stop_id)."),
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
    # A project's end
    "project_archived": _l(
        "This project is archived: it can be read and exported, not changed. A planner of the "
        "project can take it out of the archive."
    ),
    "archive_walk_open": _l("A walk of this project is open: close it before archiving."),
    "delete_name_mismatch": _l("Type the project's name exactly to delete it."),
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
    # Background jobs (walkapp/jobs.py)
    "job_crashed": _l(
        "The file could not be built: an error occurred on walkapp's side. Ask for it again; "
        "if it fails again, tell an administrator."
    ),
    "job_interrupted": _l("The work was interrupted (the server stopped): ask for it again."),
    "job_queue_unavailable": _l(
        "The work could not be queued (the queue does not answer): ask for it again later."
    ),
    "job_kind_unknown": _l("This kind of file cannot be built here: tell an administrator."),
    "job_result_expired": _l(
        "The file was removed at the end of its keeping period: build it again."
    ),
    "job_result_erased": _l(
        "The file was removed after a participant's data was erased: build it again."
    ),
    # The tender annex: the planner's choices (domain/annex.py)
    "not_in_finding": _l("This spot or photo is not one of the finding's: reload the page."),
    "harassment_unconfirmed": _l(
        "A harassment report is quoted only once you have ticked that every bidder will read it."
    ),
    "weights_criteria": _l("These award criteria are not the library's: reload the page."),
    "weights_range": _l("Each weight is a whole number from 0 to 100."),
    "weights_total": _l("The weights add up to more than 100 %."),
    # Perimeters: refusals (domain/geo.py)
    "perimeter_not_json": _l("This file is not GeoJSON: it is not valid JSON."),
    "perimeter_no_type": _l("This is not GeoJSON: it should be a JSON object with a “type”."),
    "perimeter_position": _l("This is not GeoJSON: a position is written [longitude, latitude]."),
    "perimeter_not_numbers": _l("This is not GeoJSON: coordinates must be numbers."),
    "perimeter_longitude_range": _l(
        "Longitude %(value)s is outside -180 to 180: coordinates must be WGS84 degrees, "
        "longitude first then latitude (as GeoJSON requires); projected coordinates such as "
        "Lambert-93 metres are not accepted."
    ),
    "perimeter_latitude_range": _l(
        "Latitude %(value)s is outside -90 to 90: coordinates must be WGS84 degrees, "
        "longitude first then latitude (as GeoJSON requires); projected coordinates such as "
        "Lambert-93 metres are not accepted."
    ),
    "perimeter_ring": _l("This is not GeoJSON: an outline must be a list of positions."),
    "perimeter_few_corners": _l("An outline needs at least 3 corners."),
    "perimeter_rings": _l("This is not GeoJSON: a polygon must be a list of outlines."),
    "perimeter_geometry_object": _l("This is not GeoJSON: a geometry must be an object."),
    "perimeter_multipolygon": _l("This is not GeoJSON: a MultiPolygon must list polygons."),
    "perimeter_not_polygon": _l(
        "A %(kind)s is not a polygon: the perimeter must be a closed area."
    ),
    "perimeter_unknown_type": _l("This is not GeoJSON: “%(kind)s” is not a geometry type."),
    "perimeter_not_feature": _l("This is not GeoJSON: feature %(number)s is not a Feature."),
    "perimeter_feature_no_geometry": _l("The feature has no geometry."),
    "perimeter_feature_n_no_geometry": _l("Feature %(number)s has no geometry."),
    "perimeter_no_features_list": _l("This is not GeoJSON: a FeatureCollection needs “features”."),
    "perimeter_no_feature": _l("The file has no feature: draw or upload one perimeter."),
    "perimeter_self_intersection": _l(
        "The perimeter is not a valid polygon: its edges cross each other near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_ring_self_intersection": _l(
        "The perimeter is not a valid polygon: an outline touches itself near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_hole_outside": _l(
        "The perimeter is not a valid polygon: a hole lies outside the outline near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_nested_shells": _l(
        "The perimeter is not a valid polygon: one part lies inside another near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_nested_holes": _l(
        "The perimeter is not a valid polygon: one hole lies inside another near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_disconnected": _l(
        "The perimeter is not a valid polygon: its holes cut it into pieces near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_duplicate_rings": _l(
        "The perimeter is not a valid polygon: an outline is repeated near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_too_few_points": _l(
        "The perimeter is not a valid polygon: an outline has too few points near latitude "
        "%(lat)s, longitude %(lon)s. Redraw it."
    ),
    "perimeter_broken": _l(
        "The perimeter is not a valid polygon: its outline is broken. Redraw it."
    ),
    "perimeter_flat": _l("The perimeter has no area: its corners are all on one line."),
    "perimeter_too_many_points": _l(
        "The perimeter has %(count)s points: simplify it to at most %(max)s."
    ),
    "perimeter_no_area": _l("The perimeter has no area."),
    # Perimeters: questions before saving (domain/perimeter_checks.py)
    "perimeter_axes_swapped": _l(
        "Its centre (latitude %(lat)s, longitude %(lon)s) lies outside France, but with "
        "latitude and longitude swapped it would lie %(region)s: the file probably gives them "
        "in the wrong order."
    ),
    "perimeter_far_away": _l(
        "Its centre (latitude %(lat)s, longitude %(lon)s) lies outside metropolitan France and "
        "the overseas departments."
    ),
    "perimeter_large_area": _l(
        "Its area is %(area)s km², more than the %(max)s km² of a neighbourhood."
    ),
    "perimeter_large_diameter": _l("It is %(diameter)s km across, more than %(max)s km."),
    "perimeter_stops_outside": _l(
        "Stops of the project's events outside this perimeter: %(count)s of %(total)s."
    ),
    "perimeter_spots_outside": _l(
        "Spots already tagged outside this perimeter: %(count)s of %(total)s."
    ),
    "region_metropole": _l("in metropolitan France"),
    "region_guadeloupe": _l("in Guadeloupe"),
    "region_martinique": _l("in Martinique"),
    "region_guyane": _l("in French Guiana"),
    "region_reunion": _l("in La Réunion"),
    "region_mayotte": _l("in Mayotte"),
    # Zones (services/zones.py)
    "zone_name_taken": _l("The project already has a zone named “%(name)s”."),
    "zone_name_missing": _l("This feature has no “name” property: each zone needs a name."),
    "zone_name_repeated": _l("Another feature of the file is already named “%(name)s”."),
    "zone_feature_refused": _l("Feature %(number)s of the file is refused; nothing was imported."),
    # Usage counts (services/counts.py)
    "zone_unknown": _l("This zone is not one of the project's: it may have been deleted."),
    "period_end_invalid": _l("A counting period ends after it starts, and lasts at most 12 hours."),
    "period_changed": _l("A counting period's kind and start cannot change."),
    "period_of_another_project": _l("This counting period belongs to another project."),
    "period_unknown": _l("A person counted belongs to a counting period the server does not know."),
    "record_kind_mismatch": _l(
        "A person passing has a mode only; a person staying has a posture, an activity and a group."
    ),
    "record_outside_period": _l("A person was counted outside the counting period's times."),
    "zones_not_a_collection": _l(
        "The file must be a GeoJSON FeatureCollection of polygons, each with a “name” property."
    ),
    # Appropriation survey (services/appropriation.py)
    "not_a_survey": _l("This event is not an appropriation survey: it takes no answers."),
    "questionnaire_unknown": _l("This questionnaire is not the project's."),
    "answer_id_conflict": _l("Other answers were already sent with this id."),
    "item_unknown": _l("This question is not in the questionnaire."),
    "not_a_choice": _l("This answer is not one of the question's choices."),
    "not_choices": _l("A list of distinct choices is expected."),
    "off_scale": _l("This answer is not on the question's scale."),
    "not_text": _l("A text is expected."),
    "not_integer": _l("A whole number is expected."),
    "not_number": _l("A number is expected."),
    "not_a_point": _l("A position (latitude and longitude) is expected."),
    "not_answerable": _l("This question takes no answer."),
    # The questionnaire page (services/questionnaires.py)
    "questionnaire_weights_range": _l("Each weight is a number from 0 to %(max)s."),
    "questionnaire_weights_zero": _l("At least one weight must be above 0."),
    "questionnaire_weights_dimensions": _l(
        "These dimensions are not the index's: reload the page."
    ),
    "questionnaire_has_answers": _l(
        "Answers have arrived for the questionnaire in use: tick the box to confirm the change."
    ),
    "recheck_unknown": _l("These follow-up questions are not those of the page: reload it."),
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
