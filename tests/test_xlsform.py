"""XLSForm import of custom questionnaires (walkapp/domain/xlsform.py, issue 18): what imports,
into which item dicts, and what is refused with its sheet, row and column."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from walkapp.domain.xlsform import (
    SUPPORTED_TYPES,
    ImportedForm,
    Problem,
    XLSFormRefused,
    import_xlsform,
)

SAMPLE_DIR = Path(__file__).parent / "data" / "xlsform"
FR, EN = "label::French (fr)", "label::English (en)"
YES_NO = [
    {"list_name": "yn", "name": "yes", FR: "Oui", EN: "Yes", "walkapp::score": 1},
    {"list_name": "yn", "name": "no", FR: "Non", EN: "No", "walkapp::score": 0},
]


def xlsx(survey: list[dict], choices: list[dict] | None = None, settings: dict | None = None):
    """An XLSForm workbook: each sheet's rows as dicts, the header being their keys in order
    (an empty dict is an empty row)."""
    book = Workbook()
    sheets = [
        ("survey", survey),
        ("choices", choices),
        ("settings", [settings] if settings else None),
    ]
    first = True
    for name, rows in sheets:
        if rows is None:
            continue
        ws = book.active if first else book.create_sheet(name)
        ws.title, first = name, False
        headers = list(dict.fromkeys(key for row in rows for key in row))
        ws.append(headers)
        for row in rows:
            ws.append([row.get(header) for header in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def q(type_: str, name: str, label: str | None = None, **columns) -> dict:
    """A survey row, labelled in French and English ("<label>" / "<label> (en)")."""
    label = label or name.capitalize()
    row = {"type": type_, "name": name, FR: label, EN: f"{label} (en)"}
    row.update({key.replace("__", "::"): value for key, value in columns.items()})
    return row


def item(code: str, type_: str, row: int, **fields) -> dict:
    """The expected item dict of the questionnaire format, for a row made by `q`."""
    label = fields.pop("label", code.capitalize())
    expected = {
        "code": code,
        "type": type_,
        "prompt": {"fr": label, "en": f"{label} (en)"},
        "hint": None,
        "source": "",
        "dimension": None,
        "choices": [],
        "range": None,
        "relevant": None,
        "required": False,
        "row": row,
    }
    expected.update(fields)
    return expected


def refused(data: bytes, filename: str = "form.xlsx") -> list[Problem]:
    with pytest.raises(XLSFormRefused) as caught:
        import_xlsform(data, filename)
    return caught.value.problems


def where(problems: list[Problem]) -> list[tuple]:
    return [(p.sheet, p.row, p.column) for p in problems]


YES_NO_CHOICES = [
    {"code": "yes", "label": {"fr": "Oui", "en": "Yes"}, "score": 1.0},
    {"code": "no", "label": {"fr": "Non", "en": "No"}, "score": 0.0},
]


def test_each_supported_type_imports_into_the_item_dicts():
    survey = [
        q("text", "comment", required="yes"),
        q("integer", "visits"),
        q("decimal", "hours"),
        q("select_one yn", "safe", walkapp__dimension="comfort_safety"),
        q("select_multiple yn", "both"),
        q("range", "score", parameters="start=0 end=10 step=2", walkapp__dimension="stay"),
        q("range", "half", parameters="start=0.5 end=2.5 step=0.5"),
        q("range", "default"),
        q("note", "thanks"),
        q("geopoint", "where"),
        q("image", "photo"),
    ]
    form = import_xlsform(xlsx(survey, YES_NO), "my form.xlsx")
    assert isinstance(form, ImportedForm)
    assert form.title == "my form"  # no settings sheet: the file's name
    assert form.languages == ("fr", "en")
    assert form.items == [
        item("comment", "text", 2, required=True),
        item("visits", "integer", 3),
        item("hours", "decimal", 4),
        item("safe", "select_one", 5, dimension="comfort_safety", choices=YES_NO_CHOICES),
        item("both", "select_multiple", 6, choices=YES_NO_CHOICES),
        item("score", "range", 7, dimension="stay", range={"start": 0, "end": 10, "step": 2}),
        item("half", "range", 8, range={"start": 0.5, "end": 2.5, "step": 0.5}),
        item("default", "range", 9, range={"start": 1, "end": 10, "step": 1}),  # ODK's defaults
        item("thanks", "note", 10),
        item("where", "geopoint", 11),
        item("photo", "image", 12),
    ]
    assert {i["type"] for i in form.items} == set(SUPPORTED_TYPES)


def test_relevant_becomes_an_or_of_ands_of_earlier_questions():
    survey = [
        q("select_one yn", "a"),
        q("text", "b"),
        q("select_multiple yn", "c"),
        q("integer", "d"),
        q("text", "e", relevant="${a} = 'yes' and ${b} != \"y\" or selected( ${c} , 'no' )"),
        q("text", "f", relevant="${d} = 3 or ${b} != ''"),
    ]
    items = import_xlsform(xlsx(survey, YES_NO), "f.xlsx").items
    assert items[4]["relevant"] == [
        [{"q": "a", "op": "=", "value": "yes"}, {"q": "b", "op": "!=", "value": "y"}],
        [{"q": "c", "op": "selected", "value": "no"}],
    ]
    assert items[5]["relevant"] == [
        [{"q": "d", "op": "=", "value": "3"}],
        [{"q": "b", "op": "!=", "value": ""}],
    ]


@pytest.mark.parametrize(
    ("label_columns", "settings", "languages", "prompt"),
    [
        ({"label::fr": "Bonjour"}, None, ("fr",), {"fr": "Bonjour", "en": "Bonjour"}),
        ({"label::English (en)": "Hello"}, None, ("en",), {"fr": "Hello", "en": "Hello"}),
        ({"label::Français": "Bonjour", "label::en-GB": "Hello"}, None, ("fr", "en"), None),
        ({"label": "Bonjour"}, None, ("fr",), {"fr": "Bonjour", "en": "Bonjour"}),
        (
            {"label": "Hi", "label::fr": "Salut"},
            {"default_language": "English (en)"},
            ("fr", "en"),
            {"fr": "Salut", "en": "Hi"},
        ),
        (
            {"label::fr": "Salut", "label::es": "Hola"},
            None,
            ("fr",),
            {"fr": "Salut", "en": "Salut"},
        ),
    ],
)
def test_labels_in_either_language_fill_both(label_columns, settings, languages, prompt):
    survey = [{"type": "text", "name": "greeting", **label_columns, "hint::en": "Say it"}]
    form = import_xlsform(xlsx(survey, settings=settings), "f.xlsx")
    assert form.languages == languages
    assert form.items[0]["prompt"] == (prompt or {"fr": "Bonjour", "en": "Hello"})
    assert form.items[0]["hint"] == {"fr": "Say it", "en": "Say it"}


def test_title_synonyms_required_and_metadata():
    survey = [
        {"type": "start", "name": "start"},
        {"type": "deviceid", "name": "deviceid"},
        q("string", "s", required="TRUE"),
        q("int", "i", required="1"),
        q("select one yn", "one", required="no"),
        q("select all that apply yn", "many", required="true()"),
        q("photo", "p"),
        {},  # an empty row is skipped, and the rows after it keep their numbers
        q("note", "n", required="yes"),  # a note is never answered
        {"type": "end", "name": "end"},
    ]
    form = import_xlsform(xlsx(survey, YES_NO, {"form_title": "Ma place"}), "f.xlsx")
    assert form.title == "Ma place"
    got = [(i["code"], i["type"], i["required"], i["row"]) for i in form.items]
    assert got == [
        ("s", "text", True, 4),
        ("i", "integer", True, 5),
        ("one", "select_one", False, 6),
        ("many", "select_multiple", True, 7),
        ("p", "image", False, 8),
        ("n", "note", False, 10),
    ]


REFUSALS = {
    "calculate": (
        [q("text", "a"), {"type": "calculate", "name": "c", "calculation": "1 + 1"}],
        ("survey", 3, "type"),
        "the type 'calculate' is not supported (text, integer",
    ),
    "group": (
        [{"type": "begin_group", "name": "g", FR: "G"}, q("text", "a"), {"type": "end_group"}],
        ("survey", 2, "type"),
        "groups are not supported",
    ),
    "repeat": (
        [
            q("text", "a"),
            {"type": "begin_repeat", "name": "r", FR: "R"},
            q("text", "b"),
            {"type": "end_repeat"},
        ],
        ("survey", 3, "type"),
        "repeats are not supported",
    ),
    "parentheses": (
        [q("select_one yn", "a"), q("text", "b", relevant="(${a} = 'yes')")],
        ("survey", 3, "relevant"),
        "parentheses are not supported",
    ),
    "function": (
        [q("select_multiple yn", "a"), q("text", "b", relevant="count-selected(${a}) = 2")],
        ("survey", 3, "relevant"),
        "the function 'count-selected()' is not supported",
    ),
    "greater than": (
        [q("integer", "a"), q("text", "b", relevant="${a} > 3")],
        ("survey", 3, "relevant"),
        "the operator '>' is not supported",
    ),
    "not": (
        [q("select_one yn", "a"), q("text", "b", relevant="not(${a} = 'yes')")],
        ("survey", 3, "relevant"),
        "the function 'not()' is not supported",
    ),
    "later question": (
        [q("text", "b", relevant="${a} = 'x'"), q("text", "a")],
        ("survey", 2, "relevant"),
        "'${a}' is not an earlier question (row 3)",
    ),
    "unknown question": (
        [q("text", "a"), q("text", "b", relevant="${zz} = 'x'")],
        ("survey", 3, "relevant"),
        "no question is named 'zz'",
    ),
    "itself": (
        [q("text", "a", relevant="${a} = 'x'")],
        ("survey", 2, "relevant"),
        "the question itself",
    ),
    "equals on a select_multiple": (
        [q("select_multiple yn", "a"), q("text", "b", relevant="${a} = 'yes'")],
        ("survey", 3, "relevant"),
        "use selected(${a}, 'yes')",
    ),
    "not a choice": (
        [q("select_one yn", "a"), q("text", "b", relevant="${a} = 'maybe'")],
        ("survey", 3, "relevant"),
        "'maybe' is not a choice of 'a'",
    ),
    "unquoted text": (
        [q("text", "a"), q("text", "b", relevant="${a} = yes")],
        ("survey", 3, "relevant"),
        "'yes' is not supported",
    ),
    "bad dimension": (
        [q("select_one yn", "a", walkapp__dimension="happiness")],
        ("survey", 2, "walkapp::dimension"),
        "the dimension 'happiness' is unknown (use, stay, comfort_safety, legitimacy, night_use)",
    ),
    "dimension on text": (
        [q("text", "a", walkapp__dimension="use")],
        ("survey", 2, "walkapp::dimension"),
        "the type text cannot be scored",
    ),
    "dimension without scores": (
        [q("select_one plain", "a", walkapp__dimension="use")],
        ("survey", 2, "walkapp::dimension"),
        "no choice of this select_one has a walkapp::score",
    ),
    "missing list name": (
        [q("text", "a"), q("select_one", "b")],
        ("survey", 3, "type"),
        "select_one needs a list name",
    ),
    "unknown list": (
        [q("select_multiple colours", "a")],
        ("survey", 2, "type"),
        "the list 'colours' is not on the choices sheet",
    ),
    "or_other": (
        [q("select_one yn or_other", "a")],
        ("survey", 2, "type"),
        "'or_other' is not supported",
    ),
    "constraint": (
        [q("integer", "a", constraint=". < 120")],
        ("survey", 2, "constraint"),
        "the column 'constraint' is not supported",
    ),
    "required expression": (
        [q("text", "a"), q("text", "b", required="${a} = 'x'")],
        ("survey", 3, "required"),
        "is not yes or no",
    ),
    "name walkapp cannot keep": (
        [q("text", "my-name")],
        ("survey", 2, "name"),
        "the name 'my-name' is not a valid code",
    ),
    "no label": (
        [{"type": "text", "name": "a", "label": None, "hint": "only a hint"}],
        ("survey", 2, "label"),
        "the question 'a' has no label",
    ),
    "no type": (
        [q("text", "a"), {"name": "b", FR: "B"}],
        ("survey", 3, "type"),
        "the row has no type",
    ),
}
SCORE_REFUSALS = {
    "score 1.5": (1.5, "the score '1.5' is not a number from 0 to 1"),
    "negative score": (-0.1, "the score '-0.1' is not a number from 0 to 1"),
    "score not a number": ("high", "the score 'high' is not a number from 0 to 1"),
}
PLAIN = [
    {"list_name": "plain", "name": "x", FR: "X", EN: "X"},
    {"list_name": "plain", "name": "y", FR: "Y", EN: "Y"},
]


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_an_unsupported_construct_is_refused_naming_sheet_row_and_column(case):
    survey, expected, message = REFUSALS[case]
    problems = refused(xlsx(survey, YES_NO + PLAIN))
    assert where(problems)[:1] == [expected], problems
    assert message in problems[0].message
    assert problems[0].letter is not None  # the spreadsheet's column letter


@pytest.mark.parametrize("case", SCORE_REFUSALS, ids=list(SCORE_REFUSALS))
def test_a_score_outside_0_1_is_refused_on_the_choices_sheet(case):
    score, message = SCORE_REFUSALS[case]
    choices = [*YES_NO, {"list_name": "yn", "name": "maybe", FR: "Bof", "walkapp::score": score}]
    problems = refused(xlsx([q("select_one yn", "a", walkapp__dimension="use")], choices))
    assert where(problems) == [("choices", 4, "walkapp::score")]
    assert problems[0].message == message
    assert problems[0].cell == "E4"


def test_the_cell_is_named_with_the_column_letter():
    survey = [
        {"type": "integer", "name": "a", "label": "A"},
        {"type": "text", "name": "b", "label": "B", "hint": "", "relevant": "${a} >= 3"},
    ]
    (problem,) = refused(xlsx(survey))
    assert (problem.sheet, problem.row, problem.column, problem.cell) == (
        "survey",
        3,
        "relevant",
        "E3",
    )


def test_every_problem_is_collected_in_sheet_and_row_order():
    survey = [
        q("select_one yn", "a", walkapp__dimension="use"),
        {"type": "calculate", "name": "c", "calculation": "1"},
        q("text", "b", relevant="${a} = 'yes' or ${later} = 'x'", walkapp__dimension="stay"),
        {"type": "begin_group", "name": "g", FR: "G"},
        q("text", "later"),
        {"type": "end_group"},
    ]
    choices = [*YES_NO, {"list_name": "yn", "name": "maybe", FR: "Bof", "walkapp::score": 2}]
    problems = refused(xlsx(survey, choices))
    assert where(problems) == [
        ("survey", 3, "type"),
        ("survey", 4, "walkapp::dimension"),
        ("survey", 4, "relevant"),
        ("survey", 5, "type"),
        ("choices", 4, "walkapp::score"),
    ]
    assert "(row 6)" in problems[2].message
    assert "survey, row 3, column type: the type 'calculate'" in str(XLSFormRefused(problems))


def test_pyxform_errors_become_problems_with_their_row():
    # walkapp leaves the step against the range, and the parameters' names, to pyxform.
    problems = refused(xlsx([q("text", "a"), q("range", "r", parameters="start=1 end=5 step=9")]))
    assert where(problems) == [("survey", 3, "parameters")]
    assert "'step' must not be larger than the range" in problems[0].message
    assert problems[0].message.startswith("the 'parameters' value is invalid.")  # no "[row : 3]"
    problems = refused(xlsx([q("range", "r", parameters="start=1 end=5 colour=red")]))
    assert where(problems) == [("survey", 2, "parameters")]
    assert "invalid parameter key(s): 'colour'" in problems[0].message
    assert problems[0].cell == "E2"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"type,name\ntext,a\n", "form.csv", "the file is not an XLSForm workbook"),
        (b"not a zip", "form.xlsx", "the file could not be read as an .xlsx workbook"),
        (b"not a workbook", "form.xls", "the file could not be read as an .xls workbook"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(data, filename, message):
    (problem,) = refused(data, filename)
    assert (problem.sheet, problem.row, problem.column) == ("", None, None)
    assert problem.message.startswith(message)


def test_a_form_without_a_question_is_refused():
    (problem,) = refused(xlsx([{"type": "start", "name": "start"}, {"type": "today", "name": "t"}]))
    assert (problem.sheet, problem.row, problem.message) == (
        "survey",
        None,
        "the form has no question",
    )
    book = Workbook()
    book.active.title, out = "choices", io.BytesIO()
    book.create_sheet("settings")
    book.save(out)
    (problem,) = refused(out.getvalue())
    assert problem.message == "the form has no 'survey' sheet"


def _sample_script():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE_DIR / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sample_kobotoolbox_form_imports():
    sample = SAMPLE_DIR / "appropriation_custom.xlsx"
    form = import_xlsform(sample.read_bytes(), sample.name)
    assert form.title == "Appropriation de la place du Canada"
    assert form.languages == ("fr", "en")
    assert {i["type"] for i in form.items} == set(SUPPORTED_TYPES)
    by_code = {i["code"]: i for i in form.items}
    assert "start" not in by_code and "deviceid" not in by_code  # metadata, skipped
    assert {c: i["dimension"] for c, i in by_code.items() if i["dimension"]} == {
        "come_often": "use",
        "activities": "stay",
        "feel_safe": "comfort_safety",
        "belong": "legitimacy",
        "after_dark": "night_use",
    }
    assert [c["score"] for c in by_code["after_dark"]["choices"]] == [0.0, 1 / 3, 2 / 3, 1.0]
    assert by_code["activities"]["choices"][3] == {
        "code": "children",
        "label": {"fr": "J'accompagne des enfants", "en": "I bring children"},
        "score": None,
    }
    assert by_code["why_not_night"]["relevant"] == [
        [{"q": "after_dark", "op": "=", "value": "never"}],
        [
            {"q": "after_dark", "op": "=", "value": "rarely"},
            {"q": "activities", "op": "selected", "value": "cross"},
        ],
    ]
    assert by_code["feel_safe"]["range"] == {"start": 1, "end": 7, "step": 1}
    assert by_code["feel_safe"]["required"] is True
    # The committed file is what make_sample.py writes.
    out = io.BytesIO()
    _sample_script().build().save(out)
    assert import_xlsform(out.getvalue(), sample.name) == form
