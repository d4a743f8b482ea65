"""The clause library of the tender annex (exports/clauses/, walkapp/exporters/clause_library.py).

The shipped library is clean in both languages, with the same clause ids, a clause for every
finding category, and the figures a contractor checks (EN 13201-2 P classes, arrêté du 15 janvier
2007). A deployment's files in <instance>/clauses/ replace the shipped ones; a broken one is
reported with its file, line and reason, and the shipped file is used instead; never a crash.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import base_config

from walkapp import create_app
from walkapp.cli import main
from walkapp.domain.vocabularies import CATEGORIES
from walkapp.exporters import clause_library
from walkapp.exporters.clause_library import LANGUAGES, SHIPPED, check, load

NBSP = "\u00a0"


def plain(text: str) -> str:
    """French typography uses no-break spaces; the figures are compared with plain ones."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def every_text(library) -> str:
    parts = [library.equality_policy]
    for clause in library.clauses:
        parts += [clause.title, clause.text, clause.criterion or "", clause.source]
        parts += [clause.reception_check, clause.recheck_question]
    return plain("\n".join(parts))


@pytest.fixture
def instance(tmp_path) -> Path:
    (tmp_path / "instance" / "clauses").mkdir(parents=True)
    return tmp_path / "instance"


def override(instance: Path, name: str, edit=None) -> Path:
    """instance/clauses/<name>: the shipped file, changed by `edit(text) -> text`."""
    text = (SHIPPED / name).read_text(encoding="utf-8")
    target = instance / "clauses" / name
    target.write_text(edit(text) if edit else text, encoding="utf-8")
    return target


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The 1-based line of the first line containing `needle` (after the line containing
    `after`, if given)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = 0 if after is None else next(i for i, ln in enumerate(lines) if after in ln)
    return next(i for i, ln in enumerate(lines) if i >= start and needle in ln) + 1


def remove_table(text: str, header: str) -> str:
    """`text` without the TOML table `header` (up to the next table header)."""
    start = text.index(header)
    following = re.compile(r"^\[", re.M).search(text, start + len(header))
    return text[:start] + (text[following.start() :] if following else "")


NEW_CLAUSE = (
    '[clause.bus_night_stop]\ncategories = ["transport_stop"]\ntheme = "transport"\n'
    'sources = ["montreal_2002"]\nconfirm_edition = false\n\n'
)


def add_to_mapping(text: str) -> str:
    """The mapping with one more clause, before the award criteria (so it comes last)."""
    return text.replace(
        "# --- Suggested award criteria", NEW_CLAUSE + "# --- Suggested award criteria", 1
    )


# --- The shipped library --------------------------------------------------------------------------


def test_the_shipped_library_is_clean_with_the_same_ids_in_every_language():
    assert check() == []
    libraries = {language: load(language) for language in LANGUAGES}
    ids = {language: [c.id for c in lib.clauses] for language, lib in libraries.items()}
    assert ids["fr"] == ids["en"]
    assert 25 <= len(ids["fr"]) <= 40
    for library in libraries.values():
        assert library.problems == ()
        assert library.files == (
            "exports/clauses/mapping.toml",
            f"exports/clauses/{library.language}.toml",
        )
        assert len(library.equality_policy) > 200
        for clause in library.clauses:
            assert clause.title and clause.text and clause.source
            assert clause.reception_check and clause.recheck_question.endswith("?")
            assert clause.theme in library.themes
            assert clause.source_ids and set(clause.source_ids) <= set(library.sources)
        assert {a.code: a.default_weight for a in library.award_criteria} == {
            "gender_competence": 15,
            "answers_to_findings": 20,
        }


def test_the_french_clauses_are_written_in_the_register_of_a_cctp():
    library = load("fr")
    assert sum("Le titulaire" in c.text for c in library.clauses) >= len(library.clauses) / 5
    assert "devra" in library.get("lighting_class").text
    # No-break spaces where a line break would split a figure from its unit, or « from its word.
    assert f"1,40{NBSP}m" in library.get("footpath_width_slopes").text
    assert f"«{NBSP}" in library.get("active_frontages").text


@pytest.mark.parametrize("category", CATEGORIES.codes)
def test_every_category_gets_at_least_one_clause_of_its_own(category):
    for language in LANGUAGES:
        chosen = load(language).for_categories([category])
        # Beyond the reception walk, which every finding gets.
        assert [c for c in chosen if c.id != "reception_walk"], category


def test_for_categories_keeps_the_library_order_and_gives_each_clause_once():
    library = load("en")
    chosen = library.for_categories(["lighting", "harassment", "lighting"])
    ids = [c.id for c in chosen]
    assert len(ids) == len(set(ids))
    order = [c.id for c in library.clauses]
    assert ids == sorted(ids, key=order.index)
    assert {"lighting_class", "lighting_faces", "help_points"} <= set(ids)
    assert library.for_categories([]) == []


def test_the_en_13201_2_p_classes_and_the_accessibility_figures_are_there():
    fr, en = load("fr"), load("en")
    lighting_fr = plain(fr.get("lighting_class").text)
    lighting_en = plain(en.get("lighting_class").text)
    for p, average, minimum in (
        ("P1", "15", "3,0"),
        ("P2", "10", "2,0"),
        ("P3", "7,5", "1,5"),
        ("P4", "5", "1,0"),
        ("P5", "3", "0,6"),
        ("P6", "2", "0,4"),
    ):
        assert f"{p} {average} lx / {minimum} lx" in lighting_fr
        assert f"{p} {average.replace(',', '.')} lx / {minimum.replace(',', '.')} lx" in re.sub(
            r"\s+", " ", lighting_en
        )
    assert "NF EN 13201-2" in plain(fr.get("lighting_class").source)
    assert "facial recognition" in plain(en.get("lighting_faces").source)
    footpaths = plain(fr.get("footpath_width_slopes").text)
    for figure in ("1,40 m", "1,20 m", "2 %", "5 %", "tous les 10 m", "4 % et 5 %"):
        assert figure in footpaths
    assert "15 janvier 2007" in plain(fr.get("footpath_width_slopes").source)
    footpaths_en = plain(en.get("footpath_width_slopes").criterion)
    for figure in ("1.40 m", "1.20 m", "≤ 2 %", "< 5 %", "every 10 m"):
        assert figure in footpaths_en


def test_vienna_ball_courts_seating_toilets_and_names_of_women_are_there():
    en = load("en")
    courts = plain(en.get("ball_courts_girls").text + en.get("ball_courts_girls").criterion)
    assert "two wide entrances" in courts and "seating at the edge" in courts
    assert "Vienna" in en.get("ball_courts_girls").source
    assert "armrests" in en.get("seating_armrests").text
    assert "0.80 m × 1.30 m" in plain(en.get("toilets_accessible").text)
    assert "women" in en.get("names_of_women").text


def test_every_clause_citing_a_norm_or_regulation_for_a_figure_asks_to_confirm_its_edition():
    library = load("fr")
    formal = {s for s, src in library.sources.items() if src.kind in ("norm", "regulation")}
    for clause in library.clauses:
        if clause.confirm_edition:
            assert formal & set(clause.source_ids), clause.id
    must_confirm = {
        c.id
        for c in library.clauses
        if {"en13201_2", "arrete_voirie_2007", "arrete_erp_2017"} & set(c.source_ids)
    }
    assert must_confirm
    assert all(library.get(i).confirm_edition for i in must_confirm)
    assert not library.get("names_of_women").confirm_edition


def test_a_library_without_an_instance_folder_is_the_shipped_one(instance):
    assert load("fr", instance) == load("fr")
    assert check(instance) == []


# --- A deployment's own files ---------------------------------------------------------------------


def test_a_valid_override_changes_a_clause_and_reports_nothing(instance):
    new = "L'éclairage de la place du Canada devra atteindre la classe P1 partout."
    target = override(
        instance,
        "fr.toml",
        lambda t: re.sub(
            r'(\[clause\.lighting_class\]\ntitle = "[^"]*"\ntext = """)[^"]*(""")',
            lambda m: m.group(1) + "\n" + new + "\n" + m.group(2),
            t,
            count=1,
        ),
    )
    library = load("fr", instance)
    assert library.problems == ()
    assert library.get("lighting_class").text == new
    assert library.files == ("exports/clauses/mapping.toml", str(target))
    assert load("en", instance).get("lighting_class").text == load("en").get("lighting_class").text
    assert check(instance) == []


def test_an_unknown_key_refuses_the_override(instance):
    target = override(
        instance,
        "fr.toml",
        lambda t: t.replace(
            "[clause.lighting_class]\n", '[clause.lighting_class]\ntitel = "x"\n', 1
        ),
    )
    (problem,) = load("fr", instance).problems
    assert (problem.file, problem.line) == (str(target), line_of(target, 'titel = "x"'))
    assert "unknown key 'titel' in [clause.lighting_class]" in problem.reason


def test_a_syntax_error_is_reported_at_its_line_and_the_shipped_file_is_used(instance):
    target = override(
        instance,
        "fr.toml",
        lambda t: t.replace('title = "Ni recoin ni cachette"', 'title = "Ni recoin ni cachette', 1),
    )
    line = line_of(target, 'title = "Ni recoin ni cachette')
    library = load("fr", instance)
    assert len(library.problems) == 1
    problem = library.problems[0]
    assert (problem.file, problem.line) == (str(target), line)
    assert "not valid TOML" in problem.reason
    assert "the shipped exports/clauses/fr.toml is used instead" in problem.reason
    assert str(problem).startswith(f"{target}, line {line}: ")
    assert library.clauses == load("fr").clauses


def test_a_missing_field_is_reported_at_its_clause(instance):
    target = override(
        instance,
        "en.toml",
        lambda t: re.sub(
            r'(\[clause\.ways_out\][\s\S]*?)recheck_question = "[^"\n]*"\n', r"\1", t, count=1
        ),
    )
    library = load("en", instance)
    (problem,) = library.problems
    assert problem.file == str(target)
    assert problem.line == line_of(target, "[clause.ways_out]")
    assert "[clause.ways_out] has no 'recheck_question'" in problem.reason
    assert library.get("ways_out").recheck_question == load("en").get("ways_out").recheck_question


def test_an_empty_text_is_a_problem(instance):
    target = override(
        instance,
        "fr.toml",
        lambda t: t.replace('title = "Garder ce qui fonctionne"', 'title = "  "', 1),
    )
    (problem,) = load("fr", instance).problems
    assert problem.line == line_of(target, 'title = "  "')
    assert "'title' of [clause.keep_what_works] is empty" in problem.reason


def test_an_unknown_category_in_the_mapping_is_reported_at_its_line(instance):
    target = override(
        instance,
        "mapping.toml",
        lambda t: t.replace(
            '[clause.lighting_quality]\ncategories = ["lighting"]',
            '[clause.lighting_quality]\ncategories = ["lighting", "lightning"]',
            1,
        ),
    )
    for language in LANGUAGES:
        library = load(language, instance)
        (problem,) = library.problems
        assert problem.file == str(target)
        assert problem.line == line_of(target, "categories", after="[clause.lighting_quality]")
        assert "unknown category 'lightning'" in problem.reason
        assert "shipped exports/clauses/mapping.toml is used instead" in problem.reason
        assert library.get("lighting_quality").categories == ("lighting",)
    assert len(check(instance)) == 1  # the mapping's problem, once


def test_a_clause_missing_in_english_is_reported_and_the_shipped_english_file_used(instance):
    target = override(instance, "en.toml", lambda t: remove_table(t, "[clause.toilets_opening]"))
    library = load("en", instance)
    (problem,) = library.problems
    assert problem.file == str(target)
    assert problem.line is None
    mapping_line = line_of(SHIPPED / "mapping.toml", "[clause.toilets_opening]")
    assert problem.reason.startswith(
        "clause 'toilets_opening' (English text) of exports/clauses/mapping.toml "
        f"(line {mapping_line}) is missing"
    )
    assert "shipped exports/clauses/en.toml is used instead" in problem.reason
    assert library.get("toilets_opening").title == load("en").get("toilets_opening").title
    assert load("fr", instance).problems == ()
    assert [str(p) for p in check(instance)] == [str(problem)]


def test_a_clause_added_to_the_mapping_only_is_reported_on_the_mapping(instance):
    target = override(instance, "mapping.toml", add_to_mapping)
    library = load("fr", instance)
    (problem,) = library.problems
    assert (problem.file, problem.line) == (str(target), line_of(target, "[clause.bus_night_stop]"))
    assert "is not in the shipped exports/clauses/fr.toml" in problem.reason
    assert "bus_night_stop" not in [c.id for c in library.clauses]


def test_a_new_clause_in_the_three_files_is_used(instance):
    override(instance, "mapping.toml", add_to_mapping)
    for language, title in (("fr", "Arrêt à la demande la nuit"), ("en", "Request stops at night")):
        override(
            instance,
            f"{language}.toml",
            lambda t, title=title: (
                t
                + f'\n[clause.bus_night_stop]\ntitle = "{title}"\n'
                + 'text = """\nLe bus.\n\nDeux.\n"""\nsource = "Montréal"\n'
                + 'reception_check = "Essai."\nrecheck_question = "Oui ?"\n'
            ),
        )
    assert check(instance) == []
    fr = load("fr", instance)
    clause = fr.get("bus_night_stop")
    assert clause.title == "Arrêt à la demande la nuit"
    assert clause.criterion is None  # optional
    assert clause.text == "Le bus.\nDeux."  # a blank line starts a paragraph
    assert clause in fr.for_categories(["transport_stop"])
    assert fr.clauses[-1] == clause  # the mapping's order
    assert load("en", instance).get("bus_night_stop").title == "Request stops at night"


@pytest.mark.parametrize(
    "weight, shown",
    [("150", "not 150"), ('"15"', "not '15'"), ("1.5", "not 1.5"), ("true", "not True")],
)
def test_award_weights_must_be_whole_percentages(instance, weight, shown):
    target = override(
        instance,
        "mapping.toml",
        lambda t: t.replace(
            "[award.gender_competence]\ndefault_weight = 15",
            f"[award.gender_competence]\ndefault_weight = {weight}",
        ),
    )
    (problem,) = load("fr", instance).problems
    assert problem.line == line_of(target, "default_weight", after="[award.gender_competence]")
    assert shown in problem.reason
    assert load("fr", instance).award_criteria == load("fr").award_criteria


def test_an_edited_file_is_read_again(instance):
    override(instance, "en.toml")
    assert load("en", instance).get("ways_out").title == load("en").get("ways_out").title
    override(
        instance,
        "en.toml",
        lambda t: t.replace(
            'title = "Being able to get away: at least two ways out"', 'title = "Ways out"'
        ),
    )
    assert load("en", instance).get("ways_out").title == "Ways out"


def test_a_file_that_is_not_utf8_is_reported_at_its_line(instance):
    target = instance / "clauses" / "fr.toml"
    target.write_bytes(b'language = "fr"\n' + 'title = "é"\n'.encode("latin-1"))
    (problem,) = load("fr", instance).problems
    assert (problem.file, problem.line) == (str(target), 2)
    assert "UTF-8" in problem.reason


def test_a_broken_shipped_library_still_loads(tmp_path, monkeypatch):
    shipped = tmp_path / "clauses"
    shutil.copytree(SHIPPED, shipped)
    text = (shipped / "en.toml").read_text(encoding="utf-8")
    (shipped / "en.toml").write_text(remove_table(text, "[clause.ways_out]"), encoding="utf-8")
    (shipped / "fr.toml").write_text("equality_policy = \n", encoding="utf-8")
    monkeypatch.setattr(clause_library, "SHIPPED", shipped)
    en = load("en")
    assert "ways_out" not in [c.id for c in en.clauses]
    assert [p.file for p in en.problems] == ["exports/clauses/en.toml"]
    fr = load("fr")
    assert fr.clauses == () and fr.problems[0].line == 1
    problems = [str(p) for p in check()]
    assert problems[0].startswith("exports/clauses/fr.toml, line 1: ")
    assert "clause 'ways_out' is in the French library but not in the English one" not in problems
    assert any(p.startswith("exports/clauses/en.toml: clause 'ways_out'") for p in problems)


# --- walkapp clauses-check -----------------------------------------------------------------------


def run_check(instance: Path):
    app = create_app(
        {
            **base_config(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'unused.db'}",
        }
    )
    return app.test_cli_runner().invoke(main, ["clauses-check"])


def test_clauses_check_says_the_library_is_clean(instance):
    result = run_check(instance)
    assert result.exit_code == 0, result.output
    n = len(load("fr").clauses)
    assert f"{n} clauses in fr, {n} clauses in en; no problem." in result.output


def test_clauses_check_prints_file_and_line_and_exits_1_on_a_broken_override(instance):
    target = override(
        instance, "en.toml", lambda t: t.replace('[theme]\nlighting = "Lighting"', "[theme\n")
    )
    result = run_check(instance)
    assert result.exit_code == 1
    line = line_of(target, "[theme")
    assert f"{target}, line {line}: " in result.output
    assert "the shipped exports/clauses/en.toml is used instead" in result.output
