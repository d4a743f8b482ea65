"""SVG charts: labels escaped, values printed as text, accessible names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from walkapp.domain.charts import Bar, Group, bar_chart, grouped_bar_chart

HOSTILE = "<script>window.__pwned=1</script>\"&'${x}\\`"
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))  # well-formed XML: nothing unescaped broke it


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_escapes_labels_and_prints_values():
    svg = bar_chart(
        "c1",
        f"Title {HOSTILE}",
        [Bar(HOSTILE, 0.5, "50 % (n = 8)"), Bar("Second", None, "not enough answers")],
        desc=f"Desc {HOSTILE}",
        max_value=1.0,
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == f"Title {HOSTILE}"
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").text == f"Desc {HOSTILE}"
    assert texts(root) == [HOSTILE, "50 % (n = 8)", "Second", "not enough answers"]
    rects = list(root.iter(f"{SVG}rect"))
    assert len(rects) == 1  # the suppressed value draws no bar
    assert float(rects[0].get("width")) == pytest.approx(150.0)  # half of the 300 px bar


def test_bar_lengths_follow_values_and_the_largest_fills_the_width():
    root = parse(bar_chart("c2", "t", [Bar("a", 2, "2"), Bar("b", 4, "4"), Bar("c", 0, "0")]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths == [pytest.approx(150.0), pytest.approx(300.0)]
    assert texts(root) == ["a", "2", "b", "4", "c", "0"]


def test_grouped_chart_prints_series_names_so_colour_is_not_needed():
    groups = [Group(HOSTILE, (Bar("", 0.25, "25 %"), Bar("", 0.75, "75 %")))]
    svg = grouped_bar_chart("c3", "Day & night", groups, ["Day", "Night <b>"], max_value=1.0)
    root = parse(svg)
    assert texts(root) == [HOSTILE, "Day: 25 %", "Night <b>: 75 %"]
    assert "Night &lt;b&gt;" in svg
    assert root.find(f"{SVG}title").text == "Day & night"


def test_empty_chart_is_still_a_labelled_image():
    root = parse(bar_chart("empty", "Nothing yet", []))
    assert root.find(f"{SVG}title").text == "Nothing yet"
    assert list(root.iter(f"{SVG}rect")) == []


@pytest.mark.parametrize("bad", ['x" onload="alert(1)', "1abc", "", "a b"])
def test_chart_id_is_checked(bad):
    with pytest.raises(ValueError):
        bar_chart(bad, "t", [])


def test_long_label_is_cut_on_screen_and_kept_whole_in_its_title():
    long_label = "Share of women among people counted at consultation meetings <b>"
    root = parse(bar_chart("c4", "t", [Bar(long_label, 1, "70 %")]))
    first = next(root.iter(f"{SVG}text"))
    assert first.text.endswith("…") and len(first.text) < len(long_label)
    assert first.find(f"{SVG}title").text == long_label
    # The label column is wide enough for the shown label: the bar starts after it.
    rect = next(root.iter(f"{SVG}rect"))
    assert float(rect.get("x")) >= len(first.text) * 7
    assert float(root.get("width")) >= float(rect.get("x")) + 300 + len("70 %") * 7
