"""The translation layer: French first, English too (gettext catalogs in walkapp/translations)."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANG_COOKIE = "lang"


def select_locale() -> str:
    """?lang= (also remembered in a cookie), then the cookie, then the browser, then French
    (also outside a request: a `walkapp` command)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(format_local, "local")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["get_locale"] = get_locale

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
        return response


def format_local(value, tz_name: str, fmt: str = "medium") -> str:
    """A UTC datetime shown in the project's time zone, in the page's language."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    return format_datetime(value, fmt, tzinfo=ZoneInfo(tz_name), locale=get_locale())


def label(vocabulary: str, code: str) -> str:
    """The label of a vocabulary code in the page's language (vocabularies.py is the source)."""
    from .domain.vocabularies import ALL

    vocab = next(v for v in ALL if v.name == vocabulary)
    return vocab.label(code, str(get_locale()))
