"""The read API (F-84): token authentication, scope exactly like the pages, refusals audited."""

import pytest
from rest_framework.test import APIClient

from xueji.audit.models import AuditEntry
from xueji.testing import api_client as _client


def _codes(response):
    assert response.status_code == 200, response.content
    return sorted(item["code"] for item in response.json()["results"])


def test_token_required(world):
    assert APIClient().get("/api/v1/schools/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/v1/schools/").status_code == 401


@pytest.mark.parametrize("username,expected", [
    ("moe_registrar", ["3440100001", "3440105001", "3440106001", "3440106002", "3450102001"]),
    ("gd_registrar", ["3440100001", "3440105001", "3440106001", "3440106002"]),
    ("th_registrar", ["3440106001", "3440106002"]),
    ("hz_registrar", ["3440105001"]),
    ("sch_registrar", ["3440106001"]),
    ("parent1", []),
])
def test_school_list_scope(world, username, expected):
    user = next(u for u in vars(world.users).values() if u.username == username)
    assert _codes(_client(user).get("/api/v1/schools/")) == expected


def test_school_detail_outside_scope_is_404_and_audited(world):
    client = _client(world.users.th_registrar)
    assert client.get(f"/api/v1/schools/{world.th_school.pk}/").status_code == 200
    assert client.get(f"/api/v1/schools/{world.hz_school.pk}/").status_code == 404
    entry = AuditEntry.objects.filter(action="scope.denied").latest("id")
    assert entry.actor_username == "th_registrar"


@pytest.mark.parametrize("path", [
    "/api/v1/schools/?division=440105000000",
    "/api/v1/schools/?supervisor=440100000000",
    "/api/v1/grades/?school=3440105001",
    "/api/v1/classes/?school=3450102001",
    "/api/v1/divisions/?parent=450000000000",
    "/api/v1/authorities/?parent=440000000000",
])
def test_filter_outside_scope_is_refused_and_audited(world, path):
    client = _client(world.users.th_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(path).status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1


def test_filter_inside_scope(world):
    client = _client(world.users.gz_registrar)
    assert _codes(client.get("/api/v1/schools/?division=440105000000")) == ["3440105001"]
    assert _codes(client.get("/api/v1/divisions/?parent=440100000000")) == ["440105000000", "440106000000"]


def test_divisions_and_authorities_scope(world):
    client = _client(world.users.gd_registrar)
    codes = _codes(client.get("/api/v1/divisions/"))
    assert "440106000000" in codes and "450102000000" not in codes
    assert client.get("/api/v1/divisions/450102000000/").status_code == 404
    authorities = _codes(client.get("/api/v1/authorities/"))
    assert "440000000000" in authorities and "000000000000" not in authorities


def test_grades_and_classes(world):
    from xueji.org.models import Grade, SchoolClass

    mine = Grade.objects.create(school=world.th_school, stage="1", entry_year=2026)
    SchoolClass.objects.create(grade=mine, school=world.th_school, code="2026101", name="1班")
    theirs = Grade.objects.create(school=world.hz_school, stage="1", entry_year=2026)
    SchoolClass.objects.create(grade=theirs, school=world.hz_school, code="2026101", name="1班")
    client = _client(world.users.school_registrar)
    grades = client.get("/api/v1/grades/").json()["results"]
    assert [g["name"] for g in grades] == ["小学2026级"] and grades[0]["school_code"] == "3440106001"
    classes = client.get("/api/v1/classes/").json()["results"]
    assert [c["code"] for c in classes] == ["2026101"] and classes[0]["school_code"] == "3440106001"
    assert client.get(f"/api/v1/grades/{theirs.pk}/").status_code == 404


def test_incremental_sync_filter(world):
    client = _client(world.users.th_registrar)
    assert _codes(client.get("/api/v1/schools/?updated_since=2999-01-01T00:00:00Z")) == []
    assert len(_codes(client.get("/api/v1/schools/?updated_since=2000-01-01T00:00:00Z"))) == 2


def test_schema_document(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/schools/" in body and "TokenAuth" in body or "tokenAuth" in body
    # a valid header, so the browser saves it under its name (学籍 API.json), not a made-up one
    assert response["Content-Disposition"] == (
        "inline; filename=\"xueji-api.json\"; filename*=UTF-8''%E5%AD%A6%E7%B1%8D%20API.json")
    yaml = client.get("/api/v1/schema/")
    assert yaml["Content-Disposition"].endswith("API.yaml") and yaml["Content-Disposition"].isascii()


def test_api_is_read_only(world):
    client = _client(world.users.th_registrar)
    assert client.post("/api/v1/schools/", {"code": "1"}).status_code == 405
    assert client.delete(f"/api/v1/schools/{world.th_school.pk}/").status_code == 405
