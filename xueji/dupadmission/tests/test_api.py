"""GET /api/v1/admission-duplicates/ (F-84): the duplicates with an admitting school in
scope, masked numbers, incremental by ``updated_since`` (the handling's changes count);
a school filter out of scope 403 + audit, a duplicate out of scope 404 + audit, bad
parameters 400, never 500."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from xueji.admission.models import DuplicateAdmission
from xueji.audit.models import AuditEntry
from xueji.dupadmission.models import DuplicateCase

from .test_services import evidence, passed

URL = "/api/v1/admission-duplicates/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [d["id"] for d in response.json()["results"]]


def test_duplicates_in_scope_with_their_members(client, dw):
    one = dw.dup(dw.th1, dw.hz)
    two = dw.dup(dw.ft, dw.xn)
    passed(dw, one, dw.th1)
    client.force_login(dw.th1_reg)
    assert _ids(client.get(URL)) == [one.pk]
    (data,) = client.get(URL).json()["results"]
    assert data["state"] == "evidence" and data["state_name"] == "待佐证核办" and data["stage"] == "2-初中"
    assert "*" in data["id_number"] and data["id_number"] != one.student.id_number
    assert data["national_number"] != one.student.national_number
    by_school = {m["school_code"]: m for m in data["members"]}
    assert by_school[dw.th1.code]["evidence_name"] == "核办通过" and by_school[dw.hz.code]["evidence"] == ""
    client.force_login(dw.users.gd_registrar)
    assert sorted(_ids(client.get(URL))) == sorted([one.pk, two.pk])
    client.force_login(dw.users.gz_registrar)  # 福田 is 深圳's, 兴宁 广西's: only 天河+海珠
    assert _ids(client.get(URL)) == [one.pk]
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(f"{URL}{two.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert client.get(f"{URL}{one.pk}/").json()["id"] == one.pk
    assert client.get(f"{URL}abc/").status_code == 404
    for nobody in (dw.users.parent, dw.users.class_teacher, dw.users.th_admin):
        client.force_login(nobody)
        response = client.get(URL)
        assert response.status_code == 403 or _ids(response) == [], nobody.username


def test_incremental_and_filters(client, dw):
    one = dw.dup(dw.th1, dw.hz)
    two = dw.dup(dw.th1, dw.th2)
    client.force_login(dw.users.gz_registrar)
    later = timezone.now() + dt.timedelta(minutes=5)
    assert _ids(client.get(URL, {"updated_since": later.isoformat()})) == []
    evidence(dw, one, dw.th1)  # the handling changed: the case's time counts
    DuplicateCase.objects.filter(duplicate=one).update(updated_at=later + dt.timedelta(minutes=1))
    assert _ids(client.get(URL, {"updated_since": later.isoformat()})) == [one.pk]
    assert _ids(client.get(URL))[-1] == one.pk  # ordered by change time
    DuplicateAdmission.objects.filter(pk=two.pk).update(resolved=True)
    assert _ids(client.get(URL, {"state": "resolved"})) == [two.pk]
    assert _ids(client.get(URL, {"state": "open"})) == [one.pk]
    assert _ids(client.get(URL, {"school": dw.hz.code})) == [one.pk]
    assert sorted(_ids(client.get(URL, {"year": str(dw.year)}))) == sorted([one.pk, two.pk])
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(URL, {"school": dw.ft.code}).status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    for bad in ({"updated_since": "yesterday"}, {"state": "nope"}, {"year": "20x5"}, {"year": "99999"}):
        assert client.get(URL, bad).status_code == 400, bad
    assert client.get(URL, {"page": "abc"}).status_code == 404
