"""Join codes: what a participant types (or scans as a QR code) to join a walk.

Typeable on a phone, in the dark, from a poster or the facilitator's screen: upper-case letters
and digits only, no character that looks like another one. Both members of every look-alike pair
are left out — 0/O, 1/I/L, 2/Z, 5/S — so a code never shows an ambiguous character and what
people type can be checked against the alphabet alone. The alphabet keeps 27 characters:

    ABCDEFGHJKMNPQRTUVWXY346789   (21 letters + 6 digits)

Codes are 8 characters, stored upper case without separator ("ABCDEFGH") and shown in two
groups of four ("ABCD-EFGH").

THE FIGURE (why 8 characters are enough):
    27^8 = 282,429,536,481 possible codes (about 2.8 x 10^11, 38 bits).
    Failed codes are rate-limited to 20 per 10 minutes per address = 2,880 guesses a day.
    With 100 walks open at once, one guess hits some open walk with probability
    100 / 27^8 = 3.5 x 10^-10, so one address needs on average 27^8 / 100 = 2.8 x 10^9 guesses:
    2.8 x 10^9 / 2,880 = about 980,000 days, about 2,700 years.
    An attacker with 1,000 addresses still needs about 2.7 years on average for one hit, while
    a walk is open for hours; and a hit only joins a walk as an anonymous participant.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable

ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
ALPHABET_SIZE = len(ALPHABET)  # 27
CODE_LENGTH = 8
GROUP_SIZE = 4
POSSIBLE_CODES = ALPHABET_SIZE**CODE_LENGTH  # 282,429,536,481

_ALLOWED = frozenset(ALPHABET)
# Separators people type or phones insert: spaces of all kinds, hyphen, and the dashes that
# "smart punctuation" keyboards substitute (U+2010 to U+2015, U+2212 minus sign).
_SEPARATORS = frozenset(" \t\r\n\u00a0\u202f-_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def new_join_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh random code, upper case, without dash (e.g. "K7MPQ3XA").

    `randbelow` is injectable for tests; the default is the CSPRNG. Uniqueness among existing
    walks is checked by the caller (the database has a unique constraint).
    """
    return "".join(ALPHABET[randbelow(ALPHABET_SIZE)] for _ in range(CODE_LENGTH))


def normalize_join_code(typed: str) -> str | None:
    """The code as stored, from what someone typed; None if it cannot be a join code.

    Accepts lower case, spaces, dashes and full-width characters ("abcd efgh", "ABCD-EFGH",
    " AbCd–eFgH "). No look-alike is mapped: every look-alike (O, 0, I, 1, L, 2, Z, 5, S) is
    outside the alphabet together with its twin, so guessing would be a coin toss. Any other
    character, or a length other than 8, gives None.
    """
    if not isinstance(typed, str):
        return None
    folded = unicodedata.normalize("NFKC", typed)
    code = "".join(ch for ch in folded if ch not in _SEPARATORS and not ch.isspace()).upper()
    if len(code) != CODE_LENGTH or not set(code) <= _ALLOWED:
        return None
    return code


def format_join_code(code: str) -> str:
    """The code as shown to people: "ABCD-EFGH". Raises ValueError if it is not a join code."""
    normal = normalize_join_code(code)
    if normal is None:
        raise ValueError(f"not a join code: {code!r}")
    return "-".join(normal[i : i + GROUP_SIZE] for i in range(0, CODE_LENGTH, GROUP_SIZE))
