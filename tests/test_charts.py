"""SVG charts: labels escaped, values printed as text, accessible names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from walkapp.domain.charts import (
    Bar,
    Group,
    SpiderSeries,
    bar_chart,
    grouped_bar_chart,
    spider_chart,
)

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


# --- The compass (spider) chart -------------------------------------------------------------------

DIMENSIONS = ["Use", "Stay", "Comfort and safety", "Legitimacy", "Night use"]
BEFORE = SpiderSeries(
    "Before",
    (55.0, 40.0, 38.9, 70.8, 33.3),
    ("55 (n = 40)", "40 (n = 40)", "39 (n = 40)", "71 (n = 40)", "33 (n = 40)"),
)
AFTER = SpiderSeries(
    "After",
    (62.0, 58.0, None, 75.0, 30.0),
    ("62 (n = 38)", "58 (n = 38)", "not enough answers", "75 (n = 38)", "30 (n = 38)"),
)
BEFORE_3 = SpiderSeries("Before", (1.0, 2.0, 3.0), ("1", "2", "3"))


def polygon_points(polygon: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]


def centre_and_radius(root: ET.Element) -> tuple[float, float, float]:
    spoke = next(root.iter(f"{SVG}line"))
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("fill") == "none"]
    return float(spoke.get("x1")), float(spoke.get("y1")), max(float(c.get("r")) for c in rings)


def test_spider_chart_draws_one_polygon_per_series_through_its_values():
    root = parse(spider_chart("compass", "Place du Canada", DIMENSIONS, [BEFORE, AFTER]))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "compass-title compass-desc"
    polygons = list(root.iter(f"{SVG}polygon"))
    assert len(polygons) == 2
    assert len(polygon_points(polygons[0])) == 5
    assert len(polygon_points(polygons[1])) == 4  # the None value draws no point
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("fill") != "none"]
    rings = [c for c in root.iter(f"{SVG}circle") if c.get("fill") == "none"]
    assert len(dots) == 9 and len(rings) == 4
    assert len(list(root.iter(f"{SVG}line"))) == 5 + 2  # the spokes, the legend's two samples
    # Each dot names its series, axis and value (a tooltip; the dashes differ in the outline).
    assert dots[5].find(f"{SVG}title").text == "After, Use: 62 (n = 38)"
    assert polygons[0].get("stroke-dasharray") is None
    assert polygons[1].get("stroke-dasharray")


def test_spider_chart_prints_every_value_with_its_series_name():
    root = parse(spider_chart("compass", "t", DIMENSIONS, [BEFORE, AFTER]))
    shown = texts(root)
    for i, axis in enumerate(DIMENSIONS):
        block = shown.index(axis)
        assert shown[block + 1] == f"Before: {BEFORE.texts[i]}"
        assert shown[block + 2] == f"After: {AFTER.texts[i]}"
    assert "After: not enough answers" in shown  # printed though it draws nothing
    assert shown[:4] == ["25", "50", "75", "100"]  # the rings' values
    assert shown[-2:] == ["Before", "After"]  # the legend
    desc = root.find(f"{SVG}desc").text  # without a desc given, the values for screen readers
    assert desc.startswith("Use — Before: 55 (n = 40), After: 62 (n = 38).")
    assert "Comfort and safety — Before: 39 (n = 40), After: not enough answers." in desc


def test_spider_points_sit_at_their_share_of_the_radius():
    series = SpiderSeries("S", (100.0, 50.0, 0.0, 250.0, -5.0), ("a", "b", "c", "d", "e"))
    root = parse(spider_chart("geo", "t", DIMENSIONS, [series]))
    cx, cy, radius = centre_and_radius(root)
    points = polygon_points(next(root.iter(f"{SVG}polygon")))
    distances = [((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 for x, y in points]
    # Full, half, the centre; above max_value stays on the outer ring, below 0 at the centre.
    assert distances == pytest.approx([radius, radius / 2, 0, radius, 0], abs=0.15)
    assert points[0] == pytest.approx((cx, cy - radius), abs=0.15)  # the first axis points up
    assert points[1][0] > cx  # then clockwise


def test_spider_rings_follow_max_value():
    series = SpiderSeries("S", (7.0, 3.5, 1.0), ("7", "3.5", "1"))
    root = parse(spider_chart("ps", "t", ["A", "B", "C"], [series], max_value=7))
    assert texts(root)[:4] == ["1.75", "3.5", "5.25", "7"]
    cx, cy, radius = centre_and_radius(root)
    (x, y), (x2, y2), _ = polygon_points(next(root.iter(f"{SVG}polygon")))
    assert (x, y) == pytest.approx((cx, cy - radius), abs=0.15)
    assert ((x2 - cx) ** 2 + (y2 - cy) ** 2) ** 0.5 == pytest.approx(radius / 2, abs=0.15)


def test_spider_chart_escapes_labels_names_and_texts():
    hostile = SpiderSeries(HOSTILE, (10.0, 20.0, None), (HOSTILE, "20", "not enough answers"))
    svg = spider_chart(
        "hostile", f"T {HOSTILE}", [HOSTILE, "B & C", "<b>D</b>"], [hostile], desc=HOSTILE
    )
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == f"T {HOSTILE}"
    assert root.find(f"{SVG}desc").text == HOSTILE  # the desc given is used as it is
    shown = texts(root)
    assert f"{HOSTILE}: {HOSTILE}" in shown
    assert "B & C" in shown and "<b>D</b>" in shown
    assert list(root.iter(f"{SVG}script")) == []  # the label stayed text
    dot = next(c for c in root.iter(f"{SVG}circle") if c.get("fill") != "none")
    assert dot.find(f"{SVG}title").text == f"{HOSTILE}, {HOSTILE}: {HOSTILE}"


def test_spider_long_axis_label_is_cut_and_kept_whole_in_its_title():
    long_label = "Night use of the underpass and the square after dark <i>"
    root = parse(spider_chart("long", "t", ["A", "B", long_label], [BEFORE_3]))
    label = next(t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("Night"))
    assert label.text.endswith("…") and len(label.text) == 28
    assert label.find(f"{SVG}title").text == long_label


def test_spider_series_without_any_value_draws_nothing_and_prints_its_texts():
    empty = SpiderSeries("After", (None, None, None), ("not enough answers",) * 3)
    root = parse(spider_chart("none", "t", ["A", "B", "C"], [BEFORE_3, empty]))
    assert len(list(root.iter(f"{SVG}polygon"))) == 1
    assert texts(root).count("After: not enough answers") == 3


@pytest.mark.parametrize("bad", ['x" onload="alert(1)', "1abc", "", "a b"])
def test_spider_chart_id_is_checked(bad):
    with pytest.raises(ValueError):
        spider_chart(bad, "t", ["A", "B", "C"], [BEFORE_3])


@pytest.mark.parametrize(
    ("axes", "series", "max_value"),
    [
        (["A", "B"], [SpiderSeries("S", (1.0, 2.0), ("1", "2"))], 100),  # too few axes
        (["A", "B", "C"], [SpiderSeries("S", (1.0, 2.0), ("1", "2", "3"))], 100),
        (["A", "B", "C"], [SpiderSeries("S", (1.0, 2.0, 3.0), ("1", "2"))], 100),
        (["A", "B", "C"], [BEFORE_3], 0),
    ],
)
def test_spider_chart_refuses_inconsistent_input(axes, series, max_value):
    with pytest.raises(ValueError):
        spider_chart("bad", "t", axes, series, max_value=max_value)
