"""Typed text is isolated wherever a page shows it: a right-to-left override (U+202E) in a comment,
a name or a title stays inside it and cannot turn the page's own words around.

Every user-typed field of one project holds U+202E, a marker (MRK-<field>) and markup that must
stay escaped. Each planner page (and the participant's join page) is parsed; every occurrence of
a marker must be isolated:

- in element text, inside a <bdi> or an element with dir="auto" (the element itself or an
  ancestor);
- where no markup can go (<title>, <option>, the title/alt/aria-label/placeholder attributes),
  between FSI (U+2068) and PDI (U+2069); an <option> that ends with the typed text is accepted
  too (the browser shows each option apart: nothing follows the text there to turn around);
- in an input's value, on an input with dir="auto".

The map document's popups and tooltips are HTML inside its scripts: they are checked the same
way. Chart SVGs (domain/charts.py) are left out: an SVG <text> has no <bdi> nor dir.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from planner_users import login, make_user
from test_hotspots_pages import HOT, at, world  # noqa: F401 (world: fixture)
from test_planner_triage import T0, add_participant, add_spot

from walkapp.extensions import db
from walkapp.models import AuditEvent, Finding, Observation, Project, StopNote, Walk

RLO, FSI, PDI = "\u202e", "\u2068", "\u2069"
OPENERS = {"\u2066", "\u2067", FSI}  # LRI, RLI, FSI
MARKER = re.compile(r"MRK-[a-z_]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# An end tag the templates may leave out: a new sibling closes the open one.
SIBLINGS = {"option": {"option"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
            "tr": {"tr"}, "td": {"td", "th"}, "th": {"td", "th"}, "p": {"p"}}  # fmt: skip
SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}
SKIPPED = {"script", "style", "svg"}


def typed(field: str) -> str:
    """A typed value: the override first, then the marker, then markup that must stay text."""
    return f"{RLO}MRK-{field} <x-bidi>&"


def isolated_in_text(text: str, start: int) -> bool:
    """Whether text[start] lies between an isolate initiator (FSI, LRI, RLI) and its PDI."""
    depth = 0
    for char in text[:start]:
        if char in OPENERS:
            depth += 1
        elif char == PDI and depth:
            depth -= 1
    return depth > 0


class BidiChecker(HTMLParser):
    """Collects every marker that is shown without isolation, and every tag typed text made."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.skipping = 0
        self.raw: list[str] = []  # "<where>: <text>" of each marker shown raw
        self.seen: set[str] = set()  # the markers met, isolated or not
        self.injected = 0  # <x-bidi> tags: typed markup that was not escaped

    def _isolated_by_elements(self) -> bool:
        return any(tag == "bdi" or attrs.get("dir") == "auto" for tag, attrs in self.stack)

    def _where(self) -> str:
        return "/".join(tag for tag, _attrs in self.stack) or "(top)"

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "x-bidi":
            self.injected += 1
        if self.skipping:
            if tag in SKIPPED and tag not in VOID:
                self.skipping += 1
            return
        if tag in SIBLINGS:
            while self.stack and self.stack[-1][0] in SIBLINGS[tag]:
                self.stack.pop()
        self._check_attributes(tag, attrs)
        if tag in SKIPPED:
            self.skipping = 1
            return
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if not self.skipping:
            self._check_attributes(tag, attrs)

    def handle_endtag(self, tag):
        if self.skipping:
            if tag in SKIPPED:
                self.skipping -= 1
            return
        if any(t == tag for t, _attrs in self.stack):
            while self.stack:
                if self.stack.pop()[0] == tag:
                    break

    def _check_attributes(self, tag, attrs):
        for name, value in attrs.items():
            for match in MARKER.finditer(value):
                self.seen.add(match[0])
                if name == "value" and tag in ("input", "textarea"):
                    ok = attrs.get("type") == "hidden" or attrs.get("dir") == "auto"
                elif name in SHOWN_ATTRIBUTES:
                    ok = isolated_in_text(value, match.start())
                else:
                    continue  # not shown (href, data-*)
                if not ok:
                    self.raw.append(f"{self._where()}/{tag}[{name}]: {value!r}")

    def handle_data(self, data):
        if self.skipping:
            return
        for match in MARKER.finditer(data):
            self.seen.add(match[0])
            if self._isolated_by_elements() or isolated_in_text(data, match.start()):
                continue
            top = self.stack[-1][0] if self.stack else ""
            if top == "option" and not data[match.end() :].replace(" <x-bidi>&", "").strip():
                continue  # the typed text ends the option
            self.raw.append(f"{self._where()}: {data.strip()!r}")


def check(html: str) -> BidiChecker:
    checker = BidiChecker()
    checker.feed(html)
    checker.close()
    return checker


def without_isolation(html: str) -> str:
    """The page as it was before: no <bdi>, no dir="auto", no FSI ... PDI."""
    for mark in ("<bdi>", "</bdi>", ' dir="auto"', FSI, PDI):
        html = html.replace(mark, "")
    return html


def assert_isolated(html: str, *expected: str) -> set[str]:
    checker = check(html)
    assert checker.raw == [], "typed text shown without isolation:\n" + "\n".join(checker.raw)
    assert checker.injected == 0, "typed markup was not escaped"
    missing = {f"MRK-{field}" for field in expected} - checker.seen
    assert not missing, f"the page does not show {sorted(missing)}"
    # The check has teeth: without the isolation, the same page fails it.
    assert not checker.seen or check(without_isolation(html)).raw, "nothing to isolate here?"
    return checker.seen


# --- The checker itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        f"<p>{RLO}MRK-x</p>",
        f"<p>Stop 1: <span>{RLO}MRK-x</span></p>",
        f"<p><bdi>a</bdi> {RLO}MRK-x</p>",
        f'<p dir="ltr">{RLO}MRK-x</p>',
        f"<title>{RLO}MRK-x · walkapp</title>",
        f"<select><option>{RLO}MRK-x — 12/01</option></select>",
        f'<input value="{RLO}MRK-x">',
        f'<img alt="{RLO}MRK-x">',
        f'<ul><li dir="auto">a<li>{RLO}MRK-x</ul>',  # the first <li> is closed by the second
    ],
)
def test_the_checker_flags_raw_typed_text(html):
    assert check(html).raw


@pytest.mark.parametrize(
    "html",
    [
        f"<p>Stop 1: <bdi>{RLO}MRK-x</bdi> (a)</p>",
        f'<td dir="auto"><span>{RLO}MRK-x</span></td>',
        f"<title>{FSI}{RLO}MRK-x{PDI} · walkapp</title>",
        f"<select><option>{FSI}{RLO}MRK-x{PDI} — 12/01</option><option>1. {RLO}MRK-x</select>",
        f'<input value="{RLO}MRK-x" dir="auto"><img alt="{FSI}MRK-x{PDI}">',
        '<a href="/x?q=MRK-x" data-name="MRK-x">a</a><script>var a = "<p>MRK-x</p>";</script>',
    ],
)
def test_the_checker_accepts_isolated_typed_text(html):
    checker = check(html)
    assert checker.raw == [] and "MRK-x" in checker.seen


def test_the_checker_counts_unescaped_markup():
    assert check("<p>MRK-x <x-bidi>&</p>").injected == 1
    assert check("<p>MRK-x &lt;x-bidi&gt;&amp;</p>").injected == 0


def test_the_filters_escape_and_isolate(app):
    with app.test_request_context("/?lang=en"):
        env = app.jinja_env
        out = env.from_string(
            "<p>{{ x|bdi }}</p><p>{{ _('Spots of %(name)s', name=x|bdi) }}</p>"
            "<i title='{{ x|isolate }}'>{{ none|bdi }}{{ ''|isolate }}</i>"
        ).render(x="<b>&")
    assert out == (
        "<p><bdi>&lt;b&gt;&amp;</bdi></p><p>Spots of <bdi>&lt;b&gt;&amp;</bdi></p>"
        f"<i title='{FSI}&lt;b&gt;&amp;{PDI}'></i>"
    )


# --- A project typed with overrides ------------------------------------------------------------


@pytest.fixture
def typed_world(client, world):  # noqa: F811 (the fixture imported above)
    """The hotspots world (a tested hotspot of three people at HOT, a photo, two events), every
    typed field of it holding an override; an administrator signed in to see every page."""
    admin = make_user("admin@x.fr", role="admin")
    login(client, admin)
    project = db.session.get(Project, world.project_id)
    project.name, project.commune = typed("project_name"), typed("commune")
    project.description = typed("description")
    night = db.session.get(Walk, world.night_walk.id)
    night.title, night.group_description = typed("walk_title"), typed("group_description")
    night.meeting_point, night.facilitator_id = typed("meeting_point"), world.planner.id
    night.stops[0].name = typed("stop_name")
    night.stops[0].lat, night.stops[0].lon = at(HOT).values()  # names the hotspot
    db.session.get(Walk, world.other_walk.id).title = typed("other_title")
    planner = world.planner
    planner.name, planner.email = typed("user_name"), typed("user_email") + "@x.fr"
    hot = db.session.scalars(
        sa.select(Observation)
        .where(Observation.walk_id == night.id, Observation.feeling == 1)
        .order_by(Observation.recorded_at)
    ).first()  # the spot with the photo
    hot.comment = typed("comment")
    # A hidden spot (out of every figure), entered by the planner, at stop 1, the newest.
    hidden = add_spot(
        add_participant(night),
        300,
        feeling=3,
        comment=typed("hidden_comment"),
        stop_id=night.stops[0].id,
        entered_by_id=planner.id,
        hidden_at=T0,
        hidden_by_id=planner.id,
        hidden_reason=typed("hide_reason"),
        **at(HOT),
    )
    note = StopNote(walk_id=night.id, stop_id=night.stops[0].id, author_id=planner.id)
    note.text = typed("note")
    db.session.add(note)
    db.session.add(
        AuditEvent(
            user_id=planner.id,
            project_id=project.id,
            action="edit",
            target_type="walk",
            target_id=str(night.id),
            details={
                "title": [typed("audit_before"), typed("audit_after")],
                "meeting_point": typed("audit_value"),
            },
        )
    )
    db.session.commit()
    return {"world": world, "night": night.id, "hidden": hidden.id, "code": night.join_code}


def confirm_finding(client, world_) -> int:
    r = client.post(
        f"/planner/projects/{world_.project_id}/hotspots/{world_.hot}/confirm",
        data={"title": typed("finding_title"), "recommendation": typed("recommendation")},
    )
    assert r.status_code == 303, r.text
    finding = db.session.scalars(sa.select(Finding)).one()
    finding.created_by_id = world_.planner.id
    db.session.commit()
    return finding.id


def page(client, url: str, **query) -> str:
    r = client.get(url, query_string={"lang": "en", **query})
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def test_every_planner_page_isolates_typed_text(client, typed_world):
    w = typed_world["world"]
    p = f"/planner/projects/{w.project_id}"
    e = f"/planner/events/{typed_world['night']}"
    planner = w.planner.id
    # Before the finding exists: the confirmation page.
    assert_isolated(page(client, f"{p}/hotspots/{w.hot}/confirm"), "project_name", "comment")
    finding = confirm_finding(client, w)
    photo = w.hot_photo
    pages = {
        "/planner/": ("project_name", "commune", "walk_title"),
        p: ("project_name", "commune", "description", "walk_title"),
        f"{p}/edit": ("project_name", "commune", "description"),
        f"{p}/delete": ("project_name",),
        f"{p}/observations": ("comment", "walk_title"),
        f"{p}/photos": ("project_name",),
        f"{p}/photos/{photo}": ("project_name", "walk_title", "comment"),
        f"{p}/map": ("project_name", "walk_title"),
        f"{p}/hotspots": ("project_name", "stop_name", "comment", "finding_title"),
        f"{p}/findings": ("finding_title", "recommendation", "user_name", "stop_name"),
        f"{p}/findings/{finding}/edit": ("finding_title", "recommendation"),
        f"{p}/indicators": ("project_name", "walk_title"),
        f"{p}/participation": ("project_name",),
        f"{p}/daynight": ("project_name", "walk_title", "other_title"),
        f"{p}/stops": ("project_name", "walk_title", "stop_name"),
        # The residents' page's preview: the public page's own template.
        f"{p}/public": ("project_name", "commune", "finding_title", "recommendation"),
        f"{p}/audit": (
            "project_name",
            "user_name",
            "user_email",
            "audit_before",
            "audit_after",
            "audit_value",
        ),
        "/planner/admin/audit": ("project_name", "user_name", "audit_value"),
        "/planner/admin/users": ("user_name", "user_email", "project_name"),
        f"/planner/admin/users/{planner}": ("user_name", "user_email", "project_name"),
        e: (
            "project_name",
            "walk_title",
            "meeting_point",
            "user_name",
            "group_description",
            "stop_name",
            "note",
        ),
        f"{e}/edit": (
            "project_name",
            "walk_title",
            "group_description",
            "meeting_point",
            "stop_name",
            "user_name",
        ),
        f"{e}/delete": ("walk_title",),
        f"{e}/proxy": ("walk_title", "stop_name"),
        f"{e}/live": ("walk_title", "stop_name"),
        f"{e}/qr": ("walk_title", "meeting_point"),
    }
    failures = []
    for url, expected in pages.items():
        try:
            assert_isolated(page(client, url), *expected)
        except AssertionError as error:
            failures.append(f"{url}: {error}")
    assert not failures, "\n".join(failures)
    # The hidden spot is on the table when asked for: at stop 1, entered and hidden by the
    # planner, with the reason.
    hidden = page(client, f"{p}/observations", hidden="only")
    assert_isolated(hidden, "hidden_comment", "hide_reason", "stop_name", "user_name")
    # Two walks compared stop by stop: their titles head the columns.
    paired = page(client, f"{p}/daynight", a=typed_world["night"], b=w.other_walk.id)
    assert_isolated(paired, "walk_title", "other_title")


def script_fragments(html: str) -> list[str]:
    """The HTML folium keeps in its scripts: JSON strings (the markers' popups) and template
    literals (the stops' tooltips), decoded."""
    fragments = []
    for script in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S):
        for literal in re.findall(r'"(?:[^"\\]|\\.)*"', script):
            text = json.loads(literal)
            if MARKER.search(text):
                fragments.append(text)
        fragments += [t for t in re.findall(r"`([^`]*)`", script) if MARKER.search(t)]
    return fragments


def test_the_map_document_isolates_typed_text(client, typed_world):
    w = typed_world["world"]
    html = page(client, f"/planner/projects/{w.project_id}/map/document")
    assert_isolated(html, "project_name")  # its <title>
    fragments = script_fragments(html)
    seen = set()
    for fragment in fragments:
        seen |= assert_isolated(fragment)
    assert {"MRK-comment", "MRK-stop_name", "MRK-walk_title"} <= seen
    # Typed markup stays escaped in the popups and tooltips (assert_isolated: no <x-bidi> tag).
    assert "<x-bidi>" not in html and "&lt;x-bidi&gt;" in "".join(fragments)


def test_the_participant_join_page_isolates_the_walk(client, typed_world):
    html = page(client, f"/j/{typed_world['code']}")
    assert_isolated(html, "walk_title", "meeting_point")


def test_the_live_view_carries_typed_text_as_data_only(client, typed_world):
    """The live view's lists are drawn by live.js (dir="auto", <bdi>); its JSON carries the
    typed text as data, escaped for the page."""
    html = page(client, f"/planner/events/{typed_world['night']}/live")
    data = json.loads(
        re.search(r'<script type="application/json" id="live-data">(.*?)</script>', html, re.S)[1]
    )
    assert "MRK-note" in json.dumps(data["snapshot"]["notes"], ensure_ascii=False)
    assert "<x-bidi>" not in html


def test_every_typed_field_is_seeded(typed_world):
    """The fixture really typed an override into each field (the checks above rely on it)."""
    w = typed_world["world"]
    project = db.session.get(Project, w.project_id)
    assert project.name.startswith(RLO) and RLO in db.session.get(Walk, typed_world["night"]).title
    assert db.session.get(Observation, typed_world["hidden"]).hidden_reason.startswith(RLO)
