"""The clause library of the tender annex: data files a planner edits, checked when they load.

Three TOML files in exports/clauses/ (shipped in the wheel as walkapp/exports/clauses/):

- `mapping.toml`, language-independent: per clause id, the finding categories it answers, its
  theme, the ids of its sources and whether its figures' edition is still to be confirmed by
  the planner; the suggested award criteria with their default weights; each source's kind.
  The clauses' order in this file is their order in the annex.
- `fr.toml` and `en.toml`: per clause id, its words (title, text, measurable criterion if one
  exists, the citation of its source, how it is checked at reception of the works, and the
  question the after-works survey asks); the themes' titles; the paragraph on the authority's
  equality policy; the award criteria's titles and descriptions; each source's full citation.

A deployment's own file of the same name in `<instance folder>/clauses/` replaces the shipped one,
whole, so that a planner's edits survive upgrades. Nothing here raises on a bad file: `load()`
reports what is wrong as `Problem`s ("file, line N: reason") and, for a broken override, uses the
shipped file instead (the reason says so). `check()` runs every language, the CLI's
`walkapp clauses-check` prints it. No Flask, no database: plain files in, plain data out.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..domain.vocabularies import CATEGORIES
from ..resources import resource_dir

LANGUAGES = ("fr", "en")
LANGUAGE_NAMES = {"fr": "French", "en": "English"}
SHIPPED = resource_dir("exports") / "clauses"
SHIPPED_DISPLAY = "exports/clauses"  # as the planner knows it, checkout or wheel alike
OVERRIDE_FOLDER = "clauses"  # under the instance folder
MAPPING = "mapping.toml"
SOURCE_KINDS = ("norm", "regulation", "guide")
WEIGHT_MIN, WEIGHT_MAX = 0, 100

CLAUSE_TEXTS = ("title", "text", "criterion", "source", "reception_check", "recheck_question")
OPTIONAL_TEXTS = frozenset({"criterion"})
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# --- The interface ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with a library file, for the deployment's admin (logs, CLI): English."""

    file: str  # as the planner knows it: "exports/clauses/fr.toml", "instance/clauses/fr.toml"
    line: int | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.reason}"
        return f"{self.file}, line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Clause:
    id: str
    categories: tuple[str, ...]  # CATEGORIES codes
    theme: str  # group code: "lighting", "accessibility", "sightlines"...
    title: str
    text: str  # the requirement
    criterion: str | None  # the measurable criterion, None if there is none
    source: str  # the citation a contractor can check
    reception_check: str  # how it is checked at reception of the works
    recheck_question: str  # the after-works survey's question
    confirm_edition: bool  # a figure of a norm or regulation whose edition the planner confirms
    source_ids: tuple[str, ...] = ()  # keys of Library.sources


@dataclass(frozen=True)
class AwardCriterion:
    code: str
    title: str
    description: str
    default_weight: int  # percent, a suggestion the planner edits


@dataclass(frozen=True)
class Source:
    id: str
    kind: str  # "norm" | "regulation" | "guide"
    citation: str  # full reference, in the library's language


@dataclass(frozen=True)
class Library:
    language: str  # "fr" | "en"
    clauses: tuple[Clause, ...]  # in the mapping's order
    equality_policy: str
    award_criteria: tuple[AwardCriterion, ...]
    problems: tuple[Problem, ...]  # what was wrong at load (the library still loads)
    themes: Mapping[str, str] = field(default_factory=dict)  # theme code -> title
    sources: Mapping[str, Source] = field(default_factory=dict)  # in the mapping's order
    files: tuple[str, ...] = ()  # the files used, as the planner knows them: mapping, language

    def get(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(clause_id)

    def for_categories(self, categories: Iterable[str]) -> list[Clause]:
        """The clauses answering any of `categories`, in library order, each once."""
        wanted = set(categories)
        return [c for c in self.clauses if wanted.intersection(c.categories)]

    def theme_title(self, code: str) -> str:
        return self.themes.get(code, code)


def load(language: str, instance_path: str | os.PathLike | None = None) -> Library:
    """The library in `language`: the instance's files where they are sound, else the shipped
    ones. Never raises for a bad file; `Library.problems` says what was wrong."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})")
    files = _files_for(language, instance_path)
    key = (language, tuple(f.key() for f in files))
    with _LOCK:
        cached = _LIBRARIES.get((language, _folder_key(instance_path)))
        if cached is not None and cached[0] == key:
            return cached[1]
    library = _assemble(language, *files)
    with _LOCK:
        if len(_LIBRARIES) >= _CACHE_LIMIT:
            _LIBRARIES.clear()
        _LIBRARIES[(language, _folder_key(instance_path))] = (key, library)
    return library


def check(instance_path: str | os.PathLike | None = None) -> list[Problem]:
    """Every problem of every language, plus the clauses one language has and another lacks."""
    problems: list[Problem] = []
    libraries = [load(language, instance_path) for language in LANGUAGES]
    for library in libraries:
        problems.extend(p for p in library.problems if p not in problems)
    ids = {lib.language: [c.id for c in lib.clauses] for lib in libraries}
    for library in libraries:
        for other in libraries:
            if other is library:
                continue
            for clause_id in ids[other.language]:
                if clause_id not in ids[library.language]:
                    problems.append(
                        Problem(
                            library.files[-1] if library.files else library.language,
                            None,
                            f"clause '{clause_id}' is in the {LANGUAGE_NAMES[other.language]} "
                            f"library but not in the {LANGUAGE_NAMES[library.language]} one",
                        )
                    )
    return problems


# --- Files, their lines, their cache --------------------------------------------------------------

_LOCK = threading.Lock()
_PARSED: dict[tuple, _Parsed] = {}  # (display, digest) -> checked file
_LIBRARIES: dict[tuple, tuple] = {}  # (language, instance folder) -> (files' key, Library)
_CACHE_LIMIT = 64


@dataclass(frozen=True)
class _FileRef:
    """A library file: where it is, how the planner names it, whether it is an override."""

    path: Path
    display: str
    override: bool
    content: bytes | None  # None: the file does not exist
    error: str | None = None  # unreadable

    def key(self) -> tuple:
        digest = hashlib.blake2b(self.content).hexdigest() if self.content is not None else None
        return (self.display, digest, self.error)


def _folder_key(instance_path) -> str | None:
    return None if instance_path is None else os.fspath(instance_path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read(path: Path, display: str, override: bool) -> _FileRef:
    try:
        return _FileRef(path, display, override, path.read_bytes())
    except FileNotFoundError:
        return _FileRef(path, display, override, None)
    except OSError as exc:
        return _FileRef(path, display, override, None, exc.strerror or str(exc))


def _files_for(language: str, instance_path) -> tuple[_FileRef, ...]:
    """Shipped mapping, shipped language file, then their overrides (content None if absent)."""
    names = (MAPPING, f"{language}.toml")
    shipped = tuple(_read(SHIPPED / n, f"{SHIPPED_DISPLAY}/{n}", False) for n in names)
    if instance_path is None:
        overrides = tuple(_FileRef(Path(n), n, True, None) for n in names)
    else:
        folder = Path(instance_path) / OVERRIDE_FOLDER
        overrides = tuple(_read(folder / n, _display(folder / n), True) for n in names)
    return shipped + overrides


class _Lines:
    """The line of each table header and key of a TOML text, for problems found after parsing
    (tomllib gives lines for syntax errors only). Lines inside multi-line strings are skipped."""

    _PART = r"(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)"  # a bare or quoted key
    _HEADER = re.compile(r"^\s*\[(?!\[)\s*(.+?)\s*\]\s*(?:#.*)?$")
    _KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, text: str):
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        delimiter: str | None = None
        for number, line in enumerate(text.split("\n"), start=1):  # TOML's lines, as tomllib's
            rest = line
            if delimiter is None and line.lstrip().startswith("#"):
                continue
            if delimiter is None:
                header = self._HEADER.match(line)
                key = None if header else self._KEY.match(line)
                if header:
                    table = _split_key(header.group(1))
                    self._lines.setdefault(table, number)
                    continue
                if key:
                    self._lines.setdefault(table + _split_key(key.group(1)), number)
                    rest = line[key.end() :]
            delimiter = _multiline_state(rest, delimiter)

    def of(self, *path: str) -> int | None:
        """The line of `path` (a table or a key), else of its nearest enclosing table."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", text)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)


def _multiline_state(rest: str, delimiter: str | None) -> str | None:
    """Whether a multi-line string is open after this line's `rest` (rough, enough here)."""
    position = 0
    while True:
        if delimiter is None:
            found = [(rest.find(d, position), d) for d in ('"""', "'''")]
            found = [(i, d) for i, d in found if i >= 0]
            if not found:
                return None
            index, delimiter = min(found)
        else:
            index = rest.find(delimiter, position)
            if index < 0:
                return delimiter
            delimiter = None
        position = index + 3


@dataclass
class _Parsed:
    """One file, parsed and checked on its own; entries that failed are left out."""

    display: str
    lines: _Lines
    problems: list[Problem]
    data: Any  # _MappingData | _TextData | None (unreadable or not TOML)
    override: bool = False


def _parse(ref: _FileRef, kind: str) -> _Parsed:
    key = (ref.display, kind, ref.key())
    with _LOCK:
        if key in _PARSED:
            return _PARSED[key]
    parsed = _parse_uncached(ref, kind)
    with _LOCK:
        if len(_PARSED) >= _CACHE_LIMIT:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed


def _parse_uncached(ref: _FileRef, kind: str) -> _Parsed:
    empty = _Lines("")
    if ref.error is not None:
        problem = Problem(ref.display, None, f"cannot be read: {ref.error}")
        return _Parsed(ref.display, empty, [problem], None, ref.override)
    if ref.content is None:
        problem = Problem(ref.display, None, "is missing")
        return _Parsed(ref.display, empty, [problem], None, ref.override)
    try:
        text = ref.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = ref.content[: exc.start].count(b"\n") + 1
        problem = Problem(ref.display, line, "is not UTF-8 text (save it as UTF-8)")
        return _Parsed(ref.display, empty, [problem], None, ref.override)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _Parsed(ref.display, empty, [_syntax_problem(ref.display, exc)], None, ref.override)
    lines = _Lines(text)
    checker = _Checker(ref.display, lines)
    data = checker.mapping(raw) if kind == "mapping" else checker.texts(raw, kind)
    return _Parsed(ref.display, lines, checker.problems, data, ref.override)


def _syntax_problem(display: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if found:
        reason = f"{message[: found.start()]} (column {found.group(2)}): not valid TOML"
        return Problem(display, int(found.group(1)), reason)
    return Problem(display, None, f"{message}: not valid TOML")


# --- Checks of one file ---------------------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_SPACES = re.compile(r"[ \t\r\n]+")  # not str.split(): it would also eat no-break spaces


def _paragraphs(text: str) -> str:
    """A text as written across lines: line breaks are spaces, a blank line starts a paragraph;
    paragraphs are returned one per line ("\\n" between them)."""
    paragraphs = (_SPACES.sub(" ", p).strip() for p in _BLANK_LINE.split(text))
    return "\n".join(p for p in paragraphs if p)


@dataclass
class _MappingData:
    clauses: dict[str, dict]  # id -> categories, theme, sources, confirm_edition
    awards: dict[str, int]  # code -> default weight
    sources: dict[str, str]  # id -> kind
    broken: set[str] = field(default_factory=set)  # "clause.x", "award.y": present but unusable


@dataclass
class _TextData:
    equality_policy: str | None
    themes: dict[str, str]
    awards: dict[str, tuple[str, str]]
    sources: dict[str, str]
    clauses: dict[str, dict[str, str | None]]
    broken: set[str] = field(default_factory=set)


class _Checker:
    def __init__(self, display: str, lines: _Lines):
        self.display = display
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, path: tuple[str, ...], reason: str) -> None:
        self.problems.append(Problem(self.display, self.lines.of(*path), reason))

    def tables(self, raw: dict, name: str) -> dict[str, dict]:
        """The sub-tables of top-level table `name` whose id is a code."""
        section = raw.get(name, {})
        if not isinstance(section, dict):
            self.problem((name,), f"'{name}' must be a table ([{name}.<id>] sections)")
            return {}
        found = {}
        for code, value in section.items():
            if not _CODE.match(code):
                self.problem(
                    (name, code),
                    f"[{name}.{code}]: an id is lower-case letters, digits and _ (like "
                    f"'lighting_class')",
                )
            elif not isinstance(value, dict):
                self.problem((name, code), f"'{name}.{code}' must be a table ([{name}.{code}])")
            else:
                found[code] = value
        return found

    def unknown_keys(self, path: tuple[str, ...], value: dict, known: Iterable[str]) -> bool:
        known = tuple(known)
        unknown = [k for k in value if k not in known]
        for key in unknown:
            where = f"[{'.'.join(path)}]" if path else "the top level"
            self.problem(
                path + (key,), f"unknown key '{key}' in {where} (known: {', '.join(known)})"
            )
        return bool(unknown)

    def text(self, path: tuple[str, ...], value: dict, key: str, optional=False) -> str | None:
        where = f"[{'.'.join(path)}]" if path else "the file"
        if key not in value:
            if not optional:
                self.problem(path, f"{where} has no '{key}'")
            return None
        text = value[key]
        if not isinstance(text, str):
            self.problem(path + (key,), f"'{key}' of {where} must be text in quotes")
            return None
        text = _paragraphs(text)
        if not text:
            self.problem(path + (key,), f"'{key}' of {where} is empty")
            return None
        return text

    def codes(self, path: tuple[str, ...], value: dict, key: str) -> tuple[str, ...] | None:
        where = f"[{'.'.join(path)}]"
        items = value.get(key)
        if key not in value:
            self.problem(path, f"{where} has no '{key}'")
            return None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.problem(path + (key,), f"'{key}' of {where} must be a list of codes in quotes")
            return None
        if not items:
            self.problem(path + (key,), f"'{key}' of {where} is empty")
            return None
        duplicates = sorted({i for i in items if items.count(i) > 1})
        if duplicates:
            self.problem(path + (key,), f"'{key}' of {where} repeats {', '.join(duplicates)}")
            return None
        return tuple(items)

    # mapping.toml

    def mapping(self, raw: dict) -> _MappingData:
        data = _MappingData({}, {}, {})
        self.unknown_keys((), raw, ("clause", "award", "source"))
        for source_id, value in self.tables(raw, "source").items():
            kind = self.source_kind(source_id, value)
            if kind is None:
                data.broken.add(f"source.{source_id}")
            else:
                data.sources[source_id] = kind
        for clause_id, value in self.tables(raw, "clause").items():
            clause = self.mapping_clause(clause_id, value, data.sources)
            if clause is None:
                data.broken.add(f"clause.{clause_id}")
            else:
                data.clauses[clause_id] = clause
        for code, value in self.tables(raw, "award").items():
            weight = self.award_weight(code, value)
            if weight is None:
                data.broken.add(f"award.{code}")
            else:
                data.awards[code] = weight
        self.mapping_as_a_whole(raw, data)
        return data

    def source_kind(self, source_id: str, value: dict) -> str | None:
        path = ("source", source_id)
        bad = self.unknown_keys(path, value, ("kind",))
        kind = value.get("kind")
        if kind not in SOURCE_KINDS:
            self.problem(
                path + ("kind",) if "kind" in value else path,
                f"'kind' of [source.{source_id}] must be one of {', '.join(SOURCE_KINDS)}",
            )
            return None
        return None if bad else kind

    def mapping_as_a_whole(self, raw: dict, data: _MappingData) -> None:
        if not raw.get("clause"):
            self.problem((), "has no clause ([clause.<id>] sections)")
        total = sum(data.awards.values())
        if total > WEIGHT_MAX:
            self.problem(("award",), f"the award criteria's default weights add up to {total} %")
        for term in CATEGORIES:
            if not any(term.code in c["categories"] for c in data.clauses.values()):
                self.problem(
                    (),
                    f"no clause answers the category '{term.code}': a finding of that category "
                    "would get no clause",
                )

    def mapping_clause(self, clause_id: str, value: dict, sources: dict) -> dict | None:
        path = ("clause", clause_id)
        where = f"[clause.{clause_id}]"
        ok = not self.unknown_keys(
            path, value, ("categories", "theme", "sources", "confirm_edition")
        )
        categories = self.codes(path, value, "categories")
        if categories is not None:
            unknown = [c for c in categories if c not in CATEGORIES]
            if unknown:
                self.problem(
                    path + ("categories",),
                    f"'categories' of {where}: unknown category {', '.join(map(repr, unknown))} "
                    f"(known: {', '.join(CATEGORIES.codes)})",
                )
                categories = None
        theme = self.text(path, value, "theme")
        if theme is not None and not _CODE.match(theme):
            self.problem(path + ("theme",), f"'theme' of {where} must be a code like 'lighting'")
            theme = None
        source_ids = self.codes(path, value, "sources")
        if source_ids is not None:
            unknown = [s for s in source_ids if s not in sources]
            if unknown:
                self.problem(
                    path + ("sources",),
                    f"'sources' of {where}: {', '.join(map(repr, unknown))} is not a "
                    "[source.<id>] of this file",
                )
                source_ids = None
        confirm = value.get("confirm_edition")
        if not isinstance(confirm, bool):
            self.problem(
                path + ("confirm_edition",) if "confirm_edition" in value else path,
                f"'confirm_edition' of {where} must be true or false (without quotes)",
            )
            confirm = None
        if not ok or None in (categories, theme, source_ids, confirm):
            return None
        return {
            "categories": categories,
            "theme": theme,
            "sources": source_ids,
            "confirm_edition": confirm,
        }

    def award_weight(self, code: str, value: dict) -> int | None:
        path = ("award", code)
        ok = not self.unknown_keys(path, value, ("default_weight",))
        weight = value.get("default_weight")
        if isinstance(weight, bool) or not isinstance(weight, int):
            shown = "nothing" if weight is None else repr(weight)
            self.problem(
                path + ("default_weight",) if "default_weight" in value else path,
                f"'default_weight' of [award.{code}] must be a whole number of percent from "
                f"{WEIGHT_MIN} to {WEIGHT_MAX}, not {shown}",
            )
            return None
        if not WEIGHT_MIN <= weight <= WEIGHT_MAX:
            self.problem(
                path + ("default_weight",),
                f"'default_weight' of [award.{code}] must be from {WEIGHT_MIN} to {WEIGHT_MAX} "
                f"(percent), not {weight}",
            )
            return None
        return weight if ok else None

    # fr.toml, en.toml

    def texts(self, raw: dict, language: str) -> _TextData:
        data = _TextData(None, {}, {}, {}, {})
        self.unknown_keys(
            (), raw, ("language", "equality_policy", "theme", "award", "source", "clause")
        )
        if "language" in raw and raw["language"] != language:
            self.problem(
                ("language",),
                f"says language = {raw['language']!r} but is the file of {language!r}",
            )
        data.equality_policy = self.text((), raw, "equality_policy")
        data.themes = self.themes(raw)
        awards = self.entries(raw, "award", ("title", "description"), data.broken)
        data.awards = {code: (e["title"], e["description"]) for code, e in awards.items()}
        sources = self.entries(raw, "source", ("citation",), data.broken)
        data.sources = {source_id: e["citation"] for source_id, e in sources.items()}
        data.clauses = self.entries(raw, "clause", CLAUSE_TEXTS, data.broken)
        return data

    def themes(self, raw: dict) -> dict[str, str]:
        themes = raw.get("theme", {})
        if not isinstance(themes, dict):
            self.problem(("theme",), "'theme' must be a table of titles ([theme])")
            return {}
        titles = {code: self.text(("theme",), themes, code) for code in themes}
        return {code: title for code, title in titles.items() if title is not None}

    def entries(self, raw: dict, name: str, keys: tuple[str, ...], broken: set) -> dict:
        """The [name.<id>] tables whose texts are all there (optional ones may be absent)."""
        found = {}
        for code, value in self.tables(raw, name).items():
            path = (name, code)
            bad = self.unknown_keys(path, value, keys)
            texts = {k: self.text(path, value, k, optional=k in OPTIONAL_TEXTS) for k in keys}
            if bad or any(v is None for k, v in texts.items() if k not in OPTIONAL_TEXTS):
                broken.add(f"{name}.{code}")
            else:
                found[code] = texts
        return found


# --- Mapping and language file together -----------------------------------------------------------


def _consistency(mapping: _Parsed, texts: _Parsed, language: str) -> list[Problem]:
    """What one file has and the other lacks: clause ids, award codes, sources, themes."""
    m, t = mapping.data, texts.data
    if m is None or t is None:
        return []
    name = LANGUAGE_NAMES[language]
    problems: list[Problem] = []
    for kind, in_mapping, in_texts, label in (
        ("clause", m.clauses, t.clauses, "clause"),
        ("award", m.awards, t.awards, "award criterion"),
        ("source", m.sources, t.sources, "source"),
    ):
        for code in in_mapping:
            if code not in in_texts and f"{kind}.{code}" not in t.broken:
                what = f"{label} '{code}' ({name} text)"
                problems.append(_lacking(kind, code, texts, mapping, what))
        for code in in_texts:
            if code not in in_mapping and f"{kind}.{code}" not in m.broken:
                problems.append(_lacking(kind, code, mapping, texts, f"{label} '{code}'"))
    problems.extend(_untitled_themes(mapping, texts))
    return _unique(problems)


def _lacking(kind: str, code: str, lacking: _Parsed, other: _Parsed, what: str) -> Problem:
    """`other` has [kind.code], `lacking` has not. The problem goes on the file to edit: the
    override if one of the two is, else the file that lacks the entry."""
    line = other.lines.of(kind, code)
    if lacking.override or not other.override:
        return Problem(lacking.display, None, f"{what} of {other.display} (line {line}) is missing")
    folder = Path(other.display).parent
    return Problem(
        other.display,
        line,
        f"{what} is not in the shipped {lacking.display}: copy that file into {folder}/ and add "
        "it there, or remove it here",
    )


def _untitled_themes(mapping: _Parsed, texts: _Parsed) -> list[Problem]:
    return [
        Problem(
            texts.display,
            texts.lines.of("theme"),
            f"theme '{clause['theme']}' (of clause '{clause_id}' in {mapping.display}) has no "
            "title in [theme]",
        )
        for clause_id, clause in mapping.data.clauses.items()
        if clause["theme"] not in texts.data.themes and clause_id in texts.data.clauses
    ]


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: list[Problem] = []
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return seen


def _replaced(problems: Iterable[Problem], override: _Parsed, shipped: _Parsed) -> list[Problem]:
    suffix = f" (so the shipped {shipped.display} is used instead)"
    return [Problem(p.file, p.line, p.reason + suffix) for p in problems]


def _assemble(language: str, *refs: _FileRef) -> Library:
    shipped_map, shipped_texts, own_map, own_texts = refs
    s_m, s_t = _parse(shipped_map, "mapping"), _parse(shipped_texts, language)
    problems: list[Problem] = list(s_m.problems) + list(s_t.problems)
    candidates_m, candidates_t = [], []
    for own, shipped, candidates in ((own_map, s_m, candidates_m), (own_texts, s_t, candidates_t)):
        if own.content is None and own.error is None:
            candidates.append(shipped)  # no override
            continue
        parsed = _parse(own, "mapping" if own is own_map else language)
        if parsed.problems:
            problems.extend(_replaced(parsed.problems, parsed, shipped))
        else:
            candidates.append(parsed)
        candidates.append(shipped)
    combos = [(m, t) for m in candidates_m for t in candidates_t]
    chosen = combos[-1]
    for m, t in combos:
        if not _consistency(m, t, language):
            chosen = (m, t)
            break
    preferred = combos[0]
    if any(a is not b for a, b in zip(preferred, chosen, strict=True)):
        found = _consistency(*preferred, language)
        for own, used in zip(preferred, chosen, strict=True):
            if own is not used:
                found = _replaced(found, own, used)
        problems.extend(found)
    problems.extend(_consistency(*chosen, language))
    return _build(language, *chosen, tuple(_unique(problems)))


def _build(language: str, mapping: _Parsed, texts: _Parsed, problems) -> Library:
    m = mapping.data or _MappingData({}, {}, {})
    t = texts.data or _TextData(None, {}, {}, {}, {})
    clauses = []
    for clause_id, entry in m.clauses.items():
        words = t.clauses.get(clause_id)
        if words is None:
            continue
        clauses.append(
            Clause(
                id=clause_id,
                categories=entry["categories"],
                theme=entry["theme"],
                title=words["title"],
                text=words["text"],
                criterion=words["criterion"],
                source=words["source"],
                reception_check=words["reception_check"],
                recheck_question=words["recheck_question"],
                confirm_edition=entry["confirm_edition"],
                source_ids=entry["sources"],
            )
        )
    awards = tuple(
        AwardCriterion(code, *t.awards[code], default_weight=weight)
        for code, weight in m.awards.items()
        if code in t.awards
    )
    sources = {
        source_id: Source(source_id, kind, t.sources[source_id])
        for source_id, kind in m.sources.items()
        if source_id in t.sources
    }
    return Library(
        language=language,
        clauses=tuple(clauses),
        equality_policy=t.equality_policy or "",
        award_criteria=awards,
        problems=problems,
        themes=MappingProxyType(dict(t.themes)),
        sources=MappingProxyType(sources),
        files=(mapping.display, texts.display),
    )
