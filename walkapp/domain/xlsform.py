"""Custom questionnaires from XLSForm (what KoboToolbox and ODK users already write), issue 18.

`import_xlsform` reads the workbook with pyxform (its reader, then its conversion to an XForm,
which checks what pyxform knows: names, choices, range parameters, references) and checks itself
the subset walkapp can ask on a phone and score. It returns the items of the questionnaire format
(/tmp/questionnaire_format.md) or refuses with every problem found, each naming the sheet, the
row (spreadsheet row, the header being row 1) and the column. pyxform stops at its first error;
walkapp's own checks all run, and pyxform's error is added unless it is about a row already named.

What is accepted:
- question types: text, integer, decimal, select_one <list>, select_multiple <list>, range
  (parameters start/end/step, ODK's defaults 1/10/1), note, geopoint, image; the spellings
  `string`, `int`, `select one`, `select all that apply` and `photo` are read as those;
- metadata types, which walkapp does not record, are skipped without a word: `METADATA_TYPES`;
- `label`, `hint` and `label::<language>` / `hint::<language>` where the language is
  `French (fr)`, `fr`, `fr-CA`, `French`, `Français`, `English (en)`, `en`, `English`, `Anglais`;
  other languages are ignored; a plain `label` is in the settings' `default_language` when that is
  French or English, else in French (the app's first language); one language missing is copied
  from the other;
- `required`: yes / true / 1 (or no / false / 0 / empty);
- `relevant`: `${q} = 'v'`, `${q} != 'v'`, `selected(${q}, 'v')` joined by `and` / `or`, no
  parentheses; `q` an earlier question; the value in quotes (a number may go without them for a
  numeric question); `''` is allowed and means "not answered" (`${q} != ''`: q was answered);
- `walkapp::dimension` (survey) and `walkapp::score` (choices, 0-1);
- display-only columns (`appearance`, `constraint_message`, `guidance_hint`, media, KoboToolbox's
  `$kuid`…) are ignored; columns that change what is asked or kept (`REFUSED_COLUMNS`) are refused.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from .appropriation import DIMENSIONS

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
FILE = ""  # the sheet of a problem with the whole file
SHEET_ORDER = {FILE: 0, SETTINGS: 1, SURVEY: 2, CHOICES: 3}
EXTENSIONS = (".xlsx", ".xlsm", ".xls")  # pyxform reads .xls with xlrd, one of its dependencies
SUPPORTED_TYPES = (
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    "range",
    "note",
    "geopoint",
    "image",
)
SCORABLE_TYPES = frozenset({"select_one", "select_multiple", "range"})
SELECTS = frozenset({"select_one", "select_multiple"})
NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
# Conditions on these cannot be checked on the phone (no answer, or none in the answers' JSON).
UNCONDITIONABLE_TYPES = frozenset({"note", "geopoint", "image"})
TYPE_SYNONYMS = {"string": "text", "int": "integer", "photo": "image"}
SELECT_PREFIXES = {
    "select_one": "select_one",
    "select one": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
}
# Collected by the ODK apps without a question; walkapp records none of them.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
    }
)
GROUP_STARTS = {"begin_group": "group", "begin group": "group"}
GROUP_STARTS |= {"begin_repeat": "repeat", "begin repeat": "repeat", "begin loop": "repeat"}
GROUP_ENDS = frozenset({"end_group", "end group", "end_repeat", "end repeat", "end loop"})
REFUSED_COLUMNS = (
    "constraint",
    "calculation",
    "default",
    "choice_filter",
    "trigger",
    "repeat_count",
    "read_only",
    "readonly",
)
DIMENSION_COLUMN, SCORE_COLUMN = "walkapp::dimension", "walkapp::score"
CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
CHOICE_CODE = re.compile(r"\S{1,64}")
YES = frozenset({"yes", "true", "1", "true()"})
NO = frozenset({"", "no", "false", "0", "false()"})
LANGUAGE_NAMES = {
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "english": "en",
    "anglais": "en",
}
LANGUAGES = ("fr", "en")
RANGE_DEFAULTS = {"start": "1", "end": "10", "step": "1"}
FORMS = "${q} = 'v', ${q} != 'v' or selected(${q}, 'v'), joined by and / or"


@dataclass(frozen=True)
class Problem:
    sheet: str  # "survey", "choices", "settings", or "" for the whole file
    row: int | None  # spreadsheet row, the header being row 1
    column: str | None  # the header, e.g. "relevant", "walkapp::score"
    message: str
    letter: str | None = None  # the spreadsheet column, e.g. "D", when known

    @property
    def cell(self) -> str | None:
        """ "D5", when the column's letter and the row are known."""
        return f"{self.letter}{self.row}" if self.letter and self.row else None


class XLSFormRefused(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(_describe(p) for p in self.problems))


@dataclass(frozen=True)
class ImportedForm:
    title: str
    items: list[dict]
    languages: tuple[str, ...]


def _describe(problem: Problem) -> str:
    where = [problem.sheet or "file"]
    if problem.row:
        where.append(f"row {problem.row}")
    if problem.column:
        where.append(f"column {problem.column}")
    return f"{', '.join(where)}: {problem.message}"


def import_xlsform(data: bytes, filename: str) -> ImportedForm:
    """The questionnaire of an XLSForm workbook, or XLSFormRefused with all its problems."""
    extension = Path(filename).suffix.lower()
    if extension not in EXTENSIONS:
        raise XLSFormRefused(
            [Problem(FILE, None, None, "the file is not an XLSForm workbook (.xlsx or .xls)")]
        )
    try:
        book = get_xlsform(data, file_type=extension)
    except Exception:  # any reader failure means the same to the planner
        raise XLSFormRefused(
            [Problem(FILE, None, None, f"the file could not be read as an {extension} workbook")]
        ) from None
    if book.survey is None:
        raise XLSFormRefused([Problem(SURVEY, None, None, "the form has no 'survey' sheet")])
    reader = _Reader(book, _column_letters(data, extension))
    items = reader.read()
    problems = _merge(reader.problems, _pyxform_problem(book, reader))
    if not items and not problems:
        problems.append(Problem(SURVEY, None, None, "the form has no question"))
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if problems:
        raise XLSFormRefused(problems)
    return ImportedForm(reader.title(Path(filename).stem), items, reader.languages())


# --- reading ---------------------------------------------------------------------------------


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _language(suffix: str) -> str | None:
    """ "French (fr)" -> "fr"; "fr-CA" -> "fr"; "English" -> "en"; others -> None."""
    suffix = suffix.strip().lower()
    found = re.search(r"\(([^)]*)\)", suffix)
    if found:
        suffix = found.group(1).strip()
    suffix = LANGUAGE_NAMES.get(suffix, suffix)
    code = re.split(r"[-_]", suffix, maxsplit=1)[0]
    return code if code in LANGUAGES else None


def _group_kind(text: str) -> str | None:
    for start, kind in GROUP_STARTS.items():
        if text == start or text.startswith(start + " "):
            return kind
    return None


def _headers(book, sheet: str) -> list[str]:
    rows = getattr(book, f"{sheet}_header") or [{}]
    return list(rows[0])


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class _Reader:
    def __init__(self, book, letters: dict[str, dict[str, str]]):
        self.book = book
        self.letters = letters
        self.problems: list[Problem] = []
        settings = (book.settings or [{}])[0]
        self.settings = settings
        self.default = _language(_text(settings, "default_language")) or "fr"
        self.lists: dict[str, list[dict]] = {}
        self.names: dict[str, int] = {}  # every name of the survey sheet -> its row
        self.items: dict[str, dict] = {}

    def refuse(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        letter = self.letters.get(sheet, {}).get(column) if column else None
        self.problems.append(Problem(sheet, row, column, message, letter))

    def title(self, stem: str) -> str:
        return _text(self.settings, "form_title") or _text(self.settings, "title") or stem

    def languages(self) -> tuple[str, ...]:
        found = {self._column_language(h, "label") for h in _headers(self.book, SURVEY)}
        return tuple(code for code in LANGUAGES if code in found)

    def _column_language(self, header: str, base: str) -> str | None:
        if header == base:
            return self.default
        if header.startswith(base + "::"):
            return _language(header[len(base) + 2 :])
        return None

    def words(self, row: dict, base: str) -> dict[str, str] | None:
        """The row's `label` or `hint` in French and English (one copied from the other)."""
        found: dict[str, str] = {}
        for header, value in row.items():
            language = self._column_language(header, base)
            if language and isinstance(value, str) and value.strip():
                found.setdefault(language, value.strip())
        if not found:
            return None
        return {
            "fr": found.get("fr") or found["en"],
            "en": found.get("en") or found["fr"],
        }

    def read(self) -> list[dict]:
        self._read_choices()
        for index, row in enumerate(self.book.survey):
            name = _text(row, "name")
            if name and name not in self.names:
                self.names[name] = index + 2
        for index, row in enumerate(self.book.survey):
            if row:
                self._read_row(index + 2, row)
        return list(self.items.values())

    # --- choices sheet ---

    def _read_choices(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for index, row in enumerate(self.book.choices or []):
            number = index + 2
            list_name = _text(row, "list_name") or _text(row, "list name")
            if not row or not list_name:
                continue
            choice = self._choice(number, row)
            if choice is None:
                continue
            key = (list_name, choice["code"])
            if key in seen:
                self.refuse(
                    CHOICES,
                    number,
                    "name",
                    f"the choice '{choice['code']}' is already in the list '{list_name}' "
                    f"(row {seen[key]})",
                )
                continue
            seen[key] = number
            self.lists.setdefault(list_name, []).append(choice)

    def _choice(self, number: int, row: dict) -> dict | None:
        code = _text(row, "name")
        if not CHOICE_CODE.fullmatch(code):
            message = "the choice has no name" if not code else "a choice name has no spaces"
            self.refuse(CHOICES, number, "name", message + " (at most 64 characters)")
            return None
        label = self.words(row, "label")
        if label is None:
            self.refuse(CHOICES, number, "label", f"the choice '{code}' has no label")
        return {"code": code, "label": label, "score": self._score(number, row)}

    def _score(self, number: int, row: dict) -> float | None:
        text = _text(row, SCORE_COLUMN)
        if not text:
            return None
        value = _number(text)
        if value is None or not 0 <= value <= 1:
            self.refuse(
                CHOICES,
                number,
                SCORE_COLUMN,
                f"the score '{text}' is not a number from 0 to 1",
            )
            return None
        return float(value)

    # --- survey sheet ---

    def _read_row(self, number: int, row: dict) -> None:
        kind, list_name = self._type(number, _text(row, "type"))
        if kind is None:
            return
        code = _text(row, "name")
        if not CODE.fullmatch(code):
            self.refuse(
                SURVEY,
                number,
                "name",
                f"the name '{code}' is not a valid code (a letter or _, then letters, digits or _,"
                " at most 64)"
                if code
                else "the question has no name",
            )
            return
        if code in self.items:
            self.refuse(
                SURVEY,
                number,
                "name",
                f"the name '{code}' is already used (row {self.items[code]['row']})",
            )
            return
        item = self._item(number, row, kind, code, list_name)
        self.items[code] = item

    def _type(self, number: int, text: str) -> tuple[str | None, str | None]:
        """The walkapp type and list name of a survey row's `type`; (None, None) to skip it."""
        text = " ".join(text.split())
        if not text:
            self.refuse(SURVEY, number, "type", "the row has no type")
        elif text in METADATA_TYPES or text in GROUP_ENDS:
            pass
        elif what := _group_kind(text):
            self.refuse(
                SURVEY,
                number,
                "type",
                f"{what}s are not supported: put the questions at the top level of the form",
            )
        else:
            return self._question_type(number, text)
        return None, None

    def _question_type(self, number: int, text: str) -> tuple[str | None, str | None]:
        for prefix, kind in SELECT_PREFIXES.items():
            if text == prefix or text.startswith(prefix + " "):
                return kind, self._list_name(number, text[len(prefix) :].strip(), kind)
        kind = TYPE_SYNONYMS.get(text, text)
        if kind in SUPPORTED_TYPES:
            return kind, None
        self.refuse(
            SURVEY,
            number,
            "type",
            f"the type '{text}' is not supported ({', '.join(SUPPORTED_TYPES)})",
        )
        return None, None

    def _list_name(self, number: int, rest: str, kind: str) -> str | None:
        """The list of a select (refused here when missing, unknown or `or_other`)."""
        if rest.endswith("or_other"):
            self.refuse(SURVEY, number, "type", "'or_other' is not supported: add the choice")
        elif not rest:
            self.refuse(SURVEY, number, "type", f"{kind} needs a list name: '{kind} <list>'")
        elif " " in rest:
            self.refuse(SURVEY, number, "type", f"'{rest}' is not one list name")
        elif rest not in self.lists:
            self.refuse(SURVEY, number, "type", f"the list '{rest}' is not on the choices sheet")
        else:
            return rest
        return None

    def _item(self, number: int, row: dict, kind: str, code: str, list_name: str | None) -> dict:
        prompt = self.words(row, "label")
        if prompt is None:
            self.refuse(SURVEY, number, "label", f"the question '{code}' has no label")
        choices = copy.deepcopy(self.lists.get(list_name, [])) if kind in SELECTS else []
        for column in REFUSED_COLUMNS:
            if _text(row, column):
                self.refuse(SURVEY, number, column, f"the column '{column}' is not supported")
        return {
            "code": code,
            "type": kind,
            "prompt": prompt,
            "hint": self.words(row, "hint"),
            "source": "",
            "dimension": self._dimension(number, row, kind, choices),
            "choices": choices,
            "range": self._range(number, row) if kind == "range" else None,
            "relevant": self._relevant(number, code, _text(row, "relevant")),
            "required": self._required(number, row) and kind != "note",
            "row": number,
        }

    def _required(self, number: int, row: dict) -> bool:
        text = _text(row, "required").lower()
        if text in YES:
            return True
        if text not in NO:
            self.refuse(SURVEY, number, "required", f"'{text}' is not yes or no")
        return False

    def _dimension(self, number: int, row: dict, kind: str, choices: list[dict]) -> str | None:
        dimension = _text(row, DIMENSION_COLUMN)
        if not dimension:
            return None
        if dimension not in DIMENSIONS:
            message = f"the dimension '{dimension}' is unknown ({', '.join(DIMENSIONS)})"
        elif kind not in SCORABLE_TYPES:
            message = f"the type {kind} cannot be scored (select_one, select_multiple, range)"
        elif kind in SELECTS and all(c["score"] is None for c in choices):
            message = f"no choice of this {kind} has a {SCORE_COLUMN}"
        else:
            return dimension
        self.refuse(SURVEY, number, DIMENSION_COLUMN, message)
        return None

    def _range(self, number: int, row: dict) -> dict | None:
        # Only the numbers here; pyxform checks the step against the range.
        parameters = dict(RANGE_DEFAULTS)
        for part in re.split(r"[\s,;]+", _text(row, "parameters")):
            key, _, value = part.partition("=")
            if key in parameters:
                parameters[key] = value.strip()
        values = {key: _number(text) for key, text in parameters.items()}
        bad = [key for key, value in values.items() if value is None]
        if bad:
            self.refuse(SURVEY, number, "parameters", f"'{bad[0]}' is not a number")
            return None
        return {key: _plain(value) for key, value in values.items()}

    def _relevant(self, number: int, code: str, text: str) -> list[list[dict]] | None:
        if not text:
            return None
        try:
            dnf = _parse_relevant(text)
        except ValueError as refusal:
            self.refuse(SURVEY, number, "relevant", str(refusal))
            return None
        conditions = [c for conjunction in dnf for c in conjunction]
        problems = [p for c in conditions if (p := self._condition_problem(number, code, c))]
        for message in dict.fromkeys(problems):
            self.refuse(SURVEY, number, "relevant", message)
        return None if problems else dnf

    def _condition_problem(self, number: int, code: str, condition: dict) -> str | None:
        name, op, value = condition["q"], condition["op"], condition["value"]
        item = self.items.get(name)
        if item is None:
            if name == code:
                return f"'${{{name}}}' is the question itself: use an earlier question"
            if self.names.get(name, number) < number:
                return f"'${{{name}}}' is not a question walkapp asks"
            if name in self.names:
                return (
                    f"'${{{name}}}' is not an earlier question (row {self.names[name]}): "
                    "a condition may only use the questions before it"
                )
            return f"no question is named '{name}'"
        kind = item["type"]
        if kind in UNCONDITIONABLE_TYPES:
            return f"a condition cannot use a {kind} question ('{name}')"
        if op == "selected" and kind not in SELECTS:
            return f"selected() needs a select question, and '{name}' is a {kind}"
        if op != "selected" and kind == "select_multiple" and value:
            return f"use selected(${{{name}}}, '{value}') for the select_multiple '{name}'"
        return self._value_problem(item, value)

    def _value_problem(self, item: dict, value: str) -> str | None:
        if value == "":
            return None
        if item["type"] in SELECTS and item["choices"]:
            if value not in {c["code"] for c in item["choices"]}:
                return f"'{value}' is not a choice of '{item['code']}'"
        elif item["type"] in NUMERIC_TYPES and _number(value) is None:
            return f"'{value}' is not a number, and '{item['code']}' is a {item['type']}"
        return None


# --- relevant ---------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | '(?P<single>[^']*)' | "(?P<double>[^"]*)"
    | (?P<op>!=|>=|<=|=|>|<|\+|\*|\|)
    | (?P<punct>[(),])
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<word>[A-Za-z_][\w.:-]*)
    | (?P<other>\S)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for found in TOKEN.finditer(text):
        kind = found.lastgroup
        if kind in ("single", "double"):
            tokens.append(("string", found.group(kind)))
        elif kind is not None:
            tokens.append((kind, found.group(kind)))
    return tokens


def _unsupported(tokens: list[tuple[str, str]]) -> str | None:
    """Why the condition is outside walkapp's forms, in the planner's words, if it is obvious."""
    for index, (kind, value) in enumerate(tokens):
        after = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        if kind == "word" and after == ("punct", "(") and value != "selected":
            return f"the function '{value}()' is not supported (only selected())"
        if kind == "op" and value not in ("=", "!="):
            return f"the operator '{value}' is not supported (only = and !=)"
        if kind == "word" and value not in ("and", "or", "selected"):
            return f"'{value}' is not supported (only and / or)"
        if kind == "punct" and value == "(":
            before = tokens[index - 1] if index else ("", "")
            if before != ("word", "selected"):
                return "parentheses are not supported"
    return None


def _parse_relevant(text: str) -> list[list[dict]]:
    """`relevant` as OR of ANDs, or ValueError saying why walkapp cannot take it."""
    tokens = _tokens(text)
    reason = _unsupported(tokens)
    if reason:
        raise ValueError(reason)
    dnf: list[list[dict]] = [[]]
    position = 0
    while True:
        condition, position = _condition(tokens, position)
        dnf[-1].append(condition)
        if position == len(tokens):
            return dnf
        joiner = tokens[position]
        if joiner == ("word", "or"):
            dnf.append([])
        elif joiner != ("word", "and"):
            raise ValueError(f"the condition is not of the forms {FORMS}")
        position += 1


def _condition(tokens: list[tuple[str, str]], position: int) -> tuple[dict, int]:
    comparison = tokens[position : position + 3]
    if [kind for kind, _ in comparison[:2]] == ["ref", "op"] and len(comparison) == 3:
        (_, name), (_, op), (kind, value) = comparison
        if kind in ("string", "number"):
            return {"q": name.strip(), "op": op, "value": value}, position + 3
    selected = tokens[position : position + 6]
    shape = [("word", "selected"), ("punct", "("), "ref", ("punct", ","), "string", ("punct", ")")]
    if len(selected) == 6 and all(
        token[0] == want if isinstance(want, str) else token == want
        for token, want in zip(selected, shape, strict=True)
    ):
        return {
            "q": selected[2][1].strip(),
            "op": "selected",
            "value": selected[4][1],
        }, position + 6
    raise ValueError(f"the condition is not of the forms {FORMS}")


# --- pyxform's own checks ------------------------------------------------------------------------

ROW = re.compile(r"\[row : (\d+)\]\s*")
SHEET = re.compile(r"On the '(\w+)' sheet")
SHEET_PREFIX = re.compile(r"^\s*On the '\w+' sheet, ")
COLUMN = re.compile(r"the '([^']+)' value")
NAMED = re.compile(r"named '([^']+)'")


def _without_walkapp_columns(book) -> dict:
    """The workbook as pyxform's converter takes it, without walkapp's columns (pyxform would
    read `walkapp::score` as a translation of a `walkapp` column)."""
    fields = {field.name: getattr(book, field.name) for field in dataclasses.fields(book)}
    for sheet in (SURVEY, CHOICES):
        for key in (sheet, f"{sheet}_header"):
            if fields.get(key):
                fields[key] = [
                    {k: v for k, v in row.items() if not k.startswith("walkapp::")}
                    for row in fields[key]
                ]
    return fields


def _pyxform_problem(book, reader: _Reader) -> Problem | None:
    try:
        convert(_without_walkapp_columns(book))
    except PyXFormError as error:
        return _from_pyxform(error, reader)
    except Exception as error:  # a pyxform failure on odd input is a refusal too
        return Problem(FILE, None, None, f"pyxform could not convert the form ({error!r})")
    return None


def _from_pyxform(error: PyXFormError, reader: _Reader) -> Problem:
    text = str(error)
    context = error.context or {}
    found = ROW.search(text)
    row = context.get("row") or (int(found.group(1)) if found else None)
    named = NAMED.search(text)
    if row is None and named:
        row = reader.names.get(named.group(1))
    sheet = context.get("sheet") or (SHEET.search(text) or [None, None])[1]
    column = context.get("column") or (COLUMN.search(text) or [None, None])[1]
    sheet = sheet or (SURVEY if row else FILE)
    letter = reader.letters.get(sheet, {}).get(column) if column else None
    message = SHEET_PREFIX.sub("", ROW.sub("", text)).strip()
    return Problem(sheet, row, column, message, letter)


def _merge(problems: list[Problem], pyxform: Problem | None) -> list[Problem]:
    """walkapp's problems, and pyxform's first error unless a problem already names its row
    (or, without a row, unless walkapp found any: it is most often the same one, said worse)."""
    if pyxform is None:
        return problems
    if pyxform.row is None and problems:
        return problems
    if any((p.sheet, p.row) == (pyxform.sheet, pyxform.row) for p in problems):
        return problems
    return [*problems, pyxform]


# --- column letters ------------------------------------------------------------------------------


def _column_letters(data: bytes, extension: str) -> dict[str, dict[str, str]]:
    """Each sheet's header -> its column letter, for the messages; {} when it cannot tell."""
    try:
        headers = _xls_headers(data) if extension == ".xls" else _xlsx_headers(data)
    except Exception:  # the letters are a courtesy; pyxform reported the file
        return {}
    letters = {}
    for sheet, row in headers.items():
        letters[sheet] = {
            " ".join(str(h).split()): _letter(i) for i, h in enumerate(row) if h is not None
        }
    return letters


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _xlsx_headers(data: bytes) -> dict[str, list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {
            ws.title.lower(): list(next(ws.iter_rows(max_row=1, values_only=True), ()))
            for ws in book.worksheets
        }
    finally:
        book.close()


def _xls_headers(data: bytes) -> dict[str, list]:
    import xlrd  # pyxform's own reader of .xls

    book = xlrd.open_workbook(file_contents=data)
    return {
        sheet.name.lower(): sheet.row_values(0) if sheet.nrows else [] for sheet in book.sheets()
    }
