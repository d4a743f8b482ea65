"""The tender-specification annex of the demo project (Place du Canada): the DOCX opens with
python-docx and converts with LibreOffice; every confirmed finding carries clauses of the
categories it was reported for, each citing references of that finding's spots, all listed in
the appendix; the map figure is there; typed text stays plain text. Then the planner's pages:
the preview, the choice of quotes and photos (nothing by default, harassment only confirmed),
the award weights."""

from __future__ import annotations

import io
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import office
import pytest
import sqlalchemy as sa
from docx.shared import Cm
from planner_users import login, make_user

from walkapp.extensions import db
from walkapp.models import AuditEvent, Finding, Observation, Photo, Project, User
from walkapp.services import annex as service
from walkapp.services import hotspots, spot_references
from walkapp.services.demo import DEMO_EMAIL, load_demo
from walkapp.services.errors import Conflict, Invalid
from walkapp.services.observation_filter import ObservationFilter
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

DEMO_PASSWORD = "demo-password-for-tests"
HOSTILE = '<script>alert(1)</script> </w:t><w:t>&amp; "x"\x0b\u202eFIN'
HOSTILE_SHOWN = '<script>alert(1)</script> </w:t><w:t>&amp; "x"'
ERASED_EN = "withdrawn at the participant's request"
HARASSMENT_COMMENT = "Un homme m'a suivie jusqu'au parking, propos insistants"

EXPECTED_HEADINGS_EN = [
    "1. Context: the walks held",
    "Who is missing",
    "2. Map of the findings",
    "3. Findings and requirements",
    "4. The authority's equality policy",
    "5. Suggested award criteria",
    "6. Checks at reception of the works",
    "Appendix: the spots of the findings",
]


@dataclass
class Demo:
    project_id: int
    planner: User
    findings: list[Finding]
    hostile_spot: int
    harassment_spot: int
    erased_reference: str
    photo_id: int


def _comment(obs: Observation, text: str) -> None:
    obs.comment = text


@pytest.fixture
def demo(app) -> Demo:
    """The demo project with its hotspots confirmed as findings; in the first finding a spot
    with a hostile comment (quoted), a harassment report (quoted, confirmed) and a chosen photo;
    one spot of a finding erased after the references were handed out."""
    store = PhotoStore(app.config["PHOTO_DIR"])
    load_demo(store, DEMO_PASSWORD)
    db.session.commit()
    project_id = db.session.scalar(sa.select(Project.id))
    planner = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAIL))
    places = hotspots.analysis(project_id, ObservationFilter()).hotspots
    assert len(places) >= 2, "the demo should have hotspots"
    for n, place in enumerate(places, start=1):
        try:
            hotspots.confirm(
                project_id,
                place.key,
                ObservationFilter(),
                title=f"Constat {n}",
                recommendation=f"Préconisation {n} : reprendre l'éclairage et les abords.",
                user_id=planner.id,
            )
        except Conflict:  # a place sharing spots with one confirmed already: that finding
            db.session.rollback()
    db.session.commit()
    findings = service.findings_in_order(project_id)
    first = findings[0]
    spots = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Observation).where(Observation.id.in_(first.spot_ids))
        )
    }
    ordinary = next(o for o in spots.values() if o.category != "harassment")
    _comment(ordinary, HOSTILE)
    harassment = next((o for o in spots.values() if o.category == "harassment"), None)
    if harassment is None:  # the demo's first place always has some; keep the test honest
        harassment = next(o for o in spots.values() if o.id != ordinary.id)
        harassment.category = "harassment"
    _comment(harassment, HARASSMENT_COMMENT)
    db.session.commit()
    photo = db.session.scalar(
        sa.select(Photo).where(Photo.observation_id.in_(first.spot_ids)).order_by(Photo.id)
    )
    assert photo is not None, "the demo's first finding should have a photo"
    service.save_choices(
        first,
        quoted_spot_ids=[ordinary.id, harassment.id],
        photo_ids=[photo.id],
        confirmed_harassment_ids=[harassment.id],
        user_id=planner.id,
    )
    # A spot of the second finding, erased after its reference was handed out.
    spot_references.assign(project_id)
    second = findings[1]
    photo_spots = set(db.session.scalars(sa.select(Photo.observation_id)))
    victim_id = next(
        int(i)
        for i in second.spot_ids
        if int(i) not in first.spot_ids and int(i) not in photo_spots
    )
    erased_reference = spot_references.labels(project_id, [victim_id])[victim_id]
    db.session.delete(db.session.get(Observation, victim_id))
    db.session.commit()
    return Demo(
        project_id, planner, findings, ordinary.id, harassment.id, erased_reference, photo.id
    )


def build(app, demo: Demo, language: str, tmp_path: Path) -> tuple[object, Path]:
    from walkapp.exporters.annex_docx import write_docx

    content = service.annex_content(
        demo.project_id, language=language, instance_path=app.instance_path
    )
    path = tmp_path / f"annex-{language}.docx"
    with path.open("wb") as out:
        write_docx(content, out, photos=PhotoStore(app.config["PHOTO_DIR"]))
    db.session.commit()
    return content, path


def unisolated(text: str) -> str:
    """Text without the FSI and PDI that isolate typed text in the document."""
    return text.replace("\u2068", "").replace("\u2069", "")


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return unisolated("\n".join(parts))


def appendix_references(document) -> dict[str, str]:
    """{reference: the rest of its row} of the appendix (the last table)."""
    table = document.tables[-1]
    rows = {}
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        rows[cells[0]] = " | ".join(cells[1:])
    return rows


# --- The document --------------------------------------------------------------------------


def test_the_demo_annex_has_its_sections_clauses_references_map_and_plain_text(app, demo, tmp_path):
    content, path = build(app, demo, "en", tmp_path)
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert section.left_margin >= Cm(2)
    headings = [
        unisolated(p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    top = [h for h in headings if h in EXPECTED_HEADINGS_EN]
    assert top == EXPECTED_HEADINGS_EN
    assert document.paragraphs[0].style.name == "Title"

    # Every confirmed finding: a heading of its own, and at least one clause of a category it
    # was reported for, each citing only references of that finding's spots.
    appendix = appendix_references(document)
    assert len(content.findings) == len(demo.findings)
    for finding, section_data in zip(demo.findings, content.findings, strict=True):
        assert f"Finding {section_data.number}: {finding.title}" in "\n".join(headings)
        reported = {code for code, _n in section_data.categories}
        assert section_data.requirements
        assert any(set(r.categories) & reported for r in section_data.requirements)
        own = set(spot_references.labels(demo.project_id, finding.spot_ids).values())
        for req in section_data.requirements:
            assert req.references and set(req.references) <= own
            assert set(req.references) <= set(appendix), req.references
            assert f"R{section_data.number}." in "\n".join(headings)
    cited = content.cited
    assert cited and cited <= set(appendix)

    # The map figure: a PNG drawn in the document, before the findings.
    pngs = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert pngs and pngs[0].blob.startswith(b"\x89PNG")
    assert len(document.inline_shapes) >= 2  # the map and the chosen photo

    # Typed text as plain text: the hostile comment is there, escaped, with no control char.
    text = all_text(document)
    assert HOSTILE_SHOWN in text
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    assert "\x0b" not in xml
    # Chosen quotes are in; the other comments of the demo are not.
    assert HARASSMENT_COMMENT in text
    quoted_refs = {q.reference for f in content.findings for q in f.quotes}
    shown_comments = {ref for ref, row in appendix.items() if row.split(" | ")[-1]}
    assert shown_comments == quoted_refs
    # The erased spot keeps its reference, and only that.
    assert appendix[demo.erased_reference].startswith(ERASED_EN)


def test_the_annex_converts_to_pdf_with_libreoffice(app, demo, tmp_path):
    _content, path = build(app, demo, "fr", tmp_path)
    pdf = office.to_pdf(path, tmp_path)
    info = office.pdf_info(pdf)
    assert office.pages(info) >= 3
    assert office.is_a4(info)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Carlito" in fonts and "Caladea" in fonts
    text = office.pdf_text(pdf)
    assert "<script>alert(1)</script>" in text
    assert "Place du Canada" in text


def test_the_french_annex_is_tagged_french_with_its_quotes_spaced(app, demo, tmp_path):
    content, path = build(app, demo, "fr", tmp_path)
    document = docx.Document(str(path))
    with zipfile.ZipFile(path) as z:
        styles = z.read("word/styles.xml").decode()
        xml = z.read("word/document.xml").decode()
    assert 'w:val="fr-FR"' in styles
    assert 'w:ascii="Calibri"' in styles and 'w:ascii="Cambria"' in styles
    assert "«\u00a0" in xml and "\u00a0»" in xml
    assert content.language == "fr"
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == len(EXPECTED_HEADINGS_EN) - 1  # "Who is missing" is a Heading 2


def test_references_are_stable_and_an_erased_one_is_never_given_again(app, demo, tmp_path):
    first = service.annex_content(demo.project_id, language="en", instance_path=app.instance_path)
    db.session.commit()
    again = service.annex_content(demo.project_id, language="en", instance_path=app.instance_path)
    assert [r.reference for r in first.appendix] == [r.reference for r in again.appendix]
    erased = next(r for r in again.appendix if r.reference == demo.erased_reference)
    assert erased.status == "erased" and erased.category is None and erased.comment is None
    numbers = [int(r[1:]) for r in spot_references.labels(demo.project_id).values()]
    assert len(numbers) == len(set(numbers))


def test_a_harassment_report_is_not_quoted_without_its_confirmation(app, demo):
    finding = demo.findings[0]
    with pytest.raises(Invalid) as refused:
        service.save_choices(
            finding,
            quoted_spot_ids=[demo.harassment_spot],
            photo_ids=[],
            confirmed_harassment_ids=[],
            user_id=demo.planner.id,
        )
    assert refused.value.codes == {"choices": "harassment_unconfirmed"}


def test_a_spot_of_another_finding_cannot_be_quoted(app, demo):
    other = demo.findings[1]
    with pytest.raises(Invalid) as refused:
        service.save_choices(
            other,
            quoted_spot_ids=[demo.hostile_spot],
            photo_ids=[],
            confirmed_harassment_ids=[],
            user_id=demo.planner.id,
        )
    assert refused.value.codes == {"choices": "not_in_finding"}


# --- The pages -----------------------------------------------------------------------------


def sign_in_demo(client) -> None:
    r = client.post("/planner/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert r.status_code == 302


def test_the_preview_shows_the_annex_with_typed_text_escaped(app, client, demo):
    sign_in_demo(client)
    r = client.get(f"/planner/projects/{demo.project_id}/annex", query_string={"lang": "en"})
    assert r.status_code == 200
    html = r.text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('<section id="finding-') == len(demo.findings)
    assert f'id="ref-{demo.erased_reference}" data-status="erased"' in html
    assert ERASED_EN in html
    assert f"/planner/projects/{demo.project_id}/annex/map.png" in html
    for f in demo.findings:
        assert f"/planner/projects/{demo.project_id}/findings/{f.id}/annex-choices" in html
    png = client.get(f"/planner/projects/{demo.project_id}/annex/map.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG")


def test_the_preview_is_an_export_a_viewer_may_not_open(app, client, demo):
    viewer = make_user("viewer@x.fr", "viewer", projects=[demo.project_id])
    login(client, viewer)
    assert client.get(f"/planner/projects/{demo.project_id}/annex").status_code == 403
    assert client.get(f"/planner/projects/{demo.project_id}/annex/map.png").status_code == 403


def choices_url(demo: Demo, finding: Finding) -> str:
    return f"/planner/projects/{demo.project_id}/findings/{finding.id}/annex-choices"


def test_the_choices_form_ticks_nothing_on_a_new_finding_and_warns_of_harassment(app, client, demo):
    sign_in_demo(client)
    fresh = next(
        f
        for f in demo.findings[1:]
        if db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Observation)
            .where(Observation.id.in_(f.spot_ids), Observation.category == "harassment")
        )
    )
    r = client.get(choices_url(demo, fresh), query_string={"lang": "en"})
    assert r.status_code == 200
    assert " checked" not in r.text
    assert 'name="confirm_harassment"' in r.text or "Harassment report" in r.text
    assert "Harassment report" in r.text


def test_choosing_a_harassment_report_takes_the_confirmation_box(app, client, demo):
    sign_in_demo(client)
    finding = demo.findings[0]
    url = choices_url(demo, finding)
    refused = client.post(url, data={"quote": [str(demo.harassment_spot)]})
    assert refused.status_code == 422
    db.session.expire_all()
    before = db.session.get(Finding, finding.id)
    assert demo.harassment_spot in before.quoted_spot_ids  # unchanged: the fixture's choice
    # Only the harassment report, confirmed: the hostile quote and the photo go.
    ok = client.post(
        url,
        data={
            "quote": [str(demo.harassment_spot)],
            "confirm_harassment": [str(demo.harassment_spot)],
        },
    )
    assert ok.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Finding, finding.id)
    assert saved.quoted_spot_ids == [demo.harassment_spot]
    assert saved.chosen_photo_ids == []
    entry = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.target_type == "finding")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert entry.details["harassment_confirmed"] == [demo.harassment_spot]
    # A spot of another finding is no choice of this one.
    other = client.post(url, data={"quote": [str(int(demo.findings[1].spot_ids[0]))]})
    assert other.status_code == 422


def test_the_award_weights_leave_the_rest_of_100_to_the_other_criteria(app, client, demo):
    sign_in_demo(client)
    url = f"/planner/projects/{demo.project_id}/annex/award-weights"
    codes = service.criteria_codes(app.instance_path)
    assert len(codes) >= 2
    weights = {f"weight_{c}": "0" for c in codes}
    weights[f"weight_{codes[0]}"] = "70"
    weights[f"weight_{codes[1]}"] = "40"
    refused = client.post(url, data=weights, query_string={"lang": "en"})
    assert refused.status_code == 422
    assert "add up to 110: more than 100" in refused.text
    db.session.expire_all()
    assert db.session.get(Project, demo.project_id).award_weights is None
    weights[f"weight_{codes[1]}"] = "20"
    assert client.post(url, data=weights).status_code == 303
    db.session.expire_all()
    saved = db.session.get(Project, demo.project_id).award_weights
    assert saved == {codes[0]: 70, codes[1]: 20, **{c: 0 for c in codes[2:]}}
    content = service.annex_content(demo.project_id, language="en", instance_path=app.instance_path)
    assert content.custom_weights and content.award[0].weight == 70
    assert content.award_other == 10
    page = client.get(f"/planner/projects/{demo.project_id}/annex")
    assert 'data-code="other" data-weight="10"' in page.text
    assert client.post(url, data={**weights, "reset": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Project, demo.project_id).award_weights is None
    entries = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.target_type == "project", AuditEvent.action == "edit"
        )
    ).all()
    assert [e.details["award_weights"][1] for e in entries][-2:] == [saved, None]


def test_the_docx_of_a_project_without_findings_still_builds(app, make_walk, tmp_path):
    from walkapp.exporters.annex_docx import write_docx

    walk = make_walk(status="closed")
    content = service.annex_content(walk.project_id, language="en", instance_path=app.instance_path)
    out = io.BytesIO()
    write_docx(content, out, photos=PhotoStore(app.config["PHOTO_DIR"]))
    document = docx.Document(io.BytesIO(out.getvalue()))
    assert "No finding has been confirmed yet." in all_text(document)
