"""One translation mechanism: every sentence and label through the gettext catalogs.

- The committed catalogue template is what the code and templates hold today (extracted again
  here), and every msgid has its French.
- No template writes text outside the translation layer.
- A third language is one more catalog: it shows up in the taxonomy and on a page.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from walkapp.resources import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
TRANSLATIONS = PACKAGE_DIR / "translations"


def _translations_script():
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts/translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _keys(catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def test_the_committed_catalogue_is_what_the_code_says(tmp_path):
    """A sentence added to a module or template without running scripts/translations.py (or
    written outside `_()`, and so missing here) fails."""
    fresh = tmp_path / "messages.pot"
    _translations_script().extract(fresh)
    with fresh.open("rb") as f:
        extracted = _keys(read_po(f))
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        committed = _keys(read_po(f))
    assert extracted == committed, {
        "not in the committed template": sorted(extracted - committed, key=str)[:10],
        "no longer in the code": sorted(committed - extracted, key=str)[:10],
    }
    assert ("category", "Lighting") in extracted  # vocabulary labels, with their context


def test_every_msgid_has_its_french():
    with (TRANSLATIONS / "fr/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="fr")
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert missing == []


# What a template may show without `_()`: names, not sentences.
ALLOWED_WORDS = {"walkapp"}


def raw_text(template: str) -> list[str]:
    """Words of a template that are not inside Jinja (`{{ }}`, `{% %}`, `{# #}`), a script or a
    style, a tag's name or a data attribute: text that no catalog translates."""
    s = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    s = re.sub(r"<(script|style)\b.*?</\1>", " ", s, flags=re.S | re.I)
    s = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", s, flags=re.S)
    found = [
        value
        for _name, value in re.findall(r'\b(alt|title|placeholder|aria-label)="([^"]*)"', s)
        if re.search(r"[a-zà-ÿ]{2,}", value)
    ]
    s = re.sub(r"<[^>]*>", " ", s, flags=re.S)
    s = re.sub(r'[\w-]+="[^"]*"', " ", s)  # attributes written by a macro outside any tag
    s = re.sub(r"&[a-z]+;|&#\d+;", " ", s)
    words = re.findall(r"[A-Za-zÀ-ÿ][a-zà-ÿ'’-]+", s)
    return found + [w for w in words if w not in ALLOWED_WORDS]


def test_raw_text_finds_untranslated_words():
    assert raw_text('<p>{{ _("Hello") }}</p><img alt="{{ _("Photo") }}">') == []
    assert raw_text("<p>Bonjour {{ name }}</p>") == ["Bonjour"]
    assert raw_text('<button aria-label="Close">×</button>') == ["Close"]
    assert raw_text('<input placeholder="ABCD-EFGH">{# a comment #}') == []


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")),
)
def test_no_template_writes_text_outside_the_catalogs(template):
    assert raw_text((ROOT / template).read_text(encoding="utf-8")) == []


# --- A third language ---------------------------------------------------------------------------


def _german_catalog(folder: Path) -> None:
    catalog = Catalog(locale="de")
    catalog.add("Lighting", "Beleuchtung", context="category")
    target = folder / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, catalog)


@pytest.fixture
def app_config(tmp_path):
    extra = tmp_path / "more-translations"
    _german_catalog(extra)
    return {"BABEL_TRANSLATION_DIRECTORIES": f"{TRANSLATIONS};{extra}"}


def test_a_third_language_is_one_catalog_file(app, client, make_walk):
    from walkapp.i18n import languages

    assert languages() == ("fr", "de", "en")
    taxonomy = client.get("/api/v1/taxonomy").json
    lighting = next(t for t in taxonomy["category"] if t["code"] == "lighting")
    assert lighting["label"] == {"fr": "Éclairage", "de": "Beleuchtung", "en": "Lighting"}
    seating = next(t for t in taxonomy["category"] if t["code"] == "seating")
    assert seating["label"]["de"] == "Seating"  # not translated yet: the English msgid
    walk = make_walk()
    page = client.get(f"/j/{walk.join_code}?lang=de").get_data(as_text=True)
    assert '<html lang="de"' in page and "Beleuchtung" in page
