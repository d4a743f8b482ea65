"""HTML pages: French first, English too, escaped, protected."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

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
    r = client.get("/j/ABCDEFGH")
    assert r.status_code == 404 and "Page introuvable" in r.get_data(as_text=True)


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
    wanted = {m.id for m in template if m.id}
    assert wanted <= {m.id for m in french if m.id and m.string}
    assert {m.id: m.string for m in french if m.id} == {m.id: m.string for m in compiled if m.id}
