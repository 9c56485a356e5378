"""The group page: in scope it shows the records side by side; another school gets 404 + audit."""

from __future__ import annotations

from django.db import transaction

from xueji.audit.models import AuditEntry
from xueji.problems import services as P
from xueji.problems.models import ProblemKind
from xueji.students import services as S


def test_group_page_scope(place, client):
    with transaction.atomic():
        a, b = (c.pk for c in S.create_records([place.spec(1), place.spec(2, kind="L", claim=False)]))
    (group,) = P.open_groups([P.NewGroup(ProblemKind.ID_DUPLICATE, (a, b), "身份证件号与其他学籍重复")])
    client.force_login(place.world.users.school_registrar)
    page = client.get(f"/problems/{group.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "身份证件号重复" in text and "待学校处理" in text and text.count('data-testid="problem-member"') == 2
    other = place.world.users.hz_school_registrar
    client.force_login(other)
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(f"/problems/{group.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
    assert client.get("/problems/abc/").status_code == 404
