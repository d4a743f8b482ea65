"""The planner's views of the usage counts (planner/counts.py): the overview per zone and time
slot with the share of women and girls among people staying (n, interval, "not enough answers"
under 5), before/after, the periods; a zone's page (perceived gender x age group); the
choropleth map document (no external URL, a hostile zone name escaped); the rights."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from test_zones import EAST, WEST, add_zones

from walkapp.domain.intervals import wilson_interval
from walkapp.extensions import db
from walkapp.i18n import FSI, PDI
from walkapp.models import Project, Zone
from walkapp.services import counts as service
from walkapp.unit_of_work import unit

pytestmark = pytest.mark.db

# Friday 20 November 2026, 17:00 in Valenciennes: a weekday, after dark.
START = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
HOSTILE = "<img src=x onerror=alert(1)>"


# --- A small DOM, enough to find cells by their data- attributes ---------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text_parts: list[str] = []

    def text(self) -> str:
        return " ".join(
            " ".join(p.strip() for p in self.text_parts if p.strip()).split()
            + [c.text() for c in self.children if c.text()]
        )

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()
            ):
                found.append(child)
            found += child.find_all(tag, **attrs)
        return found

    def find(self, tag: str | None = None, **attrs) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]


VOID = {"br", "input", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}


class Dom(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text_parts.append(data)


def dom(response) -> Node:
    assert response.status_code == 200, response.status_code
    return Dom(response.get_data(as_text=True)).root


# --- The data ------------------------------------------------------------------------------------


def zone_id(name: str) -> int:
    return db.session.scalar(sa.select(Zone.id).where(Zone.name == name))


def counted(project_id: int, zone: str, kind: str, people, *, minutes: int = 15, user_id=None):
    """One period of `kind` in `zone` in the project's current phase, with `people`
    [(gender, age group), ...], through services.counts.sync as the phone's batch would."""
    period = service.PeriodIn(
        uuid=uuid.uuid4(),
        zone_id=zone_id(zone),
        kind=kind,
        started_at=START,
        ended_at=START + timedelta(minutes=minutes),
        weather="light_clouds",
        line="entrée rue de Paris" if kind == "moving" else "",
    )
    extra = (
        {"posture": "sitting_formal", "activity": "conversing", "group_size": "2"}
        if kind == "staying"
        else {"mode": "pedestrian_walking"}
    )
    records = [
        service.RecordIn(
            uuid=uuid.uuid4(),
            period_uuid=period.uuid,
            recorded_at=START + timedelta(minutes=1),
            gender=gender,
            age_group=age,
            **extra,
        )
        for gender, age in people
    ]
    with unit():
        service.sync(project_id, [period], records, [], user_id=user_id)


def set_phase(project_id: int, phase: str) -> None:
    db.session.get(Project, project_id).phase = phase
    db.session.commit()


SQUARE_BEFORE = [
    *[("female", "25-64")] * 3,
    ("female", "0-14"),
    *[("male", "25-64")] * 4,
    ("unknown", "65+"),
]
SQUARE_PASSING = [("female", "15-24"), ("female", "15-24"), ("male", "25-64")]
STOP_BEFORE = [("female", "25-64"), ("female", "65+"), ("male", "15-24")]
SQUARE_AFTER = [*[("female", "25-64")] * 6, ("male", "65+")]


@pytest.fixture
def project_id(make_walk):
    walk = make_walk()
    add_zones(walk.project_id, ("Le square", WEST), ("L'arrêt de bus", EAST))
    return walk.project_id


@pytest.fixture
def counter(project_id):
    return make_user(
        "camille@valenciennes-metropole.fr", "facilitator", projects=[project_id], name="Camille"
    )


@pytest.fixture
def counts(app, project_id, counter):
    """Both phases: the diagnostic (both zones, people passing for 5 minutes only), then after
    the works (the square again)."""
    counted(project_id, "Le square", "staying", SQUARE_BEFORE, user_id=counter.id)
    counted(project_id, "Le square", "moving", SQUARE_PASSING, minutes=5, user_id=counter.id)
    counted(project_id, "L'arrêt de bus", "staying", STOP_BEFORE, user_id=counter.id)
    set_phase(project_id, "after_works")
    counted(project_id, "Le square", "staying", SQUARE_AFTER, user_id=counter.id)
    return project_id


@pytest.fixture
def planner_client(app, project_id):
    planner = make_user("paula@valenciennes-metropole.fr", "planner", projects=[project_id])
    client = app.test_client()
    login(client, planner)
    return client


def row(page: Node, zone: int, slot: str = "all") -> Node:
    return page.find(id=f"slots-{zone}").find("tr", data_slot=slot)


# --- The overview --------------------------------------------------------------------------------


def test_the_counts_page_gives_each_zone_its_people_and_share(counts, planner_client):
    url = f"/planner/projects/{counts}/counts?lang=en&phase=diagnostic"
    page = dom(planner_client.get(url))
    square, stop = zone_id("Le square"), zone_id("L'arrêt de bus")
    assert "perceived" in page.find(id="counts-definition").text()

    whole = row(page, square)
    assert (whole.attrs["data-staying"], whole.attrs["data-moving"]) == ("9", "3")
    share = whole.find("td", data_staying_share="0.5")
    assert "50.0 %" in share.text()
    interval = wilson_interval(4, 8)
    assert f"{interval.low * 100:.1f} % to {interval.high * 100:.1f} %" in share.text()
    n = whole.find("td", data_staying_n="8")
    assert n.attrs["data-staying-unknown"] == "1" and "undetermined: 1" in n.text()
    # Three people passing: under 5, no share.
    passing = whole.find("td", data_moving_share="")
    assert "not enough answers" in passing.text()
    assert whole.find("td", data_moving_n="3")
    # The evening's row is the whole here (one slot counted).
    evening = row(page, square, "weekday_evening")
    assert evening.attrs["data-staying"] == "9"
    assert "Weekday, evening" in evening.text()

    stop_row = row(page, stop)
    assert stop_row.find("td", data_staying_share="").text().startswith("not enough answers")
    assert stop_row.find("td", data_staying_n="3")

    # The zone's name links to its page.
    link = page.find(id=f"zone-counts-{square}").find("a")
    assert link.attrs["href"] == f"/planner/projects/{counts}/zones/{square}"
    assert link.text() == "Le square"


def test_every_phase_together_and_each_phase_apart(counts, planner_client):
    base = f"/planner/projects/{counts}/counts?lang=en"
    square = zone_id("Le square")
    every = row(dom(planner_client.get(base)), square)
    assert every.attrs["data-staying"] == str(len(SQUARE_BEFORE) + len(SQUARE_AFTER))
    assert every.find("td", data_staying_n="15")
    assert every.find("td", data_staying_share=str(10 / 15))

    after = dom(planner_client.get(base + "&phase=after_works"))
    assert row(after, square).find("td", data_staying_share=str(6 / 7))
    stop = zone_id("L'arrêt de bus")
    assert not after.find_all(id=f"slots-{stop}")
    selected = after.find(id="f-phase").find("option", value="after_works")
    assert "selected" in selected.attrs

    works = dom(planner_client.get(base + "&phase=works"))
    assert "Nobody counted yet in this phase." in works.find(id="no-counts").text()
    # An unknown phase is dropped: every phase.
    odd = dom(planner_client.get(base + "&phase=nonsense"))
    assert row(odd, square).attrs["data-staying"] == "16"


def test_before_and_after_gives_each_share_its_n_and_the_change(counts, planner_client):
    page = dom(planner_client.get(f"/planner/projects/{counts}/counts?lang=en"))
    rows = page.find(id="before-after").find_all("tr", data_zone=str(zone_id("Le square")))
    assert len(rows) == 1
    (change,) = rows
    assert float(change.attrs["data-change"]) == pytest.approx(6 / 7 - 0.5)
    assert change.find("td", data_before_share="0.5") and change.find("td", data_before_n="8")
    assert change.find("td", data_after_share=str(6 / 7)) and change.find("td", data_after_n="7")
    assert "+35.7 points" in change.text()
    # The bus stop was not counted after the works.
    assert not page.find(id="before-after").find_all("tr", data_zone=str(zone_id("L'arrêt de bus")))


def test_the_periods_are_listed_with_their_counter_and_the_short_ones_flagged(
    counts, planner_client
):
    page = dom(planner_client.get(f"/planner/projects/{counts}/counts?lang=en"))
    periods = page.find(id="periods").find_all("tr", data_kind="staying")
    assert sorted(int(p.attrs["data-n"]) for p in periods) == [3, 7, 9]
    (passing,) = page.find(id="periods").find_all("tr", data_kind="moving")
    assert passing.attrs["data-short"] == "yes"
    assert "shorter than 10 minutes" in passing.text()
    assert "entrée rue de Paris" in passing.text() and "Camille" in passing.text()
    assert "Light clouds" in passing.text() and "Le square" in passing.text()
    # 17:00 in Valenciennes (the project's time zone), not 16:00 UTC.
    assert "5:00" in passing.text()
    assert all(p.attrs["data-short"] == "no" for p in periods)
    # The planner may count and export.
    assert page.find(id="count-now").attrs["href"] == f"/planner/projects/{counts}/count"
    assert page.find(id="counts-export")


# --- A zone's page -------------------------------------------------------------------------------


def tally(page: Node, slot: str, kind: str) -> dict[tuple[str, str], int]:
    table = page.find("table", data_slot=slot, data_kind=kind)
    return {
        (tr.attrs["data-gender"], td.attrs["data-age"]): int(td.attrs["data-n"])
        for tr in table.find_all("tr")
        if "data-gender" in tr.attrs
        for td in tr.find_all("td")
    }


def expected(people) -> dict[tuple[str, str], int]:
    genders, ages = ("female", "male", "unknown"), ("0-14", "15-24", "25-64", "65+")
    cells = {(g, a): sum(1 for p in people if p == (g, a)) for g in genders for a in ages}
    for g in genders:
        cells[(g, "total")] = sum(cells[(g, a)] for a in ages)
    for a in (*ages, "total"):
        cells[("total", a)] = sum(cells[(g, a)] for g in genders)
    return cells


def test_the_zone_page_gives_the_people_by_perceived_gender_and_age(counts, planner_client):
    square = zone_id("Le square")
    base = f"/planner/projects/{counts}/zones/{square}?lang=en"
    page = dom(planner_client.get(base + "&phase=diagnostic"))
    assert "Le square" in page.find("h1").text()
    assert page.find(id="zone-spots").attrs["data-spots"] == "0"
    assert tally(page, "all", "staying") == expected(SQUARE_BEFORE)
    assert tally(page, "weekday_evening", "staying") == expected(SQUARE_BEFORE)
    assert tally(page, "all", "moving") == expected(SQUARE_PASSING)
    assert row(page, square).find("td", data_staying_share="0.5")
    assert page.find(id="before-after").find("tr", data_zone=str(square))
    assert len(page.find(id="periods").find_all("tr", data_kind="staying")) == 1

    every = dom(planner_client.get(base))
    assert tally(every, "all", "staying") == expected(SQUARE_BEFORE + SQUARE_AFTER)
    assert len(every.find(id="periods").find_all("tr", data_short="no")) == 2


def test_the_zones_page_links_each_zone_to_its_page(counts, planner_client):
    page = dom(planner_client.get(f"/planner/projects/{counts}/zones?lang=en"))
    square = zone_id("Le square")
    link = page.find("tr", id=f"zone-{square}").find("a")
    assert link.attrs["href"] == f"/planner/projects/{counts}/zones/{square}"


def test_a_zone_of_another_project_is_not_found(counts, planner_client, make_walk):
    other = make_walk()
    add_zones(other.project_id, ("Ailleurs", WEST))
    elsewhere = zone_id("Ailleurs")
    assert planner_client.get(f"/planner/projects/{counts}/zones/{elsewhere}").status_code == 404
    assert planner_client.get(f"/planner/projects/{counts}/zones/999999").status_code == 404


# --- The map -------------------------------------------------------------------------------------

EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""")


def test_the_map_loads_nothing_from_elsewhere_and_escapes_a_hostile_name(
    app, counts, planner_client
):
    with unit():
        zone = db.session.get(Zone, zone_id("L'arrêt de bus"))
        zone.name = HOSTILE
    r = planner_client.get(f"/planner/projects/{counts}/counts/map?lang=en&phase=diagnostic")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    assert HOSTILE not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the tooltip, escaped
    # Every script carries the response's nonce; nothing else may run.
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    # The legend: what the colour is, and each zone's share with its n.
    legend = json.loads(re.search(r"walkappMap\.legend\([^,]+, (\{.*\})\);", html).group(1))
    texts = [item["text"].replace(FSI, "").replace(PDI, "") for item in legend["items"]]
    assert texts[0] == "Share of women and girls among people staying (perceived)"
    assert "Le square: 50.0 % (n = 8)" in texts
    assert f"{HOSTILE}: not enough answers (n = 3)" in texts  # JSON, written with textContent
    # The grey of "not enough people" is the bus stop's.
    assert "#bdbdbd" in html

    page = dom(planner_client.get(f"/planner/projects/{counts}/counts?lang=en"))
    frame = page.find("iframe", id="counts-map")
    assert frame.attrs["src"].startswith(f"/planner/projects/{counts}/counts/map")
    raw = planner_client.get(f"/planner/projects/{counts}/counts?lang=en").get_data(as_text=True)
    assert HOSTILE not in raw


def test_an_empty_project_has_a_map_and_a_page(app, project_id, planner_client):
    page = dom(planner_client.get(f"/planner/projects/{project_id}/counts?lang=en"))
    assert page.find(id="no-counts")
    r = planner_client.get(f"/planner/projects/{project_id}/counts/map?lang=en")
    assert r.status_code == 200 and "nobody counted staying" in r.get_data(as_text=True)


# --- Rights --------------------------------------------------------------------------------------


def test_a_viewer_reads_and_an_outsider_finds_nothing(app, counts, client):
    square = zone_id("Le square")
    urls = [
        f"/planner/projects/{counts}/counts?lang=en",
        f"/planner/projects/{counts}/zones/{square}?lang=en",
        f"/planner/projects/{counts}/counts/map?lang=en",
    ]
    viewer = make_user("vera@valenciennes-metropole.fr", "viewer", projects=[counts])
    login(client, viewer)
    for url in urls:
        assert client.get(url).status_code == 200, url
    page = dom(client.get(urls[0]))
    assert not page.find_all(id="count-now") and not page.find_all(id="counts-export")

    stranger = make_user("sam@ailleurs.fr", "planner")
    login(client, stranger)
    for url in urls:
        assert client.get(url).status_code == 404, url

    signed_out = app.test_client()
    for url in urls:
        assert signed_out.get(url).status_code in (302, 401), url
