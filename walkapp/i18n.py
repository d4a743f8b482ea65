"""The translation layer: every sentence and label comes from the gettext catalogs.

English is the language of the msgids; French is the default; any other language is one more
catalog (``translations/<lang>/LC_MESSAGES/messages.mo``) in one of the catalog folders
(BABEL_TRANSLATION_DIRECTORIES, separated by ";"): the languages offered are the catalogs
found at start-up. Vocabulary labels are msgids in the context of their vocabulary's name
(domain/vocabularies.py). Placeholders are gettext's own: ``%(name)s``, everywhere (Python,
templates, and the JavaScript of the participant app and the live view).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, format_decimal, get_locale, gettext, pgettext
from markupsafe import Markup

from .domain.vocabularies import BY_NAME, TAXONOMY, Vocabulary

SOURCE_LANGUAGE = "en"  # the msgids
DEFAULT_LANGUAGE = "fr"
LANG_COOKIE = "lang"
EXTENSION_KEY = "walkapp.languages"

T = TypeVar("T")


def find_languages(directories: Iterable[str]) -> tuple[str, ...]:
    """The default language first, then every other language with a compiled catalog, then
    English (the msgids need no catalog)."""
    found = {
        sub.name
        for folder in directories
        if Path(folder).is_dir()
        for sub in Path(folder).iterdir()
        if (sub / "LC_MESSAGES" / "messages.mo").is_file()
    }
    others = sorted(found - {DEFAULT_LANGUAGE, SOURCE_LANGUAGE})
    return (DEFAULT_LANGUAGE, *others, SOURCE_LANGUAGE)


def languages() -> tuple[str, ...]:
    return current_app.extensions[EXTENSION_KEY]


def language_names() -> dict[str, str]:
    """Each catalog language's name in itself ("Français", "English"), for language switches."""
    return {lang: Locale.parse(lang).get_display_name(lang).capitalize() for lang in languages()}


def next_language(lang: str) -> str:
    """The language a one-button switch offers after `lang` (the catalogs' order, round)."""
    offered = languages()
    return offered[(offered.index(lang) + 1) % len(offered)] if lang in offered else offered[0]


def select_locale() -> str:
    """?lang= (also remembered in a cookie), then the cookie, then the browser, then French
    (also outside a request: a `walkapp` command)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    offered = languages()
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in offered:
        return chosen
    return request.accept_languages.best_match(offered, default=DEFAULT_LANGUAGE)


# Typed text shown among the app's own words is isolated, so that its direction (an Arabic
# name, a right-to-left override U+202E) stays inside it: <bdi> in HTML, FSI ... PDI where no
# markup can go (<title>, <option>, attributes).
FSI, PDI = "\u2068", "\u2069"


def bdi(text: object) -> Markup:
    """`text` escaped, in a <bdi> (nothing for None or "")."""
    if text is None or text == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % (text,)


def isolate(text: object) -> str:
    """`text` between FSI and PDI, as plain text (still escaped by the template)."""
    if text is None or text == "":
        return ""
    return f"{FSI}{text}{PDI}"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    Babel(app, locale_selector=select_locale)
    folders = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    app.extensions[EXTENSION_KEY] = find_languages(folders)
    app.add_template_filter(format_local, "local")
    app.add_template_filter(bdi, "bdi")
    app.add_template_filter(isolate, "isolate")
    app.jinja_env.globals["format_position"] = format_position
    app.jinja_env.globals["LANGUAGES"] = app.extensions[EXTENSION_KEY]
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["hint"] = hint
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["language_names"] = language_names
    app.jinja_env.globals["next_language"] = next_language

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in languages() and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", secure=request.is_secure
            )
        return response


def format_local(value, tz_name: str, fmt: str = "medium") -> str:
    """A UTC datetime shown in the project's time zone, in the page's language."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    return format_datetime(value, fmt, tzinfo=ZoneInfo(tz_name), locale=get_locale())


# One format for positions on every page: five decimals (about a metre), in the page's language.
POSITION_DECIMALS = "0.00000"


def format_position(lat: float, lon: float) -> str:
    """A position in the page's language: "lat. 50.35667, long. 3.51870" in English, with the
    decimal comma (and a semicolon between the two) in French."""
    return gettext(
        "lat. %(lat)s, long. %(lon)s",
        lat=format_decimal(lat, POSITION_DECIMALS),
        lon=format_decimal(lon, POSITION_DECIMALS),
    )


# --- Vocabularies ------------------------------------------------------------------------------


def label(vocabulary: str, code: str) -> str:
    """The label of a vocabulary code in the current language (an unknown code shows as is)."""
    vocab = BY_NAME[vocabulary]
    return pgettext(vocab.name, vocab.get(code).label) if code in vocab else code


def hint(vocabulary: str, code: str) -> str:
    """The hint of a code in the current language ("" if it has none)."""
    term = BY_NAME[vocabulary].get(code)
    return pgettext(vocabulary, term.hint) if term.hint else ""


def labels(vocab: Vocabulary) -> dict[str, str]:
    """{code: label} in the current language, in the vocabulary's order."""
    return {term.code: pgettext(vocab.name, term.label) for term in vocab}


def choices(vocab: Vocabulary) -> list[tuple[str, str]]:
    """(code, label) pairs for a form's select, in the current language."""
    return list(labels(vocab).items())


def in_every_language(build: Callable[[], T]) -> dict[str, T]:
    """{lang: build()} with each catalog language current in turn (for the offline switch)."""
    out = {}
    for lang in languages():
        with force_locale(lang):
            out[lang] = build()
    return out


def taxonomy() -> dict[str, list[dict[str, object]]]:
    """Every vocabulary of the API with its labels (and hints) in every catalog language:
    ``{"category": [{"code", "label": {"fr": …, "en": …}, "hint": {…}?}, …], …}``."""
    texts = in_every_language(
        lambda: {
            (vocab.name, term.code): (
                pgettext(vocab.name, term.label),
                pgettext(vocab.name, term.hint) if term.hint else "",
            )
            for vocab in TAXONOMY
            for term in vocab
        }
    )
    out: dict[str, list[dict[str, object]]] = {}
    for vocab in TAXONOMY:
        entries = []
        for term in vocab:
            key = (vocab.name, term.code)
            entry: dict[str, object] = {
                "code": term.code,
                "label": {lang: texts[lang][key][0] for lang in texts},
            }
            if term.hint:
                entry["hint"] = {lang: texts[lang][key][1] for lang in texts}
            entries.append(entry)
        out[vocab.name] = entries
    return out
