"""Forms of the planner workspace (Flask-WTF: every form carries its CSRF token).

Messages are msgids in English, shown in French first (lazy_gettext: the page's language is known
only when the form renders). Rules that are not about typing (what an INSEE code is, which time
zones exist) come from the services, so they are written once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app, request
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from ..domain.annex import WEIGHT_MAX, WEIGHT_MIN, weights_problem
from ..domain.geo import PerimeterError, perimeter_geometry
from ..domain.perimeter_checks import Question, swap_axes
from ..domain.rules import has_control_characters
from ..domain.vocabularies import MEMBER_ROLES, PROJECT_PHASES, USER_ROLES, Vocabulary
from ..error_messages import MESSAGES, message
from ..extensions import ID_MAX
from ..i18n import choices
from ..services import accounts, retention
from ..services import projects as project_service
from ..services.errors import Problem

# Time zones offered first (France and its overseas territories); any IANA name is accepted.
COMMON_TIMEZONES = (
    "Europe/Paris",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Cayenne",
    "Indian/Reunion",
    "Indian/Mayotte",
    "America/Miquelon",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Zurich",
    "America/Montreal",
)


def before_arg() -> int | None:
    """The `before` id of a keyset-paged list (?before=), ignored when no row can have it (ids in
    URL paths are bounded by the `int` converter, extensions.IdConverter)."""
    value = request.args.get("before", type=int)
    return value if value is not None and 0 < value <= ID_MAX + 1 else None


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form: Any, field: Any) -> None:
    """A text field's value holds no C0 control character but tab, newline and CR (NUL first:
    PostgreSQL refuses it). Goes after Optional() and DataRequired(), which clear earlier errors."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(MESSAGES["control_characters"])


class RowForm(Form):
    """A row of a FieldList (a stop, a spot): no CSRF token of its own, and WTForms' own messages
    ("Not a valid datetime value.") in the page's language, as in a FlaskForm."""

    class Meta:
        def get_translations(self, form: Form) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return wtforms_translations


def vocabulary_choices(vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """(code, label in the page's language) for a SelectField."""
    return choices(vocabulary)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()], filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


# --- Projects -----------------------------------------------------------------------------------


def _insee_code(form: FlaskForm, field: StringField) -> None:
    if field.data and not project_service.is_insee_code(field.data):
        raise ValidationError(
            _l("An INSEE code has 5 characters: 5 digits, or 2A or 2B then 3 digits in Corsica.")
        )


def _timezone(form: FlaskForm, field: StringField) -> None:
    if field.data and not project_service.is_timezone(field.data):
        raise ValidationError(
            _l("Unknown time zone: write it like Europe/Paris or America/Cayenne.")
        )


def _retention(form: FlaskForm, field: IntegerField) -> None:
    if retention.months_problem(field.data):
        field.errors[:] = []  # "Not a valid integer value." says less than the sentence below
        raise StopValidation(
            message(Problem("retention_range", min=retention.MIN_MONTHS, max=retention.MAX_MONTHS))
        )


class ProjectForm(FlaskForm):
    name = StringField(
        _l("Name of the project"),
        validators=[DataRequired(), Length(max=200), no_control_characters],
        filters=[strip],
        description=_l("For example: Place du Canada."),
    )
    commune = StringField(
        _l("Commune"),
        validators=[DataRequired(), Length(max=120), no_control_characters],
        filters=[strip],
    )
    insee_code = StringField(
        _l("INSEE code of the commune"),
        validators=[Optional(), _insee_code],
        filters=[project_service.normalize_insee_code],
        description=_l("5 characters, for example 59606 for Valenciennes, 2A004 for Ajaccio."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000), no_control_characters],
        filters=[strip],
    )
    phase = SelectField(_l("Phase"), default="diagnostic")
    timezone = StringField(
        _l("Time zone"),
        validators=[DataRequired(), _timezone],
        filters=[strip],
        default=project_service.DEFAULT_TIMEZONE,
        description=_l("Times of the project are shown in this time zone."),
    )
    retention_months = IntegerField(
        _l("Data kept (months)"),
        # NumberRange only gives the input its min and max: _retention words the refusal.
        validators=[_retention, NumberRange(retention.MIN_MONTHS, retention.MAX_MONTHS)],
        default=retention.DEFAULT_MONTHS,
        description=_l(
            "The participants' spots, photos, routes and answers are erased this many months "
            "after the project closes (archived, or else the end of its last event)."
        ),
    )
    perimeter_file = FileField(
        _l("GeoJSON file of the perimeter"),
        description=_l(
            "A Polygon or MultiPolygon in longitude and latitude (WGS84), one feature or a "
            "collection. A file replaces the shape drawn on the map."
        ),
    )
    # What the map drew (GeoJSON), filled in by static/planner/perimeter.js; also the shape of a
    # file already read, when the page comes back (a refusal, a question): then
    # perimeter_origin says "file" (for the audit log) until the map changes it.
    perimeter_drawn = HiddenField()
    perimeter_origin = HiddenField()
    # Check boxes shown with the questions of domain.perimeter_checks; each is worth its
    # perimeter's digest, so that it answers for the very shape the page showed.
    perimeter_confirmed = StringField(_l("I confirm this perimeter"))
    perimeter_swap = StringField(_l("Swap latitude and longitude"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phase.choices = vocabulary_choices(PROJECT_PHASES)
        self.perimeter: dict[str, Any] | None = None
        self.perimeter_source = "map"
        # False when the request said nothing of the perimeter (no file, no drawn field at all):
        # an edit then leaves it as it is. An empty drawn field means "no perimeter".
        self.perimeter_given = False

    def validate_perimeter_file(self, field: FileField) -> None:
        """Read the perimeter: the uploaded file if any, else the drawn shape (may be none)."""
        upload = field.data
        if upload is not None and getattr(upload, "filename", ""):
            raw: str | bytes = upload.read()
            self.perimeter_source = "file"
        elif self.perimeter_drawn.raw_data:
            raw = self.perimeter_drawn.data or ""
            if self.perimeter_origin.data == "file":
                self.perimeter_source = "file"
        else:
            return
        self.perimeter_given = True
        if isinstance(raw, str) and not raw.strip():
            self.perimeter = None
            return
        try:
            self.perimeter = perimeter_geometry(raw)
        except PerimeterError as exc:
            raise ValidationError(localized_message(exc.code, exc.params)) from exc
        # "Swap latitude and longitude", ticked for this very shape: save the swapped one.
        if self.perimeter_swap.data and self.perimeter_swap.data == self.perimeter_digest:
            self.perimeter = swap_axes(self.perimeter)

    @property
    def perimeter_digest(self) -> str:
        """A short digest of the perimeter read (the value of its check boxes)."""
        text = json.dumps(self.perimeter, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def perimeter_confirmed_here(self) -> bool:
        """Whether "I confirm this perimeter" was ticked for the perimeter read."""
        return bool(self.perimeter_confirmed.data) and (
            self.perimeter_confirmed.data == self.perimeter_digest
        )

    def project_data(self) -> project_service.ProjectData:
        return project_service.ProjectData(
            name=self.name.data,
            commune=self.commune.data,
            insee_code=self.insee_code.data,
            description=self.description.data or "",
            phase=self.phase.data,
            timezone=self.timezone.data,
            retention_months=self.retention_months.data,
        )


def _localized(value: Any) -> Any:
    """A number in the page's language (20 000, 50,357); a region code as its words."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_decimal(value, format="#,##0.#####")


def localized_message(code: str, params: dict[str, Any]) -> str:
    """The sentence of a perimeter's refusal or question, numbers in the page's language."""
    shown = {key: _localized(value) for key, value in params.items()}
    if "region" in shown:
        shown["region"] = message(Problem(f"region_{shown['region']}"))
    return message(Problem(code, **shown))


def question_sentence(question: Question) -> str:
    return localized_message(question.code, question.params)


# --- Accounts -----------------------------------------------------------------------------------


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=accounts.MIN_PASSWORD_LENGTH, max=accounts.MAX_PASSWORD_LENGTH),
        ],
        description=_l(
            "At least %(n)s characters. Give it to the person by another channel than e-mail.",
            n=accounts.MIN_PASSWORD_LENGTH,
        ),
    )


class UserEditForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=120), no_control_characters],
        filters=[strip],
    )
    role = SelectField(_l("Role"), default="planner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = vocabulary_choices(USER_ROLES)


class UserCreateForm(UserEditForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    password = _password_field(_l("Initial password"))

    def new_user(self) -> accounts.NewUser:
        return accounts.NewUser(
            email=self.email.data,
            name=self.name.data or "",
            role=self.role.data,
            password=self.password.data,
        )


class PasswordForm(FlaskForm):
    password = _password_field(_l("New password"))


class MembershipForm(FlaskForm):
    project_id = SelectField(_l("Project"), coerce=int, validators=[DataRequired()])
    # None given: the account's own role (services.accounts.default_member_role).
    role = SelectField(_l("Role in this project"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = vocabulary_choices(MEMBER_ROLES)


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role in this project"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = vocabulary_choices(MEMBER_ROLES)


class DeleteProjectForm(FlaskForm):
    confirm_name = StringField(
        _l("Type the project's name to confirm"),
        validators=[DataRequired(), no_control_characters],
    )


# --- The tender annex ---------------------------------------------------------------------------


class AnnexChoicesForm(FlaskForm):
    """What the annex may show of a finding's spots: the comments to quote, the photos, and for
    a harassment spot the planner's confirmation that every bidder will read it. The choices are
    the finding's own (set by the view): anything else is refused as not a valid choice."""

    quote = SelectMultipleField(_l("Quote this comment"), coerce=int, validate_choice=True)
    photo = SelectMultipleField(_l("Show this photo"), coerce=int, validate_choice=True)
    confirm_harassment = SelectMultipleField(
        _l("I know that this harassment report will be read by every bidding company"),
        coerce=int,
        validate_choice=True,
    )

    def __init__(self, *args: Any, spots: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spots = list(spots)
        self.quote.choices = [(s.facts.id, s.facts.reference) for s in spots if s.facts.comment]
        self.photo.choices = [(p.id, s.facts.reference) for s in spots for p in s.photos]
        self.confirm_harassment.choices = [
            (s.facts.id, s.facts.reference) for s in spots if s.harassment
        ]
        self._harassment = {s.facts.id for s in spots if s.harassment}
        self._photo_spot = {p.id: s.facts.id for s in spots for p in s.photos}

    def validate_confirm_harassment(self, field: SelectMultipleField) -> None:
        chosen = set(self.quote.data or ()) | {
            self._photo_spot[p] for p in self.photo.data or () if p in self._photo_spot
        }
        if (chosen & self._harassment) - set(field.data or ()):
            raise ValidationError(
                _l(
                    "A harassment report goes into the annex only if you tick, for that report, "
                    "that every bidding company will read it."
                )
            )


def award_weight_field_name(code: str) -> str:
    return f"weight_{code}"


class AwardWeightsForm(FlaskForm):
    """The weights of the award criteria, in percent of the tender's marks: one whole number
    per criterion of the clause library, adding up to at most 100 — the rest goes to the
    tender's other criteria, price first (domain.annex.weights_problem). "Back to the
    suggested weights" forgets the planner's."""

    reset = StringField()

    @classmethod
    def for_criteria(cls, criteria: Any, weights: dict[str, int], *args: Any, **kwargs: Any):
        """A form class with one field per criterion (WTForms fields are class attributes)."""

        class Form(cls):  # type: ignore[valid-type, misc]
            pass

        for criterion in criteria:
            setattr(
                Form,
                award_weight_field_name(criterion.code),
                IntegerField(
                    criterion.title,
                    validators=[InputRequired(), NumberRange(WEIGHT_MIN, WEIGHT_MAX)],
                    default=weights.get(criterion.code, criterion.default_weight),
                ),
            )
        form = Form(*args, **kwargs)
        form.codes = [c.code for c in criteria]
        return form

    def weights(self) -> dict[str, int]:
        return {code: self[award_weight_field_name(code)].data for code in self.codes}

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.reset.data:
            return True
        problem = weights_problem(self.codes, self.weights())
        if problem == "weights_total":
            self.form_errors.append(
                str(
                    _l(
                        "These weights add up to %(total)s: more than 100.",
                        total=sum(self.weights().values()),
                    )
                )
            )
            return False
        return problem is None


class ExportForm(FlaskForm):
    """A data export or the photos of the spots the page's filters keep (walkapp.export_jobs):
    the filter travels in hidden fields of the page, read by services.observation_filter."""

    format = RadioField(
        _l("File"),
        choices=[
            SelectChoice(
                "xlsx", _l("Spreadsheet (XLSX): every layer, one sheet each, with definitions")
            ),
            SelectChoice("csv", _l("Table (CSV)")),
            SelectChoice("geojson", _l("Map layer for QGIS (GeoJSON)")),
            SelectChoice("zip", _l("The photos (ZIP), named by spot reference")),
        ],
        default="xlsx",
    )
    layer = SelectField(
        _l("Layer (CSV and GeoJSON)"),
        choices=[
            SelectChoice("spots", _l("Spots")),
            SelectChoice("findings", _l("Findings")),
            SelectChoice("stops", _l("Stops")),
            SelectChoice("perimeter", _l("Perimeter")),
            SelectChoice("zones", _l("Zones")),
        ],
        default="spots",
    )
    french = BooleanField(_l("CSV for a French spreadsheet (; between columns, decimal commas)"))
    lambert93 = BooleanField(_l("Add Lambert-93 X/Y columns (EPSG:2154)"))
    language = SelectField(
        _l("Language of the labels"),
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        default="fr",
    )


class AnswersExportForm(FlaskForm):
    """The answers to one of the project's questionnaires (the view sets the choices: the
    project's own, newest first; any other is not a valid choice)."""

    questionnaire = SelectField(_l("Questionnaire"), coerce=int, validate_choice=True)
    format = RadioField(
        _l("File"),
        choices=[
            SelectChoice("xlsx", _l("Spreadsheet (XLSX): the answers, the questions, definitions")),
            SelectChoice("csv", _l("Table (CSV)")),
        ],
        default="xlsx",
    )
    language = SelectField(
        _l("Language of the labels"),
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        default="fr",
    )
    french = BooleanField(_l("CSV for a French spreadsheet (; between columns, decimal commas)"))


class AnnexDocxForm(FlaskForm):
    """The tender annex as a Word document, built in the background."""

    language = SelectField(
        _l("Language of the annex"),
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        default="fr",
    )


class PublishForm(FlaskForm):
    """Publish the residents' page (planner/publication.py): how to take part, and whether the
    quotes chosen for the tender annex appear (off by default; never a harassment report's)."""

    contact = TextAreaField(
        _l("How to take part: a contact"),
        description=_l(
            "An e-mail address, a phone number or a web page of the authority. Never the date "
            "or the meeting point of a coming walk."
        ),
        filters=[strip],
        validators=[Optional(), Length(max=500), no_control_characters],
    )
    include_quotes = BooleanField(_l("Include the quotes chosen for the tender annex"))


class UnpublishForm(FlaskForm):
    """Take the residents' page down (its address then answers 404)."""


REPORT_PERIOD_PROBLEMS = {
    "dates_missing": _l("Give the first and the last day of the period."),
    "dates_reversed": _l("The last day comes before the first."),
    "period_too_long": _l("A report covers at most three years."),
}


class ReportForm(FlaskForm):
    """The annual monitoring report (planner/report.py): a calendar year (the years with
    events: the view sets `year.choices`) or the days chosen, a format and a language."""

    period = RadioField(
        _l("Period"),
        choices=[
            SelectChoice("year", _l("A calendar year")),
            SelectChoice("dates", _l("The dates I choose")),
        ],
        default="year",
    )
    year = SelectField(_l("Year"), choices=[])  # the view sets the years with events
    first_day = DateField(_l("First day"), validators=[Optional()])
    last_day = DateField(_l("Last day (included)"), validators=[Optional()])
    format = RadioField(
        _l("File"),
        choices=[
            SelectChoice("docx", _l("Word document (DOCX)")),
            SelectChoice("html", _l("Web page to keep or print (HTML)")),
        ],
        default="docx",
    )
    language = SelectField(
        _l("Language of the report"),
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        default="fr",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if self.period.data == "dates":
            # The year select is not the period then: any value it holds is ignored.
            self.year.validate_choice = False
        ok = super().validate(extra_validators)
        if ok and self.period.data == "dates":
            from ..domain.report import period_problem

            problem = period_problem(self.first_day.data, self.last_day.data)
            if problem is not None:
                self.last_day.errors.append(str(REPORT_PERIOD_PROBLEMS[problem]))
                return False
        return ok


# --- Zones (planner/zones.py) ---------------------------------------------------------------------


def _zone_name_field() -> StringField:
    return StringField(
        _l("Name of the zone"),
        filters=[strip],
        validators=[DataRequired(), Length(max=120), no_control_characters],
        description=_l("As people say it: « le square », « l'arrêt de bus »."),
    )


class ZoneForm(FlaskForm):
    """A new zone: its name and its outline, drawn on the map (static/planner/zones.js fills
    `zone_drawn`) or given as a GeoJSON file (which wins)."""

    name = _zone_name_field()
    zone_file = FileField(
        _l("Or a GeoJSON file of the zone"),
        description=_l("A Polygon or MultiPolygon in longitude and latitude (WGS84)."),
    )
    zone_drawn = HiddenField()

    def geometry_data(self) -> str | bytes:
        """What to clean as the zone's geometry: the file if one was chosen, else the drawing."""
        upload = self.zone_file.data
        if upload is not None and getattr(upload, "filename", ""):
            return upload.read()
        return self.zone_drawn.data or ""


class ZoneRenameForm(FlaskForm):
    name = _zone_name_field()


class ZoneRedrawForm(FlaskForm):
    """A zone's new outline (drawn on the map of its row, or a file)."""

    zone_file = FileField(_l("GeoJSON file of the zone"))
    zone_drawn = HiddenField()

    geometry_data = ZoneForm.geometry_data


class ZoneMoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])


class ZoneDeleteForm(FlaskForm):
    """Delete a zone (its spots detached, then re-attached to another zone holding them)."""


class ZoneImportForm(FlaskForm):
    zones_file = FileField(
        _l("GeoJSON file of the zones (QGIS: Export, GeoJSON, WGS84)"),
        description=_l(
            "A FeatureCollection of polygons, each with a “name” property. A zone named like an "
            "existing one redraws it; the others are added at the end."
        ),
    )
