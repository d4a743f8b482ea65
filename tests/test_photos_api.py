"""Photos through the API: stored stripped and resized, deduplicated, reference-counted."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import DATA, auth
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walkapp.extensions import db, utcnow
from walkapp.models import Photo, ProjectMember, StoredFile, User


@pytest.fixture
def walk(make_walk):
    return make_walk()


def new_spot(client, token) -> str:
    obs_id = str(uuid.uuid4())
    body = {
        "id": obs_id,
        "lat": 50.3561,
        "lon": 3.5187,
        "recorded_at": (utcnow() - timedelta(minutes=1)).isoformat(),
        "category": "lighting",
        "feeling": 1,
    }
    assert client.post("/api/v1/observations", headers=auth(token), json=body).status_code == 201
    return obs_id


def upload(client, token, obs_id, data: bytes, name="photo.jpg", field="photo"):
    # Encoded in memory: the test client's own encoder leaves a temporary file open.
    boundary, body = encode_multipart({field: FileStorage(io.BytesIO(data), filename=name)})
    return client.post(
        f"/api/v1/observations/{obs_id}/photos",
        headers=auth(token),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def fetch(client, url, **kwargs):
    """GET a photo and close the response (send_file streams from an open file)."""
    response = client.get(url, **kwargs)
    response.get_data()  # read it all, then let the file go
    response.close()
    return response


def stored_files(app) -> list:
    return sorted(p.name for p in (app.instance_path and _photo_dir(app)).rglob("*.jpg"))


def _photo_dir(app):
    from pathlib import Path

    return Path(app.config["PHOTO_DIR"])


def test_upload_strips_gps_and_rotates(app, client, walk, join):
    token = join(walk)[0]
    obs_id = new_spot(client, token)
    r = upload(client, token, obs_id, (DATA / "night-street-12mp.jpg").read_bytes())
    assert r.status_code == 201, r.json
    body = r.json
    assert body["observation_id"] == obs_id
    assert (body["width"], body["height"]) == (1200, 1600)  # Orientation=6 applied: portrait
    image = fetch(client, body["url"], headers=auth(token))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(image.data))
    assert stored.size == (1200, 1600)
    assert not stored.getexif() and b"Exif" not in image.data and b"GPS" not in image.data
    assert len(image.data) <= 400 * 1024
    thumb = fetch(client, body["thumbnail_url"], headers=auth(token))
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    listed = client.get("/api/v1/me/observations", headers=auth(token)).json["observations"]
    assert listed[0]["photos"] == [
        {"id": body["id"], "url": body["url"], "thumbnail_url": body["thumbnail_url"]}
    ]


def test_heic_is_accepted(client, walk, join):
    token = join(walk)[0]
    r = upload(client, token, new_spot(client, token), (DATA / "iphone-bench.heic").read_bytes())
    assert r.status_code == 201


@pytest.mark.parametrize(
    "data, name",
    [
        (b"just some text", "note.txt"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
        ((DATA / "day-path.jpg").read_bytes()[:20000], "cut.jpg"),
    ],
    ids=["text", "svg", "truncated"],
)
def test_not_a_photo_is_422_and_leaves_nothing(app, client, walk, join, data, name):
    token = join(walk)[0]
    r = upload(client, token, new_spot(client, token), data, name)
    assert r.status_code == 422 and "photo" in r.json["errors"]
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0
    assert stored_files(app) == []


def test_bomb_is_refused(client, walk, join):
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # 144 MP in a few kilobytes
    token = join(walk)[0]
    r = upload(client, token, new_spot(client, token), buffer.getvalue(), "bomb.png")
    assert r.status_code == 422


def test_missing_field_and_unknown_spot(client, walk, join):
    token = join(walk)[0]
    obs_id = new_spot(client, token)
    r = upload(client, token, obs_id, b"x", field="picture")
    assert r.status_code == 422
    data = (DATA / "lamp.png").read_bytes()
    assert upload(client, token, uuid.uuid4(), data).status_code == 404


def test_body_over_photo_limit_is_413(client, walk, join):
    token = join(walk)[0]
    big = b"\xff\xd8" + b"\0" * (21 * 1024 * 1024)
    assert upload(client, token, new_spot(client, token), big).status_code == 413


def test_same_bytes_same_spot_is_idempotent(client, walk, join):
    token = join(walk)[0]
    obs_id = new_spot(client, token)
    data = (DATA / "day-path.jpg").read_bytes()
    first, second = upload(client, token, obs_id, data), upload(client, token, obs_id, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == 1


def test_photo_urls_answer_owner_and_project_planner_only(client, walk, join):
    token = join(walk)[0]
    other = join(walk)[0]
    body = upload(client, token, new_spot(client, token), (DATA / "lamp.png").read_bytes()).json
    assert fetch(client, body["url"]).status_code == 404
    assert fetch(client, body["url"], headers=auth(other)).status_code == 404
    assert fetch(client, body["thumbnail_url"], headers=auth(other)).status_code == 404
    planner = User(email="p@x.fr")
    planner.set_password("pw-for-tests")
    db.session.add(planner)
    db.session.flush()
    db.session.add(ProjectMember(user_id=planner.id, project_id=walk.project_id, role="planner"))
    db.session.commit()
    client.post("/planner/login", data={"email": "p@x.fr", "password": "pw-for-tests"})
    assert fetch(client, body["url"]).status_code == 200


def test_shared_file_survives_one_owners_erasure(app, client, walk, join):
    data = (DATA / "day-path.jpg").read_bytes()
    alice, _code, _ = join(walk)
    bob, bob_code, _ = join(walk)
    a = upload(client, alice, new_spot(client, alice), data).json
    b = upload(client, bob, new_spot(client, bob), data).json
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 1
    files = stored_files(app)
    assert len(files) == 2  # the image and its thumbnail, once

    assert client.delete("/api/v1/me", headers=auth(alice)).status_code == 204
    assert stored_files(app) == files
    assert fetch(client, b["url"], headers=auth(bob)).status_code == 200
    assert fetch(client, a["url"], headers=auth(alice)).status_code == 404

    assert client.post("/api/v1/erasure", json={"erasure_code": bob_code}).status_code == 204
    assert stored_files(app) == []
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def test_deleting_a_spot_deletes_its_photos(app, client, walk, join):
    token = join(walk)[0]
    obs_id = new_spot(client, token)
    upload(client, token, obs_id, (DATA / "lamp.png").read_bytes())
    assert client.delete(f"/api/v1/observations/{obs_id}", headers=auth(token)).status_code == 204
    assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == 0
    assert stored_files(app) == []
