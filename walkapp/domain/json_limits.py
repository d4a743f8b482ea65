"""How deep and how large a JSON text is, measured before it is parsed.

Python's json module recurses once per nesting level: 1,000 levels (2 KB) raise RecursionError.
`json_shape_problem` scans the text without parsing it (strings skipped, escapes honoured) and
says whether it is nested deeper or holds more items than its reader allows. Pure: no Flask.
"""

from __future__ import annotations

import re

# A string (escapes honoured, an unterminated one runs to the end) or a structural character.
_TOKENS_STR = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{},]', re.S)
_TOKENS_BYTES = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{},]', re.S)
_OPEN = frozenset("[{")
_CLOSE = frozenset("]}")


def json_shape_problem(
    raw: str | bytes | bytearray, *, max_depth: int, max_items: int
) -> str | None:
    """``"too_deep"`` when arrays and objects nest deeper than `max_depth`, ``"too_many_items"``
    when the text holds more than `max_items` values and keys (each container and each comma
    counts), None otherwise (which says nothing of whether it is valid JSON)."""
    if _surely_within(raw, max_depth, max_items):
        return None
    return _scan(raw, max_depth, max_items)


def _scan(raw: str | bytes | bytearray, max_depth: int, max_items: int) -> str | None:
    if isinstance(raw, str):
        tokens = (m.group() for m in _TOKENS_STR.finditer(raw))
    else:
        tokens = (m.group().decode("latin-1") for m in _TOKENS_BYTES.finditer(raw))
    depth = items = 0
    for token in tokens:
        char = token[0]
        if char == '"':
            continue
        if char in _OPEN:
            depth += 1
            items += 1
            if depth > max_depth:
                return "too_deep"
        elif char in _CLOSE:
            depth -= 1
        else:  # a comma: one more item
            items += 1
        if items > max_items:
            return "too_many_items"
    return None


def _surely_within(raw: str | bytes | bytearray, max_depth: int, max_items: int) -> bool:
    """Counted without the scan, strings included: no more openings than `max_depth` cannot nest
    deeper, and no more openings and commas than `max_items` cannot be more items (a spot's body,
    a few dozen of each, needs no scan)."""
    if isinstance(raw, str):
        openings, commas = raw.count("[") + raw.count("{"), raw.count(",")
    else:
        openings, commas = raw.count(b"[") + raw.count(b"{"), raw.count(b",")
    return openings <= max_depth and openings + commas <= max_items
