"""招生结果 over the API: the incremental sync (``updated_since``), the scope of every role
(out of scope 403/404 + audit), the import of rows by the unit the setting allows with
per-row errors in the answer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xueji.admission import services
from xueji.admission.models import AdmissionResult
from xueji.audit.models import AuditEntry
from xueji.testing import api_client

from .conftest import row


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_admissions_reach_the_incremental_sync(adm):
    client = api_client(adm.users.th_registrar)
    stamp = timezone.now()
    outcome = services.import_results(adm.users.th_registrar,
                                      [(2, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))])
    (pk,) = outcome.created_ids
    since = stamp.isoformat().replace("+", "%2B")
    assert _ids(client.get(f"/api/v1/admissions/?updated_since={since}")) == {pk}
    later = timezone.now()
    assert _ids(client.get(f"/api/v1/admissions/?updated_since={later.isoformat().replace('+', '%2B')}")) == set()
    services.admit(adm.u.th_junior_registrar, [pk])
    item = client.get(f"/api/v1/admissions/{pk}/").json()
    assert item["state"] == "reviewing" and item["state_name"] == "已录取(审核中)"
    assert "*" in item["national_number"] and "*" in item["id_number"]
    assert _ids(client.get(f"/api/v1/admissions/?updated_since={later.isoformat().replace('+', '%2B')}")) == {pk}


@pytest.mark.parametrize("who, sees", [("th_registrar", True), ("gd_registrar", True), ("hz_registrar", False),
                                       ("school_registrar", False), ("th_admin", False), ("parent", False)])
def test_scope_of_every_role(adm, who, sees):
    outcome = services.import_results(adm.users.th_registrar,
                                      [(2, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))])
    (pk,) = outcome.created_ids
    client = api_client(getattr(adm.users, who))
    listed = client.get("/api/v1/admissions/")
    if listed.status_code == 200:
        assert (pk in _ids(listed)) is sees
    else:
        assert listed.status_code == 403 and not sees
    detail = client.get(f"/api/v1/admissions/{pk}/")
    assert detail.status_code == (200 if sees else 404) or (detail.status_code == 403 and not sees)
    assert client.get("/api/v1/admissions/abc/").status_code in (403, 404)


def test_the_admitting_school_sees_its_rows_and_bad_filters(adm):
    outcome = services.import_results(adm.users.th_registrar,
                                      [(2, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))])
    client = api_client(adm.u.th_junior_registrar)
    assert _ids(client.get("/api/v1/admissions/")) == set(outcome.created_ids)
    client = api_client(adm.users.th_registrar)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(f"/api/v1/admissions/?school={adm.hz_junior.code}").status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    for bad in ("state=x", "stage=1", "year=20x5", "updated_since=yesterday"):
        assert client.get(f"/api/v1/admissions/?{bad}").status_code == 400


def test_import_through_the_api_with_per_row_errors(adm):
    client = api_client(adm.users.th_registrar)
    rows = [row(adm.th_pupils[0], adm.th_primary, adm.th_junior),
            row(adm.th_pupils[1], adm.th_primary, adm.th_junior, name="错名"),
            row(adm.hz_pupils[0], adm.hz_primary, adm.hz_junior)]
    response = client.post("/api/v1/admissions/import/", rows, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rows"] == 3 and body["created"] == 1
    failed = {f["row"]: " ".join(f["messages"]) for f in body["failed"]}
    assert "与学籍号不符" in failed[2] and "不在您的数据范围内" in failed[3]
    assert AdmissionResult.objects.get(pk=body["ids"][0]).source == "api"
    # a county not allowed by the setting: every row refused
    services.save_setting(adm.users.gd_registrar, stage="2", level="1", delegate=False)
    body = client.post("/api/v1/admissions/import/", [row(adm.th_pupils[2], adm.th_primary, adm.th_junior)],
                       format="json").json()
    assert body["created"] == 0 and "由广东省教育厅导入" in body["failed"][0]["messages"][0]
    # bad bodies and roles that do not import
    for bad in ({"a": 1}, [], ["x"], [{"学籍号": 1}] * 5001):
        assert client.post("/api/v1/admissions/import/", bad, format="json").status_code == 400
    assert api_client(adm.users.th_admin).post("/api/v1/admissions/import/", rows, format="json").status_code == 403
