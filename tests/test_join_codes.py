"""Join codes (walkapp.domain.join_codes)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkapp.domain.join_codes import (
    ALPHABET,
    ALPHABET_SIZE,
    CODE_LENGTH,
    POSSIBLE_CODES,
    format_join_code,
    new_join_code,
    normalize_join_code,
)

AMBIGUOUS = "O0IL1S5Z2"


def test_alphabet_and_figure() -> None:
    assert ALPHABET_SIZE == len(set(ALPHABET)) == 27
    assert ALPHABET.isupper()
    assert not set(AMBIGUOUS) & set(ALPHABET)
    assert CODE_LENGTH == 8
    assert POSSIBLE_CODES == 27**8 == 282_429_536_481
    # The figure stated in the module: 100 open walks, 2,880 failed guesses a day per address.
    days = POSSIBLE_CODES / 100 / 2_880
    assert 980_000 < days < 981_000
    assert 2_680 < days / 365.25 < 2_690


def test_new_codes_have_the_length_and_alphabet() -> None:
    for _ in range(1_000):
        code = new_join_code()
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
        assert not set(code) & set(AMBIGUOUS)


def test_ten_thousand_codes_are_distinct() -> None:
    codes = {new_join_code() for _ in range(10_000)}
    assert len(codes) == 10_000


def test_randbelow_is_injectable_and_covers_the_alphabet() -> None:
    assert new_join_code(lambda n: 0) == ALPHABET[0] * CODE_LENGTH
    assert new_join_code(lambda n: n - 1) == ALPHABET[-1] * CODE_LENGTH
    rng = random.Random(7)
    seen = set("".join(new_join_code(rng.randrange) for _ in range(200)))
    assert seen == set(ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEFGH",
        "abcdefgh",
        "abcd-efgh",
        "ABCD EFGH",
        "  abcd - efgh \n",
        "AB CD-EF GH",
        "abcd\u2013efgh",  # en dash from a "smart" keyboard
        "abcd\u00a0efgh",  # non-breaking space
        "\uff41\uff42\uff43\uff44\uff45\uff46\uff47\uff48",  # full-width letters
    ],
)
def test_normalize_accepts_what_people_type(typed: str) -> None:
    assert normalize_join_code(typed) == "ABCDEFGH"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCDEFG",  # too short
        "ABCDEFGHJ",  # too long
        "ABCD-EFGO",  # O is not in the alphabet
        "ABCD-EFG0",
        "ABCD-EFG1",
        "ABCD-EFGI",
        "ABCD-EFGL",
        "ABCD-EFGS",
        "ABCD-EFG5",
        "ABCD-EFGZ",
        "ABCD-EFG2",
        "ABCD-EFG!",
        "ABCD-EFGÉ",
        "ABCD/EFGH",
        None,
        12345678,
    ],
)
def test_normalize_refuses_wrong_length_and_foreign_chars(typed: object) -> None:
    assert normalize_join_code(typed) is None  # type: ignore[arg-type]


def test_format_groups_by_four() -> None:
    assert format_join_code("ABCDEFGH") == "ABCD-EFGH"
    assert format_join_code("abcd efgh") == "ABCD-EFGH"
    with pytest.raises(ValueError):
        format_join_code("ABC")


@given(st.integers(min_value=0))
def test_normalize_format_round_trip(seed: int) -> None:
    code = new_join_code(random.Random(seed).randrange)
    formatted = format_join_code(code)
    assert formatted[4] == "-" and len(formatted) == CODE_LENGTH + 1
    assert normalize_join_code(formatted) == code
    assert normalize_join_code(formatted.lower()) == code


@given(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_every_code_of_the_alphabet_round_trips(code: str) -> None:
    assert normalize_join_code(format_join_code(code)) == code
