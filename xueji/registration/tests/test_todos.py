"""The home page's 待办事项 count every step waiting for the user (issue 7 §7: the
registrar's list said 暂无待办事项 while registrations waited for their 上报)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from xueji.portal.todos import todos_for, uploads_with_failures
from xueji.registration import services
from xueji.registration.models import (
    PreschoolRequest,
    PreschoolStatus,
    Registration,
    Upload,
    UploadStatus,
)
from xueji.workflow.models import Business


def _todos(user) -> dict[str, tuple[int, str]]:
    return {t.label: (t.count, t.url) for t in todos_for(user)}


def _register(reg, *numbers):
    rows = [(i + 1, reg.row(n)) for i, n in enumerate(numbers)]
    return services.register_rows(reg.world.th_school, "primary-resident", reg.users.school_registrar, rows).passed


def test_registrar_sees_what_waits_for_their_report(reg):
    registrar, leader = reg.users.school_registrar, reg.users.school_leader
    assert "待上报的注册申请" not in _todos(registrar)
    regs = _register(reg, 1, 2, 3)
    # the leader first: three to audit
    assert _todos(leader)["待审核业务"] == (3, reverse("workflow:queue"))
    services.school_review(regs[:2], leader, True, "")
    todos = _todos(registrar)
    assert todos["待上报的注册申请"] == (2, reverse("registration:pending") + "?state=report")
    assert _todos(leader)["待审核业务"][0] == 1
    fresh = list(Registration.objects.filter(pk__in=[r.pk for r in regs[:2]]).select_related("business"))
    services.report(fresh, registrar)
    assert "待上报的注册申请" not in _todos(registrar)
    # now at the county
    assert _todos(reg.users.th_registrar)["待审核业务"][0] == 2
    assert "待审核业务" not in _todos(reg.users.hz_registrar)


def test_registrations_in_dedup_are_listed(reg):
    regs = _register(reg, 4)
    # as when the population registry could not be reached (services._verify → None)
    Business.objects.filter(pk=regs[0].business_id).update(hold=services.HOLD_DEDUP)
    todos = _todos(reg.users.school_registrar)
    assert todos["查重认证中的注册申请"] == (1, reverse("registration:pending") + "?state=dedup")
    # the leader's count is what 待审核业务 lists: the one on hold shows there with its hold's name
    _register(reg, 5)
    assert _todos(reg.users.school_leader)["待审核业务"][0] == 2
    from xueji.workflow.selectors import queue_for
    assert queue_for(reg.users.school_leader).count() == 2


def test_uploads_with_failing_rows_link_to_the_result(reg):
    registrar = reg.users.school_registrar
    school = reg.world.th_school
    upload = Upload.objects.create(school=school, entry="primary-resident", user=registrar, filename="a.xlsx",
                                   status=UploadStatus.DONE, total_rows=3, passed_rows=2, failed_rows=1)
    assert _todos(registrar)["近7日有未通过行的导入"] == (1, reverse("registration:upload_detail", args=[upload.pk]))
    Upload.objects.create(school=school, entry="primary-resident", user=registrar, filename="b.xlsx",
                          status=UploadStatus.FAILED)
    assert _todos(registrar)["近7日有未通过行的导入"] == (2, reverse("registration:index"))
    later = timezone.now() + dt.timedelta(days=8)
    assert uploads_with_failures(registrar, now=later) == []
    # clean imports and other schools' are not the registrar's business
    Upload.objects.all().update(failed_rows=0, status=UploadStatus.DONE)
    assert "近7日有未通过行的导入" not in _todos(registrar)
    Upload.objects.create(school=reg.world.hz_school, entry="primary-resident", user=reg.users.hz_school_registrar,
                          filename="c.xlsx", status=UploadStatus.FAILED)
    assert "近7日有未通过行的导入" not in _todos(registrar)


def test_preschool_matches_to_confirm_and_files_to_complete(reg):
    registrar = reg.users.school_registrar
    common = dict(school=reg.world.th_school, gender="1", birth_date=dt.date(2020, 1, 1), id_type="1",
                  created_by=registrar)
    PreschoolRequest.objects.create(name="甲", id_number="1", status=PreschoolStatus.TO_CONFIRM, **common)
    PreschoolRequest.objects.create(name="乙", id_number="2", status=PreschoolStatus.MATCHED, **common)
    PreschoolRequest.objects.create(name="丙", id_number="3", status=PreschoolStatus.MATCHED, supplement_done=True,
                                    **common)
    todos = _todos(registrar)
    assert todos["待确认的学前学籍"] == (1, reverse("registration:preschool_list") + "?status=to_confirm")
    assert todos["待补录的学前档案"] == (1, reverse("registration:preschool_supplement_list"))
    assert "待确认的学前学籍" not in _todos(reg.users.hz_school_registrar)


def test_every_todo_links_to_a_page_that_opens(client, reg):
    _register(reg, 5)
    regs = list(Registration.objects.select_related("business"))
    services.school_review(regs, reg.users.school_leader, True, "")
    for user in (reg.users.school_registrar, reg.users.school_leader, reg.users.th_registrar, reg.users.th_admin):
        client.force_login(user)
        for todo in todos_for(user):
            assert todo.url, todo
            assert client.get(todo.url).status_code == 200, (user.username, todo)


def test_home_page_lists_the_waiting_steps(client, reg):
    regs = _register(reg, 6)
    services.school_review(regs, reg.users.school_leader, True, "")
    client.force_login(reg.users.school_registrar)
    page = client.get("/").content.decode()
    assert "待上报的注册申请" in page and "暂无待办事项" not in page
    client.force_login(reg.users.data_checker)
    assert "暂无待办事项" in client.get("/").content.decode()
