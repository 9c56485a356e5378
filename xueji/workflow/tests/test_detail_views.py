"""The business detail page in Chinese: labelled content (code-名称, dates, masked ID
numbers), the audited 查看 action for full numbers, the chain with party, unit and level
names, the decisions — never a raw dict, an English key or a full ID number unasked."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.workflow import payloads, registry, services

from .conftest import make_student, no_effect

ID = "440106201001010011"
PARENT_ID = "440106198001010016"

CHANGE = payloads.Schema("测试关键数据变更", (
    payloads.Field("id_number", "身份证件号", "change", inner="id_number"),
    payloads.Field("gender", "性别", "change", inner="code", code_table="gender"),
    payloads.Field("reason", "变更原因"),
    payloads.Field("date", "申请日期", "date"),
    payloads.Field("verification", "认证结果", "verification"),
    payloads.Field("guardian", "监护人", "record", fields=(
        payloads.Field("name", "姓名"), payloads.Field("id_number", "身份证件号", "id_number"),
        payloads.Field("phone", "联系电话", "phone"),
    )),
))
PAYLOAD = {
    "id_number": {"before": "440106201001010038", "after": ID},
    "gender": {"before": "2", "after": "1"},
    "reason": "户籍信息更正",
    "date": "2026-09-01",
    "verification": {"status": "failed", "note": "姓名与身份证件号不一致"},
    "guardian": {"name": "王大明", "id_number": PARENT_ID, "phone": "13912345678"},
}


@pytest.fixture
def change_type():
    registry.set_handlers("key_change", on_complete=no_effect, payload=CHANGE, facts=None, fact_columns=())
    return "key_change"


def _main(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def _change(world, change_type):
    return services.initiate(kind=change_type, school=world.th_school, applicant=world.users.school_registrar,
                             student=make_student(world.th_school, name="王小明"), stage="1", summary="王小明关键数据变更",
                             payload=PAYLOAD)


def test_detail_shows_labelled_masked_content(client, world, change_type):
    business = _change(world, change_type)
    client.force_login(world.users.school_leader)
    page = _main(client.get(reverse("workflow:business_detail", args=[business.pk])))
    for text in ("身份证件号", "4401**********0038 → 4401**********0011", "2-女 → 1-男", "户籍信息更正", "2026-09-01",
                 "认证不通过(姓名与身份证件号不一致)", "监护人", "王大明", "4401**********0016", "139****5678",
                 "测试关键数据变更", "学校:天河测试小学", "主管教育局:天河区教育局", "待审核", "未到达"):
        assert text in page, text
    assert ID not in page and PARENT_ID not in page and "13912345678" not in page
    assert not re.search(r"\{'|\bschool\b|\bsupervisor\b|id_number|verification|before|after", page)
    assert 'data-testid="reveal-form"' in page


def test_reveal_is_post_permission_checked_and_audited(client, world, change_type):
    business = _change(world, change_type)
    url = reverse("workflow:business_reveal", args=[business.pk])
    client.force_login(world.users.th_registrar)
    assert client.get(url).status_code == 405
    before = AuditEntry.objects.filter(action="workflow.revealed").count()
    response = client.post(url)
    assert response.status_code == 200
    page = _main(response)
    assert ID in page and PARENT_ID in page and "13912345678" in page and "已记入审计日志" in page
    entry = AuditEntry.objects.filter(action="workflow.revealed").latest("pk")
    assert AuditEntry.objects.filter(action="workflow.revealed").count() == before + 1
    assert entry.actor_username == "th_registrar" and entry.object_id == str(business.pk)
    # the page after it is masked again
    assert ID not in _main(client.get(reverse("workflow:business_detail", args=[business.pk])))


@pytest.mark.parametrize(("username", "status"), [
    ("sch_registrar", 200), ("sch_leader", 200), ("th_registrar", 200), ("gz_registrar", 200),
    ("moe_registrar", 200),
    ("sch_checker", 403), ("th_admin", 403), ("gd_admin", 403),
    ("hz_registrar", 404), ("hz_sch_registrar", 404), ("sch_teacher", 404), ("parent1", 404), ("gx_admin", 404),
])
def test_reveal_for_every_role(client, world, change_type, username, status):
    business = _change(world, change_type)
    user = next(u for u in vars(world.users).values() if u.username == username)
    client.force_login(user)
    denied = AuditEntry.objects.filter(action="scope.denied").count()
    response = client.post(reverse("workflow:business_reveal", args=[business.pk]))
    assert response.status_code == status
    revealed = AuditEntry.objects.filter(action="workflow.revealed").count()
    assert revealed == (1 if status == 200 else 0)
    assert AuditEntry.objects.filter(action="scope.denied").count() - denied == (1 if status == 404 else 0)
    if status != 200:
        assert ID.encode() not in response.content
        detail = client.get(reverse("workflow:business_detail", args=[business.pk]))
        if detail.status_code == 200:
            assert 'data-testid="reveal-form"' not in detail.content.decode()


def test_non_numeric_ids_are_404_not_500(client, world):
    client.force_login(world.users.th_registrar)
    for path in ("/workflow/businesses/x/", "/workflow/businesses/x/reveal/", "/workflow/businesses/1x/decide/",
                 "/workflow/batches/%20/", "/workflow/businesses/99999999/"):
        assert client.get(path).status_code == 404, path


def test_a_decided_business_lists_its_decisions_in_chinese(client, world, change_type):
    business = _change(world, change_type)
    services.decide(business, world.users.school_leader, True, "同意")
    services.decide(business, world.users.th_registrar, False, "材料不全")
    client.force_login(world.users.school_registrar)
    page = _main(client.get(reverse("workflow:business_detail", args=[business.pk])))
    assert "审核不通过" in page and "材料不全" in page and "学校" in page and "主管教育局" in page
    assert "passed" not in page and "failed" not in page and "open" not in page


def test_queue_shows_the_registration_facts_column_only_for_types_that_have_them(client, world, change_type):
    _change(world, change_type)
    client.force_login(world.users.school_leader)
    page = _main(client.get(reverse("workflow:queue")))
    assert "王小明" in page and "<th>查重认证</th>" not in page
    assert client.get(reverse("workflow:queue") + "?kind=nonsense&group=nonsense&school=x&q=" + "长" * 80
                      ).status_code == 200


def test_school_wide_review_within_one_group_of_types(client, world, change_type, registration_like):
    u = world.users
    change = _change(world, change_type)
    registration = services.initiate(kind=registration_like, school=world.th_school, applicant=u.school_registrar,
                                     stage="1", summary="新生 李四", payload={"name": "李四"})
    client.force_login(u.school_leader)
    page = _main(client.get(reverse("workflow:queue") + f"?group=学籍注册&school={world.th_school.pk}"))
    assert "新生 李四" in page and "王小明关键数据变更" not in page and "可审核 1 件" in page
    client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": world.th_school.pk,
                                                   "group": "学籍注册", "decision": "pass"})
    change.refresh_from_db()
    registration.refresh_from_db()
    assert registration.position == 1 and change.position == 0
