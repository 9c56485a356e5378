"""GET /api/v1/problems/ (F-84): the groups in scope with state, who must act, records with
masked ID numbers, incremental by ``updated_since``; a school filter out of scope 403 +
audit, a group out of scope 404 + audit; bad parameters 400, never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.common.masking import mask_national_number
from xueji.problems.models import ProblemGroup

pytestmark = pytest.mark.django_db

URL = "/api/v1/problems/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [g["id"] for g in response.json()["results"]]


def test_groups_in_scope_with_their_records(client, zoo):
    client.force_login(zoo.users.school_registrar)
    ids = _ids(client.get(URL))
    assert sorted(ids) == sorted([zoo.own.pk, zoo.two.pk, zoo.xp.pk, zoo.hist.pk, zoo.done.pk])
    data = {g["id"]: g for g in client.get(URL).json()["results"]}
    two = data[zoo.two.pk]
    assert two["state"] == "waiting" and two["state_name"] == "待学校处理" and two["overdue"] is True
    assert two["waiting_for"] == "海珠测试小学(处理)" and two["waited_working_days"] >= 20
    by_school = {m["school_code"]: m for m in two["members"]}
    mine, theirs = by_school["3440106001"], by_school["3440105001"]
    assert mine["in_scope"] and not theirs["in_scope"] and theirs["must_act"]
    assert mine["national_number"] == zoo.t3.national_number
    assert theirs["national_number"] == mask_national_number(zoo.h1.national_number) != zoo.h1.national_number
    for m in two["members"]:
        assert "*" in m["id_number"] and m["id_number"] not in (zoo.t3.id_number, zoo.h1.id_number)
    assert data[zoo.done.pk]["state"] == "resolved" and data[zoo.done.pk]["waiting_for"] == "—"


def test_incremental_and_filters(client, zoo):
    client.force_login(zoo.users.th_registrar)
    later = timezone.now() + dt.timedelta(minutes=5)
    assert _ids(client.get(URL, {"updated_since": later.isoformat()})) == []
    ProblemGroup.objects.filter(pk=zoo.two.pk).update(updated_at=later + dt.timedelta(minutes=1))
    assert _ids(client.get(URL, {"updated_since": later.isoformat()})) == [zoo.two.pk]
    assert _ids(client.get(URL, {"state": "resolved"})) == [zoo.done.pk]
    assert _ids(client.get(URL, {"kind": "no_id_duplicate"})) == [zoo.xp.pk]
    assert _ids(client.get(URL, {"historical": "true"})) == [zoo.hist.pk]
    assert zoo.hist.pk not in _ids(client.get(URL, {"historical": "false"}))
    ordered = _ids(client.get(URL))
    assert ordered[-1] == zoo.two.pk  # by change time
    for bad in ({"updated_since": "yesterday"}, {"state": "nope"}, {"kind": "x"}, {"historical": "maybe"}):
        assert client.get(URL, bad).status_code == 400
    assert client.get(URL, {"page": "abc"}).status_code == 404


def test_scope_of_the_api(client, zoo):
    u = zoo.users
    client.force_login(u.hz_school_registrar)
    assert _ids(client.get(URL)) == [zoo.two.pk]
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(f"{URL}{zoo.own.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert client.get(f"{URL}{zoo.two.pk}/").json()["id"] == zoo.two.pk
    assert client.get(f"{URL}abc/").status_code == 404
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(URL, {"school": "3440106001"}).status_code == 403
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    client.force_login(u.th_registrar)
    assert client.get(URL, {"school": "3440105001"}).status_code == 403
    assert _ids(client.get(URL, {"school": "3440106001"}))
    client.force_login(u.gz_registrar)
    assert _ids(client.get(URL, {"school": "3440105001"})) == [zoo.two.pk]
    client.force_login(u.gx_admin)
    assert _ids(client.get(URL)) == [zoo.xp.pk]
    zoo.place.c2.head_teacher = u.class_teacher
    zoo.place.c2.save()
    client.force_login(u.class_teacher)
    assert _ids(client.get(URL)) == [zoo.own.pk]
    client.force_login(u.parent)
    assert client.get(URL).status_code in (200, 403) and (client.get(URL).status_code == 403
                                                            or _ids(client.get(URL)) == [])
    client.logout()
    assert client.get(URL).status_code in (401, 403)


def test_every_writer_moves_the_change_time(client, zoo):
    """The incremental sync sees a group resolved, joined or locked by the services
    (their set-based update() writes updated_at itself)."""
    from xueji.problems import handling
    from xueji.problems import services as P
    from xueji.problems.models import ProblemKind

    client.force_login(zoo.users.th_registrar)
    since = timezone.now()
    assert _ids(client.get(URL, {"updated_since": since.isoformat()})) == []
    P.resolve_groups(ProblemKind.ID_DUPLICATE, [zoo.t3.pk], resolution="测试")
    assert _ids(client.get(URL, {"updated_since": since.isoformat()})) == [zoo.two.pk]
    since = timezone.now()
    handling.lock_groups([zoo.t1.pk], "招生期间锁定")
    assert _ids(client.get(URL, {"updated_since": since.isoformat()})) == [zoo.own.pk]
