"""HTML pages: French first, English too, escaped, protected."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from planner_users import login, make_user
from werkzeug.exceptions import InternalServerError, ServiceUnavailable

from walkapp import pages
from walkapp.extensions import db
from walkapp.models import User

TRANSLATIONS = Path(__file__).parents[1] / "walkapp" / "translations"


def test_home_is_french_by_default(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="fr">' in html and "Rejoindre une marche" in html
    assert "user-scalable" not in html  # zoom stays allowed
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_english_from_the_browser_or_the_switch(client):
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in r.get_data(as_text=True)
    r = client.get("/?lang=en")
    assert "Join a walk" in r.get_data(as_text=True)
    assert "lang=en" in r.headers["Set-Cookie"]
    assert "Join a walk" in client.get("/").get_data(as_text=True)  # remembered


def test_typed_code_goes_to_the_join_link(client, make_walk):
    walk = make_walk()
    typed = f"{walk.join_code[:4].lower()} - {walk.join_code[4:].lower()}"
    r = client.get("/join", query_string={"code": typed})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/j/{walk.join_code}")
    r = client.get("/join", query_string={"code": "0O1I"})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.get_data(as_text=True)


@pytest.mark.parametrize("status", ["planned", "open", "closed"])
def test_join_link_page_escapes_the_title(client, make_walk, status):
    walk = make_walk(status=status, title='<script>window.__pwned=1</script> & "nuit"')
    html = client.get(f"/j/{walk.join_code}").get_data(as_text=True)
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; &#34;nuit&#34;" in html


def test_unknown_join_link_is_a_404_page(client):
    """Issue 10 point 11: a 404 that offers the code field again, with the code typed."""
    r = client.get("/j/abcdefgh")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "Vérifiez le code et réessayez" in html
    assert 'id="code"' in html and 'value="ABCD-EFGH"' in html and 'aria-invalid="true"' in html


def test_planner_pages_need_a_session(client):
    r = client.get("/planner/")
    assert r.status_code == 302 and "/planner/login" in r.headers["Location"]


def test_planner_sees_projects_after_login(client, make_walk):
    walk = make_walk()
    user = User(email="admin@x.fr", role="admin")
    user.set_password("a-long-password")
    db.session.add(user)
    db.session.commit()
    r = client.post("/planner/login", data={"email": "admin@x.fr", "password": "wrong"})
    assert r.status_code == 422 and "incorrect" in r.get_data(as_text=True)
    r = client.post("/planner/login", data={"email": "ADMIN@x.fr", "password": "a-long-password"})
    assert r.status_code == 302
    html = client.get("/planner/").get_data(as_text=True)
    assert walk.join_code in html and "Place du Canada" in html


def test_a_403_page_says_who_to_ask_not_to_try_again(client, make_walk):
    walk = make_walk()
    viewer = make_user("viewer@x.fr", role="viewer", projects=[walk.project_id])
    login(client, viewer)
    r = client.get(f"/planner/projects/{walk.project_id}/events/new", query_string={"lang": "en"})
    html = r.get_data(as_text=True)
    assert r.status_code == 403
    assert "You do not have the right to do this in this project." in html
    assert "Ask the project's planner or an administrator" in html
    assert "try again" not in html.lower() and "Something went wrong" not in html
    # In French too, the old advice (« Réessayez dans un instant ») is gone.
    french = client.get(r.request.path, query_string={"lang": "fr"})
    assert french.status_code == 403 and "Réessayez" not in french.get_data(as_text=True)


def test_a_404_page_says_to_check_the_code(client):
    r = client.get("/j/ABCDEFGH", query_string={"lang": "en"})
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "This page or this code does not exist." in html
    assert "Check the code and try again." in html and "in a moment" not in html
    assert "Nothing here" in client.get("/no-such-page", query_string={"lang": "en"}).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("exc", "title"),
    [(InternalServerError(), "Something went wrong"), (ServiceUnavailable(), "Not available")],
)
def test_server_errors_are_where_trying_again_fits(app, exc, title):
    with app.test_request_context("/?lang=en"):
        body, code, _headers = pages.error_page(exc)
    assert code == exc.code and title in body and "try again in a moment" in body
    assert "You do not have the right" not in body


def test_every_status_has_its_own_advice():
    advice = {code: str(pages.error_texts(code)[1]) for code in (403, 404, 429, 500)}
    assert len(set(advice.values())) == 4  # no advice shared between them
    assert "again" not in advice[403]
    assert pages.error_texts(502) == pages.error_texts(500)
    assert pages.error_texts(405) == pages.OTHER_REQUEST_ERROR


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_login_form_refuses_a_post_without_token(self, client):
        r = client.post("/planner/login", data={"email": "a@x.fr", "password": "x"})
        assert r.status_code == 400

    def test_api_needs_no_csrf_token(self, client, make_walk):
        walk = make_walk()
        r = client.post(f"/api/v1/walks/{walk.join_code}/participants", json={"consent": True})
        assert r.status_code == 201


def test_french_catalog_is_complete_and_compiled():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        french = read_po(f)
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = read_mo(f)

    def text(value):  # a plural message's id and text are sequences of forms
        return value if isinstance(value, str) else tuple(value)

    wanted = {text(m.id) for m in template if m.id}
    assert wanted <= {text(m.id) for m in french if m.id and m.string}
    assert {text(m.id): text(m.string) for m in french if m.id} == {
        text(m.id): text(m.string) for m in compiled if m.id
    }
