"""Refresh the catalogues: extract the msgids, merge them into every language's catalogue,
fill the French one from JSON, compile them all.

    .venv/bin/python scripts/translations.py [new-translations.json ...]

Each JSON file maps English msgids to their French text (how several people translate in
parallel without editing the same .po file); entries already translated are kept unless the
JSON gives a new text; a vocabulary label's key is its vocabulary's name and its msgid joined
by "\u0004" (gettext's context separator), e.g. "category\u0004Lighting". A plural message's key
is its singular msgid and its value the list of its French forms, singular first:
{"%(num)s spot saved": ["%(num)s signalement enregistré", "%(num)s signalements enregistrés"]}
(a plain text there still fills every form, as before). Prints what is still untranslated and
exits 1 if anything is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "walkapp" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
PYBABEL = [sys.executable, "-m", "babel.messages.frontend"]


def extract(pot: Path) -> None:
    """Every msgid of the code and templates, and every vocabulary label and hint (with its
    vocabulary's name as context), into the template `pot`, sorted."""
    subprocess.run(
        [
            *PYBABEL,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(ROOT))
    from walkapp.domain.vocabularies import ALL

    with pot.open("rb") as f:
        catalog = read_po(f)
    for vocab in ALL:
        for term in vocab:
            for text in (term.label, term.hint):
                if text:
                    catalog.add(text, context=vocab.name)
    with pot.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, omit_header=True)


def _key(message) -> str:
    """A message's key in the JSON files: its msgid, or "context\u0004msgid" (gettext's own
    separator) for a vocabulary label."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}\x04{msgid}" if message.context else msgid


def _translation(message, given: str | list[str], num_plurals: int) -> str | tuple[str, ...]:
    """The catalogue's text of `message` from its JSON value: a text, or for a plural message
    the list of its forms (a single text fills them all)."""
    if isinstance(message.id, str):
        if not isinstance(given, str):
            raise SystemExit(f"{message.id!r} is not a plural message: give one text")
        return given
    if isinstance(given, str):
        return (given,) * num_plurals
    return tuple(given)


def main(json_files: list[str]) -> int:
    extract(POT)
    subprocess.run(
        [
            *PYBABEL,
            "update",
            "-i",
            str(POT),
            "-d",
            str(TRANSLATIONS),
            "--no-fuzzy-matching",
        ],
        cwd=ROOT,
        check=True,
    )
    given: dict[str, str] = {}
    for name in json_files:
        given.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with PO.open("rb") as f:
        catalog = read_po(f, locale="fr")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = _key(message)
        if key in given:
            message.string = _translation(message, given[key], catalog.num_plurals)
        if not message.string or (
            isinstance(message.string, tuple)
            and (len(message.string) < catalog.num_plurals or not all(message.string))
        ):
            missing.append(key)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True)
    subprocess.run([*PYBABEL, "compile", "-d", str(TRANSLATIONS)], cwd=ROOT, check=True)
    for key in missing:
        print(f"untranslated: {key!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
