"""The loop closed in the documents: each finding's follow-up question after the works and the
women's answers to it (better / unchanged / worse, n), in the tender annex (preview and DOCX)
and in the monitoring report (HTML and DOCX). The answers are sent through the API; a finding
with too few answers says so, one without a follow-up question shows nothing, and a prompt
with markup stays text."""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import timedelta

import docx
import pytest
from flask_babel import force_locale
from planner_users import login, make_user
from test_annex import unisolated
from test_appropriation_pages import answer
from test_zones import EAST, WEST, add_zones

from walkapp.domain.rechecks import RecheckAnswers, answers_by_finding, prompt_in
from walkapp.domain.report import Period
from walkapp.exporters import recheck_words
from walkapp.exporters.annex_docx import write_docx as annex_docx
from walkapp.exporters.report_docx import write_docx as report_docx
from walkapp.exporters.report_html import render as report_html
from walkapp.extensions import db, utcnow
from walkapp.models import Finding, Project, RecheckItem
from walkapp.services import annex as annex_service
from walkapp.services import appropriation
from walkapp.services import report as report_service
from walkapp.services.appropriation_figures import RecheckResult
from walkapp.services.photo_store import PhotoStore

pytestmark = pytest.mark.db

HOSTILE_PROMPT = "<script>alert(1)</script> L'éclairage du passage vous semble-t-il suffisant ?"
HOSTILE_PROMPT_EN = "<script>alert(2)</script> Does the underpass's lighting seem enough today?"
HOSTILE_TITLE = "Passage <b>souterrain</b> & abords"
LABEL_EN = "After the works (appropriation survey, women's answers):"
FIVE_EN = "better 3, unchanged 1, worse 1 (n = 5; “I don't know”: 1)"
FEW_EN = "not enough answers (n = 3)"


class Loop:
    def __init__(self, project_id: int, findings: list[int], planner):
        self.project_id = project_id
        self.findings = findings  # [answered by 5, answered by 3, no follow-up question]
        self.planner = planner


def _finding(project_id: int, n: int, title: str, area: dict) -> Finding:
    ring = area["coordinates"][0]
    finding = Finding(
        project_id=project_id,
        place_key=f"place-{n}",
        lat=sum(p[1] for p in ring[:4]) / 4,
        lon=sum(p[0] for p in ring[:4]) / 4,
        geometry=area,
        spot_ids=[],
        title=title,
        recommendation=f"Préconisation {n}",
        statistics={},
        created_at=utcnow() - timedelta(days=1),
    )
    db.session.add(finding)
    db.session.flush()
    return finding


@pytest.fixture
def loop(app, client, join, make_walk) -> Loop:
    """A project after the works with three findings: the first's follow-up question (its
    wording hostile) answered by six women (3 better, 1 unchanged, 1 worse, 1 don't know) and
    a man (worse, not counted), the second's by three women, the third with no question."""
    survey = make_walk(kind="appropriation_survey", stops=0)
    add_zones(survey.project_id, ("Le square <b>", WEST), ("Le passage souterrain", EAST))
    pid = survey.project_id
    first = _finding(pid, 1, HOSTILE_TITLE, EAST)
    second = _finding(pid, 2, "Le square, côté rue", WEST)
    third = _finding(pid, 3, "Les abords de l'école", WEST)
    questionnaire = appropriation.built_in_questionnaire(pid)
    rechecks = []
    for position, (finding, fr, en) in enumerate(
        [
            (first, HOSTILE_PROMPT, HOSTILE_PROMPT_EN),
            (second, "Le square vous semble-t-il mieux tenu ?", "Does the square seem better?"),
        ],
        start=1,
    ):
        recheck = RecheckItem(
            finding=finding, prompt_fr=fr, prompt_en=en, position=position, published=True
        )
        questionnaire.rechecks.append(recheck)
        rechecks.append(recheck)
    db.session.get(Project, pid).phase = "after_works"
    db.session.commit()
    one, two = (appropriation.recheck_code(r) for r in rechecks)
    women = [
        {one: "better", two: "better"},
        {one: "better", two: "better"},
        {one: "better", two: "same"},
        {one: "same"},
        {one: "worse"},
        {one: "dont_know"},
    ]
    for answers in women:
        answer(client, join, survey, {"use_frequency": "weekly", **answers})
    answer(client, join, survey, {one: "worse"}, gender="man")
    planner = make_user("ines@valenciennes-metropole.fr", projects=[pid])
    return Loop(pid, [first.id, second.id, third.id], planner)


# --- Helpers -----------------------------------------------------------------------------------


def sections(page: str) -> dict[int, str]:
    """{finding id: its section of the annex preview, unescaped}."""
    found = re.findall(r'<section id="finding-(\d+)".*?</section>', page, flags=re.S)
    bodies = re.findall(r'(<section id="finding-\d+".*?</section>)', page, flags=re.S)
    return {int(i): html.unescape(body) for i, body in zip(found, bodies, strict=True)}


def annex_document(app, project_id: int, language: str) -> tuple[docx.Document, bytes]:
    content = annex_service.annex_content(
        project_id, language=language, instance_path=app.instance_path
    )
    out = io.BytesIO()
    annex_docx(content, out, photos=PhotoStore(app.config["PHOTO_DIR"]))
    db.session.commit()
    return docx.Document(io.BytesIO(out.getvalue())), out.getvalue()


def finding_blocks(document) -> dict[int, list[str]]:
    """{finding number: the paragraphs under its heading} of section 3 of the annex DOCX."""
    blocks: dict[int, list[str]] = {}
    current = None
    for p in document.paragraphs:
        text = unisolated(p.text)
        style = p.style.name
        if style == "Heading 2" and (m := re.match(r"\w+ (\d+)\s*:", text)):  # "Constat 1 :"
            current = blocks.setdefault(int(m.group(1)), [])
        elif style == "Heading 1" or (style == "Heading 2" and current is not None):
            current = None
        elif current is not None:
            current.append(text)
    return blocks


def document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def report_of(loop: Loop, language: str = "en"):
    today = utcnow().date()
    period = Period.between(today - timedelta(days=30), today)
    return report_service.report_content(loop.planner.id, period, language=language)


# --- The domain ----------------------------------------------------------------------------------


def test_the_question_is_worded_in_the_documents_language_and_counted_from_five():
    result = RecheckResult(7, "Mieux ?", "Better?", 3, 1, 0, 4)
    [(fid, fr)] = answers_by_finding({7: result}, "fr").items()
    assert fid == 7 and fr.prompt == "Mieux ?" and fr.n == 4 and not fr.enough
    assert answers_by_finding({7: result}, "en")[7].prompt == "Better?"
    assert RecheckAnswers("x", 3, 1, 1, 0).enough  # n = 5, "don't know" apart
    assert prompt_in(RecheckResult(7, "Mieux ?", " ", 0, 0, 0, 0), "en") == "Mieux ?"


def test_the_words_say_the_counts_or_not_enough_answers(app):
    with force_locale("en"):
        assert recheck_words.answers_text(RecheckAnswers("q", 3, 1, 1, 1)) == FIVE_EN
        assert recheck_words.answers_text(RecheckAnswers("q", 2, 1, 0, 9)) == FEW_EN
    with force_locale("fr"):
        french = recheck_words.answers_text(RecheckAnswers("q", 3, 1, 1, 1))
    # French typography: no-break spaces inside « » and before the colon.
    assert french.replace("\u00a0", " ") == (
        "amélioré 3, inchangé 1, pire 1 (n = 5 ; « je ne sais pas » : 1)"
    )


# --- The annex -----------------------------------------------------------------------------------


def test_the_annex_preview_shows_each_findings_answers_after_the_works(app, loop):
    client = app.test_client()
    login(client, loop.planner)
    page = client.get(f"/planner/projects/{loop.project_id}/annex", query_string={"lang": "en"})
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "<b>souterrain</b>" not in page.text
    answered, few, silent = (sections(page.text)[i] for i in loop.findings)
    assert f"{LABEL_EN}</strong> {FIVE_EN}" in answered
    assert 'data-better="3" data-same="1" data-worse="1" data-dont-know="1"' in answered
    assert f"“<bdi>{HOSTILE_PROMPT_EN}</bdi>”" in answered  # the English wording, as text
    assert HOSTILE_PROMPT not in answered
    assert FEW_EN in few and 'data-enough="no"' in few and "better 3" not in few
    assert "data-better" not in few  # under five answers, no count is shown
    assert LABEL_EN not in silent and 'class="recheck"' not in silent


def test_the_french_preview_quotes_the_french_wording(app, loop):
    client = app.test_client()
    login(client, loop.planner)
    page = client.get(f"/planner/projects/{loop.project_id}/annex", query_string={"lang": "fr"})
    answered = sections(page.text)[loop.findings[0]]
    assert f"«\u00a0<bdi>{HOSTILE_PROMPT}</bdi>\u00a0»" in answered
    assert HOSTILE_PROMPT_EN not in answered


def test_the_annex_docx_shows_each_findings_answers_under_its_figures(app, loop):
    document, data = annex_document(app, loop.project_id, "en")
    blocks = finding_blocks(document)
    answered, few, silent = blocks[1], blocks[2], blocks[3]
    assert f"{LABEL_EN} {FIVE_EN}" in answered
    assert f"Question asked: “{HOSTILE_PROMPT_EN}”" in answered
    # Under its figures: after the spots line, before the planners' recommendation.
    at = answered.index(f"{LABEL_EN} {FIVE_EN}")
    assert at < answered.index("Recommendation of the planners")
    assert any(t.startswith("What was reported:") for t in answered[:at])
    assert f"{LABEL_EN} {FEW_EN}" in few and not any("unchanged" in t for t in few)
    assert not any(LABEL_EN in t or "Question asked" in t for t in silent)
    xml = document_xml(data)
    assert "<script>" not in xml and "&lt;script&gt;alert(2)&lt;/script&gt;" in xml
    french, _ = annex_document(app, loop.project_id, "fr")
    text = "\n".join(finding_blocks(french)[1])
    assert HOSTILE_PROMPT in text and HOSTILE_PROMPT_EN not in text


# --- The report ----------------------------------------------------------------------------------


def test_the_html_report_has_the_findings_and_their_answers_after_the_works(app, loop):
    page = report_html(report_of(loop))
    part = page[page.index('id="rechecks-title"') : page.index('id="by-project"')]
    assert "Findings and answers after the works" in part
    assert "<script>" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in part
    assert "&lt;b&gt;souterrain&lt;/b&gt;" in part
    rows = dict(re.findall(r'<tr data-finding="(\d+)"(.*?)</tr>', part, flags=re.S))
    answered, few, silent = (rows.get(str(i)) for i in loop.findings)
    assert FIVE_EN in html.unescape(answered) and 'data-n="5" data-enough="yes"' in answered
    assert FEW_EN in few and 'data-enough="no"' in few
    assert silent is None  # no follow-up question: not listed
    french = report_html(report_of(loop, "fr"))
    assert "&lt;script&gt;alert(1)" in french and HOSTILE_PROMPT in html.unescape(french)


def test_the_docx_report_has_the_findings_and_their_answers_after_the_works(app, loop):
    out = io.BytesIO()
    report_docx(report_of(loop), out)
    document = docx.Document(io.BytesIO(out.getvalue()))
    headings = [unisolated(p.text) for p in document.paragraphs if p.style.name == "Heading 2"]
    assert "Findings and answers after the works" in headings
    [table] = [
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells]
        == ["Finding", "Question asked", "Women's answers after the works"]
    ]
    rows = [[unisolated(c.text) for c in row.cells] for row in table.rows[1:]]
    assert rows == [
        [f"1. {HOSTILE_TITLE}", HOSTILE_PROMPT_EN, FIVE_EN],
        ["2. Le square, côté rue", "Does the square seem better?", FEW_EN],
    ]
    xml = document_xml(out.getvalue())
    assert "<script>" not in xml and "&lt;script&gt;alert(2)&lt;/script&gt;" in xml


def test_a_report_without_follow_up_questions_says_so(app, make_walk):
    walk = make_walk(status="closed")
    planner = make_user("lea@valenciennes-metropole.fr", projects=[walk.project_id])
    today = utcnow().date()
    report = report_service.report_content(
        planner.id, Period.between(today - timedelta(days=30), today), language="en"
    )
    assert "No finding has a follow-up question in the appropriation survey yet." in (
        report_html(report)
    )
    out = io.BytesIO()
    report_docx(report, out)
    text = [p.text for p in docx.Document(io.BytesIO(out.getvalue())).paragraphs]
    assert "No finding has a follow-up question in the appropriation survey yet." in text


def test_a_reports_follow_up_answers_stop_at_its_periods_end(app, loop):
    """A report of a past period counts the answers made by its end, not those since."""
    from walkapp.services.appropriation_figures import recheck_results

    first = loop.findings[0]
    assert recheck_results(loop.project_id)[first].n == 5
    earlier = recheck_results(loop.project_id, before=utcnow() - timedelta(hours=1))
    assert earlier[first].n == 0 and earlier[first].dont_know == 0
