"""A project's appropriation questionnaire: the page that documents the index (the README links
it), lists the questionnaire in use item by item, and holds the planner's forms — the dimensions'
weights, an XLSForm to import (or the built-in questionnaire again), and the loop closed: one
re-check item drafted per finding, worded and published by the planner.

Reading is READ and writes nothing (the built-in questionnaire is shown from the code until a
first change makes the project's copy); every change is EDIT_PROJECT, as on the zones page, and
goes through services.questionnaires (audited there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, FieldList, FormField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..access import may, project_or_404
from ..domain import appropriation as items_domain
from ..domain import xlsform
from ..domain.intervals import BCA_MAX_N
from ..domain.permissions import EDIT_PROJECT, READ
from ..domain.thresholds import MIN_PEOPLE_FOR_FIGURE
from ..error_messages import flash_refusal, messages
from ..services import appropriation, zones
from ..services import questionnaires as service
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import RowForm, no_control_characters, strip

XLSFORM_MAX_BYTES = 2 * 1024 * 1024
# The upload's body: the file and the form's few fields. A larger body is refused unread (413).
XLSFORM_BODY_LIMIT = XLSFORM_MAX_BYTES + 16 * 1024
RESTORE = "restore"  # the prefix of the built-in form's fields (the import form has a `confirm`)
RESAMPLES = 2000  # domain.intervals.mean_interval's default, which the figures use

DIMENSION_LABELS = {code: _l(name) for code, name in items_domain.DIMENSION_NAMES.items()}
DIMENSION_HINTS = {
    "use": _l("How often she comes here."),
    "stay": _l("Whether she stops here, or only passes through."),
    "comfort_safety": _l(
        "Whether she feels safe walking alone here by day and after dark, whether she avoids "
        "the place or gives up coming, and the Place Standard's “Do I feel safe here?”."
    ),
    "legitimacy": _l(
        "Whether she feels she belongs here (« je me sens à ma place ici »), and the Place "
        "Standard's “identity and belonging”."
    ),
    "night_use": _l("Whether she comes here after dark."),
}
TYPE_LABELS = {
    "text": _l("Free text"),
    "integer": _l("Whole number"),
    "decimal": _l("Number"),
    "select_one": _l("One choice"),
    "select_multiple": _l("Several choices"),
    "range": _l("Scale"),
    "note": _l("Note (no answer)"),
    "geopoint": _l("Position on a map"),
    "image": _l("Photo (not asked yet)"),
}
ORIGIN_LABELS = {
    "built_in": _l("walkapp's built-in questionnaire"),
    "xlsform": _l("Imported from an XLSForm"),
}


# --- Forms ---------------------------------------------------------------------------------------


def _weight_field(dimension: str) -> StringField:
    return StringField(
        DIMENSION_LABELS[dimension],
        filters=[strip],
        validators=[Optional(), Length(max=20)],
    )


def _number(text: str) -> float | None:
    """A weight as people type it: "1.5" or "1,5"."""
    try:
        value = float(text.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class WeightsForm(FlaskForm):
    """The dimensions' weights: a number from 0 to 100 each, at least one above 0; a blank box
    counts as 1, every box blank is equal weights."""

    weight_use = _weight_field("use")
    weight_stay = _weight_field("stay")
    weight_comfort_safety = _weight_field("comfort_safety")
    weight_legitimacy = _weight_field("legitimacy")
    weight_night_use = _weight_field("night_use")

    def fields_by_dimension(self) -> list[tuple[str, StringField]]:
        return [(dim, self[f"weight_{dim}"]) for dim in items_domain.DIMENSIONS]

    def validate(self, extra_validators=None) -> bool:
        self.weights: dict[str, float] | None = None
        if not super().validate(extra_validators):
            return False
        typed: dict[str, float] = {}
        for dim, f in self.fields_by_dimension():
            if not f.data:
                continue
            value = _number(f.data)
            if value is None or not 0 <= value <= items_domain.WEIGHT_MAX:
                f.errors.append(_("A number from 0 to %(max)s.", max=int(items_domain.WEIGHT_MAX)))
            else:
                typed[dim] = value
        if any(f.errors for _dim, f in self.fields_by_dimension()):
            return False
        if not typed:
            return True  # every box blank: equal weights
        weights = {dim: typed.get(dim, 1.0) for dim in items_domain.DIMENSIONS}
        if not any(weights.values()):
            self.form_errors.append(_("At least one weight must be above 0."))
            return False
        self.weights = weights
        return True


class ConfirmedForm(FlaskForm):
    """A change of the questionnaire in use, confirmed once answers have arrived for it."""

    confirm = BooleanField(
        _l(
            "I understand: the figures and the before/after comparison will count only the "
            "answers to the new questionnaire."
        )
    )


class ImportForm(ConfirmedForm):
    xlsform_file = FileField(
        _l("XLSForm file (.xlsx or .xls, at most 2 MB)"),
        description=_l(
            "A form written for KoboToolbox or ODK: the “survey” sheet, the “choices” sheet, and "
            "the “settings” sheet for its title."
        ),
    )


class DraftForm(FlaskForm):
    """Draft the re-check items of the findings that have none: only the CSRF token."""


class RecheckRowForm(RowForm):
    id = IntegerField(validators=[InputRequired()])
    prompt_fr = TextAreaField(
        _l("Wording in French"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(max=items_domain.MAX_RECHECK_PROMPT),
            no_control_characters,
        ],
    )
    prompt_en = TextAreaField(
        _l("Wording in English"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(max=items_domain.MAX_RECHECK_PROMPT),
            no_control_characters,
        ],
    )
    published = BooleanField(_l("Published: asked of respondents"))


class RechecksForm(FlaskForm):
    rechecks = FieldList(FormField(RecheckRowForm))


# --- What the page shows -------------------------------------------------------------------------


def _language() -> str:
    return "fr" if str(get_locale()).startswith("fr") else "en"


def _score(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, format="0.##")


def _plain(value: float) -> str:
    return format_decimal(value, format="0.##")


def scale_rule(span: dict) -> str:
    """How a scale's answer x is scored: "(x − 1) / 6" for 1 to 7."""
    start, end = span["start"], span["end"]
    width = end - start
    top = "x" if start == 0 else f"(x − {_plain(start)})"
    return top if width == 1 else f"{top} / {_plain(width)}"


def _condition_words(condition: dict, numbers: dict[str, int], labels: dict) -> str:
    code, op, value = condition["q"], condition["op"], condition["value"]
    number = numbers.get(code, code)
    shown = labels.get(code, {}).get(value, value)
    if op == "selected":
        return _(
            "“%(value)s” is among the answers to question %(number)s", value=shown, number=number
        )
    if value == "":
        if op == "=":
            return _("question %(number)s is not answered", number=number)
        return _("question %(number)s is answered", number=number)
    if op == "=":
        return _("the answer to question %(number)s is “%(value)s”", number=number, value=shown)
    return _("the answer to question %(number)s is not “%(value)s”", number=number, value=shown)


def relevant_words(relevant: list | None, numbers: dict[str, int], labels: dict) -> str | None:
    """An item's condition in words, in the page's language; None: always asked."""
    if not relevant:
        return None
    # Words of their own, not inside f-strings: the catalog's extractor would miss them.
    and_, or_ = " " + _("and") + " ", " " + _("or") + " "
    terms = [
        and_.join(_condition_words(c, numbers, labels) for c in conjunction)
        for conjunction in relevant
    ]
    return _("Asked only if %(condition)s.", condition=or_.join(terms))


@dataclass
class ItemView:
    number: int
    code: str
    prompt_fr: str
    prompt_en: str
    kind: str
    source: str
    dimension: str | None
    choices: list[tuple[str, str]]  # (label in the page's language, score)
    rule: str | None  # a scale's scoring rule
    condition: str | None
    required: bool


def item_views(data: list[dict]) -> list[ItemView]:
    lang = _language()
    numbers = {item["code"]: n for n, item in enumerate(data, start=1)}
    labels = {
        item["code"]: {c["code"]: c["label"].get(lang) or c["code"] for c in item["choices"] or ()}
        for item in data
    }
    views = []
    for n, item in enumerate(data, start=1):
        dimension = item.get("dimension")
        span = item.get("range")
        views.append(
            ItemView(
                number=n,
                code=item["code"],
                prompt_fr=item["prompt"]["fr"],
                prompt_en=item["prompt"]["en"],
                kind=str(TYPE_LABELS.get(item["type"], item["type"])),
                source=item.get("source") or "",
                dimension=str(DIMENSION_LABELS[dimension]) if dimension else None,
                choices=[
                    (c["label"].get(lang) or c["code"], _score(c.get("score")) if dimension else "")
                    for c in item.get("choices") or ()
                ],
                rule=scale_rule(span) if span and dimension else None,
                condition=relevant_words(item.get("relevant"), numbers, labels),
                required=bool(item.get("required")),
            )
        )
    return views


@dataclass
class RecheckRow:
    """A re-check item on the page: its finding and zone, and the wording shown (as typed, when
    the page comes back refused)."""

    index: int
    id: int
    finding_title: str
    zone_name: str | None
    prompt_fr: str
    prompt_en: str
    published: bool
    errors: dict[str, list[str]] = field(default_factory=dict)


def recheck_rows(questionnaire, posted: RechecksForm | None = None) -> list[RecheckRow]:
    if questionnaire is None:
        return []
    names = {z.id: z.name for z in zones.list_zones(questionnaire.project_id)}
    typed = {}
    for entry in posted.rechecks if posted is not None else ():
        if isinstance(entry.form.id.data, int):
            typed.setdefault(entry.form.id.data, entry.form)
    rows = []
    for index, recheck in enumerate(questionnaire.rechecks):
        row = RecheckRow(
            index=index,
            id=recheck.id,
            finding_title=recheck.finding.title,
            zone_name=names.get(recheck.zone_id),
            prompt_fr=recheck.prompt_fr,
            prompt_en=recheck.prompt_en,
            published=recheck.published,
        )
        form = typed.get(recheck.id)
        if form is not None:
            row.prompt_fr = form.prompt_fr.data or ""
            row.prompt_en = form.prompt_en.data or ""
            row.published = bool(form.published.data)
            row.errors = {
                name: list(form[name].errors)
                for name in ("prompt_fr", "prompt_en")
                if form[name].errors
            }
        rows.append(row)
    return rows


def problem_sentence(problem: xlsform.Problem) -> tuple[str, str]:
    """(where, the importer's message): « Feuille « survey », ligne 7, colonne « relevant »
    (E7) » and pyxform's or the importer's own English words, kept as they are."""
    parts = [_("Sheet “%(sheet)s”", sheet=problem.sheet) if problem.sheet else _("The file")]
    if problem.row:
        parts.append(_("row %(row)s", row=problem.row))
    if problem.column:
        column = _("column “%(column)s”", column=problem.column)
        parts.append(f"{column} ({problem.cell})" if problem.cell else column)
    return ", ".join(parts), problem.message


def _weights_form(questionnaire) -> WeightsForm:
    form = WeightsForm(formdata=None)
    weights = questionnaire.weights if questionnaire else None
    for dim, f in form.fields_by_dimension():
        f.data = _plain(weights[dim]) if weights and dim in weights else ""
    return form


def _page(
    project,
    *,
    weights_form: WeightsForm | None = None,
    import_form: ImportForm | None = None,
    restore_form: ConfirmedForm | None = None,
    rechecks_form: RechecksForm | None = None,
    refusals: list[tuple[str, str]] | None = None,
    status: int = 200,
):
    current = appropriation.current_questionnaire(project.id)
    data = current.items if current else items_domain.built_in_data()
    answers = service.answer_count(current)
    return (
        render_template(
            "planner/questionnaire.html",
            project=project,
            questionnaire=current,
            origin=str(ORIGIN_LABELS.get(current.origin if current else "built_in", "")),
            items=item_views(data),
            asked_images=any(item["type"] == "image" for item in data),
            weights=current.weights if current else None,
            answers=answers,
            rechecks=recheck_rows(current, rechecks_form),
            undrafted=len(service.undrafted(project.id, current)),
            can_edit=may(project.id, EDIT_PROJECT),
            weights_form=weights_form or _weights_form(current),
            import_form=import_form or ImportForm(formdata=None),
            restore_form=restore_form or ConfirmedForm(formdata=None, prefix=RESTORE),
            refusals=refusals or [],
            dimensions=[
                (str(DIMENSION_LABELS[d]), str(DIMENSION_HINTS[d]), d)
                for d in items_domain.DIMENSIONS
            ],
            dimension_labels={d: str(label) for d, label in DIMENSION_LABELS.items()},
            min_dimensions=items_domain.MIN_DIMENSIONS,
            dimension_count=len(items_domain.DIMENSIONS),
            min_people=MIN_PEOPLE_FOR_FIGURE,
            bca_max=BCA_MAX_N,
            resamples=RESAMPLES,
            max_rechecks=appropriation.MAX_RECHECKS,
            max_prompt=items_domain.MAX_RECHECK_PROMPT,
            weight_max=int(items_domain.WEIGHT_MAX),
        ),
        status,
    )


def _back(project_id: int, anchor: str = ""):
    return redirect(url_for("planner.questionnaire", project_id=project_id) + anchor, code=303)


# --- Views ---------------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/questionnaire")
@login_required
def questionnaire(project_id: int):
    project = project_or_404(project_id, READ)
    return _page(project)


@bp.post("/projects/<int:project_id>/questionnaire/weights")
@login_required
def questionnaire_weights(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = WeightsForm()
    if not form.validate_on_submit():
        return _page(project, weights_form=form, status=422)
    try:
        changed = service.set_weights(project.id, form.weights, user_id=current_user.id)
    except ServiceError as exc:
        form.form_errors.extend(messages(exc).values())
        return _page(project, weights_form=form, status=422)
    if changed:
        flash(_("The weights are saved. The figures are being computed again."), "ok")
    else:
        flash(_("Nothing changed."), "info")
    return _back(project.id, "#weights")


def _confirm_refused(form: ConfirmedForm, exc: ServiceError) -> bool:
    """Put a "confirm first" refusal on the form's check box; False for any other refusal."""
    if "confirm" not in exc.problems:
        return False
    form.confirm.errors = [*form.confirm.errors, messages(exc)["confirm"]]
    return True


@bp.post("/projects/<int:project_id>/questionnaire/import")
@login_required
def questionnaire_import(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    request.max_content_length = XLSFORM_BODY_LIMIT
    form = ImportForm()
    upload = form.xlsform_file.data if form.validate_on_submit() else None
    if upload is None or not getattr(upload, "filename", ""):
        form.xlsform_file.errors = [
            *form.xlsform_file.errors,
            _("Choose an XLSForm file (.xlsx or .xls)."),
        ]
        return _page(project, import_form=form, status=422)
    data = upload.read(XLSFORM_MAX_BYTES + 1)
    if len(data) > XLSFORM_MAX_BYTES:
        form.xlsform_file.errors = [
            _(
                "This file weighs more than %(max)s MB: the form was not imported. An XLSForm "
                "of a short questionnaire weighs a few dozen KB; remove its pictures or other "
                "sheets.",
                max=XLSFORM_MAX_BYTES // 2**20,
            )
        ]
        return _page(project, import_form=form, status=422)
    try:
        imported = service.import_xlsform(
            project.id,
            data,
            upload.filename,
            confirmed=bool(form.confirm.data),
            user_id=current_user.id,
        )
    except xlsform.XLSFormRefused as refused:
        return _page(
            project,
            import_form=form,
            refusals=[problem_sentence(p) for p in refused.problems],
            status=422,
        )
    except ServiceError as exc:
        if not _confirm_refused(form, exc):
            flash_refusal(exc)
        return _page(project, import_form=form, status=422)
    flash(
        _(
            "The form “%(title)s” is imported: it is the questionnaire in use.",
            title=imported.title,
        ),
        "ok",
    )
    return _back(project.id)


@bp.post("/projects/<int:project_id>/questionnaire/built-in")
@login_required
def questionnaire_built_in(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = ConfirmedForm(prefix=RESTORE)
    if not form.validate_on_submit():
        return _page(project, restore_form=form, status=422)
    try:
        made = service.restore_built_in(
            project.id, confirmed=bool(form.confirm.data), user_id=current_user.id
        )
    except ServiceError as exc:
        if not _confirm_refused(form, exc):
            flash_refusal(exc)
        return _page(project, restore_form=form, status=422)
    if made is None:
        flash(_("The questionnaire in use is already the built-in one."), "info")
    else:
        flash(_("The built-in questionnaire is the one in use again."), "ok")
    return _back(project.id)


@bp.post("/projects/<int:project_id>/questionnaire/rechecks/draft")
@login_required
def questionnaire_draft_rechecks(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    if not DraftForm().validate_on_submit():
        return _page(project, status=422)
    drafted = service.draft_rechecks(project.id, user_id=current_user.id)
    if drafted:
        flash(
            _(
                "Follow-up questions drafted: %(n)s. Reword them if needed, then publish them.",
                n=len(drafted),
            ),
            "ok",
        )
    else:
        flash(_("Every finding already has its follow-up question."), "info")
    return _back(project.id, "#rechecks")


@bp.post("/projects/<int:project_id>/questionnaire/rechecks")
@login_required
def questionnaire_rechecks(project_id: int):
    project = project_or_404(project_id, EDIT_PROJECT)
    form = RechecksForm()
    if not form.validate_on_submit():
        if any(entry.form.id.errors for entry in form.rechecks):
            flash(_("These follow-up questions are not those of the page: reload it."), "error")
        return _page(project, rechecks_form=form, status=422)
    edits = [
        service.RecheckEdit(
            recheck_id=entry.form.id.data,
            prompt_fr=entry.form.prompt_fr.data,
            prompt_en=entry.form.prompt_en.data,
            published=bool(entry.form.published.data),
        )
        for entry in form.rechecks
    ]
    try:
        changed = service.save_rechecks(project.id, edits, user_id=current_user.id)
    except ServiceError as exc:
        flash_refusal(exc)
        return _page(project, rechecks_form=form, status=422)
    if changed:
        flash(_("The follow-up questions are saved."), "ok")
    else:
        flash(_("Nothing changed."), "info")
    return _back(project.id, "#rechecks")
