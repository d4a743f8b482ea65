"""Events: schedule, edit, delete, open and close a walk; its printable QR sheet; notes at stops
and spots entered on someone's behalf. Views parse, call a service, render
(the request's unit of work commits)."""

from __future__ import annotations

import math
import uuid
from zoneinfo import ZoneInfo

import segno
from babel import Locale
from babel.dates import format_datetime
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..access import project_or_404, role_in, walk_or_404
from ..domain import rules
from ..domain import vocabularies as v
from ..domain.join_codes import format_join_code
from ..domain.permissions import FACILITATE, MANAGE_EVENTS, READ, can
from ..error_messages import MESSAGES, flash_refusal, show_on_form
from ..extensions import db
from ..i18n import choices, isolate, label
from ..models import Participant, Walk
from ..participate.assets import assets as pwa_assets
from ..services import events as service
from ..services import facilitation
from ..services import zones as zones_service
from ..services.errors import Conflict, Invalid
from .blueprint import bp
from .forms import RowForm, no_control_characters

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
BLANK_STOP_ROWS = 2  # empty rows offered after the existing stops (JavaScript adds more)
PROXY_SPOT_ROWS = 6  # rows of the transcription form (a paper grid rarely has more)


def _choices(vocab: v.Vocabulary, blank: str | None = None) -> list[tuple[str, str]]:
    rows = choices(vocab)
    return [("", blank), *rows] if blank is not None else rows


def _int_or_none(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _number(text: str | None) -> float | None:
    """A coordinate as people type it: "50.3561" or "50,3561" (French decimal comma)."""
    text = (text or "").strip().replace("\u2212", "-")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plausible_year(form, field) -> None:
    """A typed date in the years the app takes (year 1 or 9999 would overflow in UTC)."""
    if field.data is not None and not rules.plausible_year(field.data):
        raise ValidationError(
            _(
                "A date between the years %(min)s and %(max)s.",
                min=rules.YEAR_MIN,
                max=rules.YEAR_MAX,
            )
        )


# --- Forms -------------------------------------------------------------------------------------


class StopForm(RowForm):
    name = StringField(
        _l("Name of the stop"), validators=[Optional(), Length(max=200), no_control_characters]
    )
    lat = StringField(_l("Latitude"))
    lon = StringField(_l("Longitude"))

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.name, self.lat, self.lon))

    def parsed(self) -> service.StopData | None:
        """The stop, or None with errors on the fields."""
        lat, lon = _number(self.lat.data), _number(self.lon.data)
        ok = True
        if not (self.name.data or "").strip():
            self.name.errors = [*self.name.errors, _("Give the stop a name.")]
            ok = False
        if not rules.valid_latitude(lat):
            self.lat.errors = [*self.lat.errors, _("A latitude in degrees, from -90 to 90.")]
            ok = False
        if not rules.valid_longitude(lon):
            self.lon.errors = [*self.lon.errors, _("A longitude in degrees, from -180 to 180.")]
            ok = False
        return service.StopData(self.name.data.strip(), lat, lon) if ok else None


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind of event"), validators=[InputRequired()])
    audience = SelectField(_l("Group"), validators=[InputRequired()])
    title = StringField(
        _l("Title"), validators=[DataRequired(), Length(max=200), no_control_characters]
    )
    group_description = TextAreaField(
        _l("Description of the group"),
        validators=[Optional(), Length(max=5000), no_control_characters],
    )
    starts_at = DateTimeLocalField(
        _l("Start"), format=LOCAL_FORMATS, validators=[DataRequired(), _plausible_year]
    )
    ends_at = DateTimeLocalField(
        _l("End"), format=LOCAL_FORMATS, validators=[DataRequired(), _plausible_year]
    )
    meeting_point = StringField(
        _l("Meeting point"), validators=[Optional(), Length(max=200), no_control_characters]
    )
    facilitator_id = SelectField(_l("Facilitator"), coerce=_int_or_none, validate_choice=True)
    permanent = BooleanField(
        _l("Permanent QR on street furniture: one answer per phone and per day counts")
    )
    stops = FieldList(FormField(StopForm), min_entries=BLANK_STOP_ROWS)

    def __init__(self, project, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(v.EVENT_KINDS)
        self.audience.choices = _choices(v.AUDIENCES)
        self.facilitator_id.choices = [(None, _("Nobody yet"))] + [
            (u.id, u.name or u.email) for u in service.facilitator_choices(project)
        ]

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_("The end must come after the start."))

    def parsed_stops(self) -> tuple[service.StopData, ...] | None:
        stops, ok = [], True
        for entry in self.stops:
            if entry.form.is_blank():
                continue
            stop = entry.form.parsed()
            ok = ok and stop is not None
            stops.append(stop)
        return tuple(stops) if ok else None


def _event_form(project, walk: Walk | None = None) -> EventForm:
    form = EventForm(project, obj=None)
    if walk is not None and request.method == "GET":
        tz = project.timezone
        for name in ("kind", "audience", "title", "group_description", "meeting_point"):
            getattr(form, name).data = getattr(walk, name)
        form.facilitator_id.data = walk.facilitator_id
        form.permanent.data = walk.permanent
        form.starts_at.data = service.utc_to_local(walk.starts_at, tz)
        form.ends_at.data = service.utc_to_local(walk.ends_at, tz)
        while len(form.stops):
            form.stops.pop_entry()
        for stop in walk.stops:
            form.stops.append_entry({"name": stop.name, "lat": stop.lat, "lon": stop.lon})
    stops = sum(1 for e in form.stops if not e.form.is_blank())
    while len(form.stops) < stops + BLANK_STOP_ROWS:
        form.stops.append_entry()
    return form


def _event_data(form: EventForm, tz: str) -> service.EventData | None:
    """The form's data for the service, or None (errors put on the fields)."""
    valid = form.validate()
    stops = form.parsed_stops()
    if not valid or stops is None:
        return None
    times = {}
    for field in (form.starts_at, form.ends_at):
        try:
            times[field.name] = service.local_to_utc(field.data, tz)
        except Invalid:
            field.errors = [*field.errors, _("This time does not exist: the clocks change then.")]
    if len(times) < 2:
        return None
    return service.EventData(
        kind=form.kind.data,
        audience=form.audience.data,
        title=form.title.data,
        group_description=form.group_description.data or "",
        meeting_point=form.meeting_point.data or "",
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        facilitator_id=form.facilitator_id.data,
        stops=stops,
        permanent=bool(form.permanent.data),
    )


def _flash_stop_warnings(project, stops) -> None:
    for w in service.stop_warnings(project, stops):
        message = _(
            "Stop %(number)s (%(name)s) is outside the project's perimeter: check its position.",
            number=w.number,
            name=isolate(w.name),
        )
        if w.swapped:
            message += " " + _("Latitude and longitude may be swapped.")
        flash(message, "warning")


def _map_data(project) -> dict:
    config = current_app.config
    return {
        "perimeter": project.perimeter,
        "tiles": config.get("TILE_URL") or "",
        "attribution": config.get("TILE_ATTRIBUTION") or "",
        "labels": {
            "map": _("Map of the route: tap to place the next stop"),
            "name": _("Name of stop %(n)s"),
            "lat": _("Latitude of stop %(n)s"),
            "lon": _("Longitude of stop %(n)s"),
        },
    }


# --- Create, edit, delete ----------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/events/new", methods=["GET", "POST"])
@login_required
def event_new(project_id: int):
    project = project_or_404(project_id, MANAGE_EVENTS)
    form = _event_form(project)
    if request.method == "POST":
        data = _event_data(form, project.timezone)
        if data is not None:
            walk = service.create_event(project, data, user_id=current_user.id)
            flash(_("The event is scheduled. Its join code is %(code)s.", code=_code(walk)), "ok")
            _flash_stop_warnings(project, walk.stops)
            return redirect(url_for("planner.event", walk_id=walk.id))
    return _render_form(project, None, form)


@bp.route("/events/<int:walk_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(walk_id: int):
    walk = walk_or_404(walk_id, MANAGE_EVENTS)
    project = walk.project
    form = _event_form(project, walk)
    if request.method == "POST":
        data = _event_data(form, project.timezone)
        if data is not None:
            changes = service.update_event(walk, data, user_id=current_user.id)
            flash(_("Changes saved.") if changes else _("Nothing changed."), "ok")
            _flash_stop_warnings(project, walk.stops)
            return redirect(url_for("planner.event", walk_id=walk.id))
    return _render_form(project, walk, form)


def _render_form(project, walk: Walk | None, form: EventForm):
    status = 422 if request.method == "POST" else 200
    return render_template(
        "planner/event_form.html",
        project=project,
        walk=walk,
        form=form,
        map_data=_map_data(project),
        leaflet=_leaflet_urls(),
    ), status


def _leaflet_urls() -> dict[str, str]:
    # Leaflet from npm, served (versioned) by the participant blueprint: one copy for both.
    a = pwa_assets()
    return {"js": a.leaflet_url("leaflet.js"), "css": a.leaflet_url("leaflet.css")}


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token: open, close, delete."""


@bp.route("/events/<int:walk_id>/delete", methods=["GET", "POST"])
@login_required
def event_delete(walk_id: int):
    walk = walk_or_404(walk_id, MANAGE_EVENTS)
    form = ConfirmForm()
    joined = service.participant_count(walk)
    if request.method == "POST" and form.validate():
        try:
            service.delete_event(walk, user_id=current_user.id)
        except Conflict as exc:
            flash_refusal(exc)
            return redirect(url_for("planner.event", walk_id=walk_id))
        project_id = walk.project_id
        flash(_("The event was deleted."), "ok")
        return redirect(url_for("planner.project", project_id=project_id))
    return render_template("planner/event_delete.html", walk=walk, form=form, joined=joined)


# --- The event page, open and close ------------------------------------------------------------


def _code(walk: Walk) -> str:
    return format_join_code(walk.join_code)


@bp.get("/events/<int:walk_id>")
@login_required
def event(walk_id: int):
    walk = walk_or_404(walk_id, READ)
    role = role_in(walk.project_id)
    entered = db.session.scalar(
        db.select(db.func.count(Participant.id)).where(
            Participant.walk_id == walk.id, Participant.entered_by_id.is_not(None)
        )
    )
    return render_template(
        "planner/event.html",
        walk=walk,
        project=walk.project,
        code=_code(walk),
        joined=service.participant_count(walk),
        entered=entered,
        attendance=facilitation.attendance_table(walk),
        notes=facilitation.notes_of(walk),
        warnings=service.stop_warnings(walk.project, walk.stops),
        can_manage=can(role, MANAGE_EVENTS),
        can_facilitate=can(role, FACILITATE),
        form=ConfirmForm(),
        note_form=NoteForm(walk),
    )


@bp.post("/events/<int:walk_id>/open")
@login_required
def event_open(walk_id: int):
    return _transition(walk_id, service.open_event, _("The event is open: people can join."))


@bp.post("/events/<int:walk_id>/close")
@login_required
def event_close(walk_id: int):
    message = _("The event is closed. Phones that were offline can still send their spots.")
    return _transition(walk_id, service.close_event, message)


def _transition(walk_id: int, change, message: str):
    walk = walk_or_404(walk_id, FACILITATE)
    if not ConfirmForm().validate():
        abort(400)
    try:
        change(walk, user_id=current_user.id)
    except Conflict as exc:
        flash_refusal(exc)
    else:
        flash(message, "ok")
    back = "planner.live" if request.form.get("back") == "live" else "planner.event"
    return redirect(url_for(back, walk_id=walk_id))


# --- Notes at stops (the live view sends them as JSON; this is the plain form) ----------------


class NoteForm(FlaskForm):
    stop_id = SelectField(_l("Stop"), coerce=_int_or_none)
    text = TextAreaField(
        _l("The group's remark"),
        validators=[
            DataRequired(),
            Length(max=facilitation.NOTE_MAX_LENGTH),
            no_control_characters,
        ],
    )

    def __init__(self, walk: Walk, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop_id.choices = [(None, _("The whole walk"))] + [
            (s.id, f"{s.number}. {s.name}") for s in walk.stops
        ]


@bp.post("/events/<int:walk_id>/notes")
@login_required
def event_note(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    form = NoteForm(walk)
    if form.validate():
        try:
            facilitation.add_stop_note(
                walk, stop_id=form.stop_id.data, text=form.text.data, user_id=current_user.id
            )
        except Invalid as exc:
            flash_refusal(exc)
        else:
            flash(_("Note added."), "ok")
    elif rules.has_control_characters(form.text.data):
        flash(str(MESSAGES["control_characters"]), "error")
    else:
        flash(_("The note was not added: write the group's remark."), "error")
    return redirect(url_for("planner.event", walk_id=walk_id) + "#notes")


# --- Spots entered on someone's behalf ---------------------------------------------------------


class ProxySpotForm(RowForm):
    stop_id = SelectField(_l("Stop"), coerce=_int_or_none)  # one of this walk's stops
    category = SelectField(_l("Category"), validate_choice=False)
    feeling = SelectField(_l("Feeling"), validate_choice=False)
    recorded_at = DateTimeLocalField(
        _l("Time"), format=LOCAL_FORMATS, validators=[Optional(), _plausible_year]
    )
    lat = StringField(_l("Latitude"))
    lon = StringField(_l("Longitude"))
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=rules.COMMENT_MAX_LENGTH), no_control_characters],
    )

    def is_blank(self) -> bool:
        """Nothing typed in the row (its time is filled in advance, so it does not count)."""
        typed = (self.category, self.feeling, self.stop_id, self.lat, self.lon, self.comment)
        return not any(str(f.data or "").strip() for f in typed)

    def parsed(self, tz: str, row_id: uuid.UUID) -> facilitation.ProxySpot | None:
        ok = True
        for field, message, known in (
            (self.category, _("Choose a category."), v.CATEGORIES.codes),
            (self.feeling, _("Choose a feeling."), v.FEELINGS.codes),
            (self.recorded_at, _("Give the time."), None),
        ):
            # A forged request may send any text: only the form's own choices count.
            if not field.data or (known is not None and field.data not in known):
                field.errors = [*field.errors, message]
                ok = False
        lat, lon = _number(self.lat.data), _number(self.lon.data)
        typed = (self.lat.data or "").strip() or (self.lon.data or "").strip()
        if typed and (lat is None or lon is None or not rules.valid_position(lat, lon)):
            self.lat.errors = [*self.lat.errors, _("A latitude and a longitude, in degrees.")]
            ok = False
        if not typed and not self.stop_id.data:
            self.stop_id.errors = [*self.stop_id.errors, _("Choose a stop or give a position.")]
            ok = False
        if not ok or self.recorded_at.errors:  # a refused time (year 1) is not converted
            return None
        try:
            when = service.local_to_utc(self.recorded_at.data, tz)
        except Invalid:
            self.recorded_at.errors = [_("This time does not exist: the clocks change then.")]
            return None
        return facilitation.ProxySpot(
            id=row_id,
            category=self.category.data,
            feeling=int(self.feeling.data),
            recorded_at=when.astimezone(ZoneInfo(tz)),
            lat=lat if typed else None,
            lon=lon if typed else None,
            stop_id=self.stop_id.data,
            comment=self.comment.data,
        )


class ProxyForm(FlaskForm):
    # Made when the empty form is shown: the spots' ids derive from it, so sending the same
    # form twice (a double tap, a reload) stores nothing twice.
    nonce = HiddenField()
    consent = BooleanField(
        _l("The person agreed orally to take part, after hearing what is kept and why."),
        validators=[DataRequired(_l("The person's agreement is required."))],
    )
    gender = SelectField(_l("Gender"))
    age_band = SelectField(_l("Age"))
    resident = SelectField(_l("Lives in the neighbourhood"))
    mobility = SelectField(_l("Mobility"))
    spots = FieldList(FormField(ProxySpotForm), min_entries=PROXY_SPOT_ROWS)

    def __init__(self, walk: Walk, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = _("Not said")
        self.gender.choices = _choices(v.GENDERS, blank)
        self.age_band.choices = _choices(v.AGE_BANDS, blank)
        self.resident.choices = _choices(v.RESIDENT, blank)
        self.mobility.choices = _choices(v.MOBILITY, blank)
        stops = [(None, _("No stop"))] + [(s.id, f"{s.number}. {s.name}") for s in walk.stops]
        categories = _choices(v.CATEGORIES, _("Choose"))
        feelings = _choices(v.FEELINGS, _("Choose"))
        feelings = [(c, f"{c} – {label}" if c else label) for c, label in feelings]
        for entry in self.spots:
            entry.form.stop_id.choices = stops
            entry.form.category.choices = categories
            entry.form.feeling.choices = feelings
        if not self.nonce.data:
            self.nonce.data = str(uuid.uuid4())

    def profile(self) -> facilitation.ProxyProfile:
        return facilitation.ProxyProfile(
            **{
                name: getattr(self, name).data or None
                for name in ("gender", "age_band", "resident", "mobility")
            }
        )

    def parsed_spots(self, tz: str) -> list[facilitation.ProxySpot] | None:
        try:
            base = uuid.UUID(self.nonce.data)
        except ValueError:
            abort(400)
        spots, ok = [], True
        for row, entry in enumerate(self.spots):
            if entry.form.is_blank():
                continue
            spot = entry.form.parsed(tz, uuid.uuid5(base, str(row)))
            ok = ok and spot is not None
            spots.append(spot)
        if ok and not spots:
            self.spots.errors = [_("Enter at least one spot.")]
            return None
        return spots if ok else None


@bp.route("/events/<int:walk_id>/proxy", methods=["GET", "POST"])
@login_required
def event_proxy(walk_id: int):
    walk = walk_or_404(walk_id, FACILITATE)
    tz = walk.project.timezone
    form = ProxyForm(walk)
    if request.method == "GET":
        default = service.utc_to_local(facilitation.default_spot_time(walk), tz)
        for entry in form.spots:
            entry.form.recorded_at.data = default.replace(second=0, microsecond=0)
    elif walk.status == "planned":
        flash(_("Open the walk before entering spots."), "error")
    else:
        valid = form.validate()
        spots = form.parsed_spots(tz)
        if valid and spots:
            try:
                facilitation.enter_for_participant(
                    walk,
                    form.profile(),
                    spots,
                    user_id=current_user.id,
                    consent_version=current_app.config["CONSENT_VERSION"],
                )
            except Conflict:
                flash(_("These spots were already saved."), "ok")
                return redirect(url_for("planner.event", walk_id=walk_id))
            except Invalid as exc:  # a rule the form did not catch (it should): shown, kept
                show_on_form(form, exc)
                return _proxy_page(walk, form), 422
            flash(
                ngettext(
                    "%(num)s spot saved for this participant, marked as entered by you.",
                    "%(num)s spots saved for this participant, marked as entered by you.",
                    len(spots),
                ),
                "ok",
            )
            if request.form.get("again"):
                return redirect(url_for("planner.event_proxy", walk_id=walk_id))
            return redirect(url_for("planner.event", walk_id=walk_id))
    status = 422 if request.method == "POST" else 200
    return _proxy_page(walk, form), status


def _proxy_page(walk: Walk, form: ProxyForm) -> str:
    """The on-behalf form, with its map (static/planner/proxy-map.js: a tap or a drag of a
    spot's pin fills its latitude and longitude; the fields work without it)."""
    map_data = _map_data(walk.project)
    map_data["stops"] = [
        {"number": s.number, "name": s.name, "lat": s.lat, "lon": s.lon} for s in walk.stops
    ]
    map_data["labels"] = {
        "map": _("Map of the walk: tap to place spot %(n)s; drag its pin to move it"),
        "active": _("Tapping the map places spot %(n)s."),
        "stop": _("Stop %(n)s"),
    }
    return render_template(
        "planner/event_proxy.html",
        walk=walk,
        form=form,
        map_data=map_data,
        leaflet=_leaflet_urls(),
    )


# --- The printable QR sheet --------------------------------------------------------------------

# Printed in both languages whatever the page's language: the sheet is read on the street.
SHEET_LANGUAGES = ("fr", "en")


def _sheet_text(site: str) -> dict[str, str]:
    """The sheet's sentences in the current language."""
    return {
        "heading": _("Take part with your phone"),
        "scan": _("Scan the QR code with your phone's camera."),
        "or_type": _("Or go to %(site)s and type the code:", site=site),
        "when": _("When"),
        "where": _("Meeting point"),
        "anonymous": _("No account, no name: you stay anonymous."),
    }


def join_url(walk: Walk) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/j/{walk.join_code}"


# Date and time on the sheet: the day in full (people check it), the end time only if same day.
SHEET_FORMATS = {"fr": ("EEEE d MMMM y, HH:mm", "HH:mm"), "en": ("EEEE d MMMM y, h:mm a", "h:mm a")}


def _when(walk: Walk, lang: str) -> str:
    tz = ZoneInfo(walk.project.timezone)
    day_format, time_format = SHEET_FORMATS[lang]
    same_day = walk.starts_at.astimezone(tz).date() == walk.ends_at.astimezone(tz).date()
    start = format_datetime(walk.starts_at, day_format, tzinfo=tz, locale=lang)
    end_format = time_format if same_day else day_format
    return f"{start} – {format_datetime(walk.ends_at, end_format, tzinfo=tz, locale=lang)}"


@bp.get("/events/<int:walk_id>/qr")
@login_required
def event_qr(walk_id: int):
    walk = walk_or_404(walk_id, READ)
    url = join_url(walk)
    site = current_app.config["BASE_URL"].split("://", 1)[-1].rstrip("/")
    sheets = []
    for lang in SHEET_LANGUAGES:  # each block under its own language
        with force_locale(lang):
            sheets.append(
                {
                    "lang": lang,
                    "lang_name": Locale.parse(lang).get_display_name(lang).capitalize(),
                    "text": _sheet_text(site),
                    "when": _when(walk, lang),
                    "kind": label("event_kind", walk.kind),
                }
            )
    return render_template(
        "planner/qr_sheet.html",
        walk=walk,
        url=url,
        code=_code(walk),
        qr_src=_qr_src(url),
        sheets=sheets,
        zone_sheets=_zone_sheets(walk, url),
    )


def _qr_src(url: str) -> str:
    qr = segno.make_qr(url, error="m")
    return qr.svg_data_uri(scale=1, border=4, dark="#000", light="#fff")


def _zone_sheets(walk: Walk, url: str) -> list[dict]:
    """A permanent survey's QR codes, one per zone of the project: the join URL with the zone
    (`?zone=<id>`), so that each answer comes with the zone its QR was put up in."""
    if not (walk.permanent and walk.kind == service.PERMANENT_KIND):
        return []
    sheets = []
    for zone in zones_service.list_zones(walk.project_id):
        zone_url = f"{url}?zone={zone.id}"
        sheets.append(
            {"id": zone.id, "name": zone.name, "url": zone_url, "qr_src": _qr_src(zone_url)}
        )
    return sheets
