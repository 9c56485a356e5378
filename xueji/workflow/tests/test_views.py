"""The workflow pages: scope (404 and an audit entry outside it), roles, review from the
queue and the detail page, materials served only through the permission check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.portal.menu import menu_for
from xueji.portal.todos import todos_for
from xueji.workflow import registry, services
from xueji.workflow.models import Business, BusinessWindow, ProcessConfig

from .conftest import make_student

pytestmark = pytest.mark.urls("xueji.workflow.tests.urls")


def _denied() -> int:
    return AuditEntry.objects.filter(action="scope.denied").count()


def _business(world, school=None, applicant=None, **extra):
    school = school or world.th_school
    applicant = applicant or (world.users.school_registrar if school == world.th_school
                              else world.users.hz_school_registrar)
    student = make_student(school)
    return services.initiate(kind="suspend", school=school, applicant=applicant, student=student, stage="1",
                             summary=f"{student.name}休学", payload={"reason": "身体原因"}, **extra)


# --- 业务详情 and scope ----------------------------------------------------------------------
@pytest.mark.parametrize("username,status", [
    ("sch_registrar", 200), ("sch_leader", 200), ("th_registrar", 200), ("gz_registrar", 200),
    ("gd_admin", 200), ("moe_registrar", 200),
    ("hz_registrar", 404), ("hz_sch_registrar", 404), ("gx_admin", 404), ("parent1", 404),
    ("sch_teacher", 404),
])
def test_business_detail_scope(client, world, username, status):
    business = _business(world)
    user = next(u for u in vars(world.users).values() if u.username == username)
    client.force_login(user)
    before = _denied()
    response = client.get(reverse("workflow:business_detail", args=[business.pk]))
    assert response.status_code == status
    assert _denied() - before == (1 if status == 404 else 0)
    if status == 200:
        page = response.content.decode()
        assert business.summary in page and "身体原因" in page and "天河区教育局" in page


def test_detail_shows_decision_form_only_to_the_reviewer_of_the_step(client, world):
    business = _business(world)
    client.force_login(world.users.school_leader)
    assert 'data-testid="decide-form"' in client.get(reverse("workflow:business_detail", args=[business.pk])).content.decode()
    client.force_login(world.users.th_registrar)
    assert 'data-testid="decide-form"' not in client.get(reverse("workflow:business_detail", args=[business.pk])).content.decode()


def test_review_from_detail_page(client, world):
    business = _business(world)
    client.force_login(world.users.school_leader)
    url = reverse("workflow:business_decide", args=[business.pk])
    response = client.post(url, {"decision": "fail", "opinion": ""}, follow=True)
    assert "审核不通过时必须填写审核意见" in response.content.decode()
    client.post(url, {"decision": "pass", "opinion": "同意"})
    business.refresh_from_db()
    assert business.current_level == "supervisor"
    # the leader can't decide again at the county's step
    assert client.post(url, {"decision": "pass"}).status_code == 403
    client.force_login(world.users.th_registrar)
    client.post(url, {"decision": "pass"})
    business.refresh_from_db()
    assert business.status == "passed"


def test_school_leader_cannot_review_another_schools_business(client, world, more):
    business = _business(world)
    client.force_login(more.hz_leader)
    before = _denied()
    response = client.post(reverse("workflow:business_decide", args=[business.pk]), {"decision": "pass"})
    assert response.status_code == 404 and _denied() == before + 1
    response = client.post(reverse("workflow:queue_decide"), {"mode": "selected", "ids": [business.pk],
                                                               "decision": "pass"})
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.current_level == "school" and not business.decisions.exists()
    # a leader of a school in the same county
    client.force_login(more.th_leader2)
    assert client.post(reverse("workflow:business_decide", args=[business.pk]),
                       {"decision": "pass"}).status_code == 404


def test_county_registrar_cannot_open_another_countys_business(client, world):
    business = _business(world, school=world.hz_school)
    client.force_login(world.users.th_registrar)
    before = _denied()
    assert client.get(reverse("workflow:business_detail", args=[business.pk])).status_code == 404
    assert client.post(reverse("workflow:business_decide", args=[business.pk]), {"decision": "pass"}).status_code == 404
    assert _denied() == before + 2
    entry = AuditEntry.objects.filter(action="scope.denied").latest("id")
    assert entry.actor_username == "th_registrar" and str(business.pk) in entry.summary


def test_withdraw_from_detail_page(client, world):
    business = _business(world)
    client.force_login(world.users.school_leader)
    assert client.post(reverse("workflow:business_withdraw", args=[business.pk])).status_code == 403
    client.force_login(world.users.school_registrar)
    client.post(reverse("workflow:business_withdraw", args=[business.pk]))
    business.refresh_from_db()
    assert business.status == "withdrawn"


# --- 待审核业务 --------------------------------------------------------------------------------
def test_queue_and_batch_review_of_a_selection(client, world):
    first, second, held = _business(world), _business(world), _business(world, hold=registry.DEDUP_PENDING)
    client.force_login(world.users.school_leader)
    page = client.get(reverse("workflow:queue")).content.decode()
    assert first.summary in page and second.summary in page and held.summary in page
    # The G number is "G" + the ID number: masked in the list like the ID (DECISIONS #15).
    number = first.student.national_number
    assert number not in page and "G" + number[1:5] + "*" * 10 + number[-4:] in page
    assert f'name="ids" value="{held.pk}"' not in page  # on hold: not selectable
    response = client.post(reverse("workflow:queue_decide"), {
        "mode": "selected", "ids": [first.pk, held.pk], "decision": "pass", "opinion": "同意",
    }, follow=True)
    assert "审核通过1件业务" in response.content.decode()
    states = dict(Business.objects.values_list("pk", "current_level"))
    assert states == {first.pk: "supervisor", second.pk: "school", held.pk: "school"}


def test_batch_review_of_everything_pending_in_a_school(client, world):
    businesses = [_business(world) for _ in range(3)]
    services.decide_many(businesses, world.users.school_leader, True)
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("workflow:queue"), {"school": world.th_school.pk}).content.decode()
    assert "全部审核:天河测试小学(可审核 3 件)" in page
    response = client.post(reverse("workflow:queue_decide"), {
        "mode": "school", "school": world.th_school.pk, "decision": "fail", "opinion": "",
    }, follow=True)
    assert "审核不通过时必须填写审核意见" in response.content.decode()
    client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": world.th_school.pk,
                                                   "decision": "pass"})
    assert set(Business.objects.values_list("status", flat=True)) == {"passed"}


def test_batch_review_of_a_school_out_of_scope_is_refused(client, world):
    _business(world, school=world.hz_school)
    client.force_login(world.users.th_registrar)
    before = _denied()
    response = client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": world.hz_school.pk,
                                                              "decision": "pass"})
    assert response.status_code == 404 and _denied() == before + 1


@pytest.mark.parametrize("username", ["sch_registrar", "sch_teacher", "th_admin", "parent1"])
def test_queue_is_for_reviewers_only(client, world, username):
    user = next(u for u in vars(world.users).values() if u.username == username)
    client.force_login(user)
    assert client.get(reverse("workflow:queue")).status_code == 403


# --- materials -------------------------------------------------------------------------------
def test_material_upload_and_permission_checked_download(client, world, png, settings):
    business = _business(world)
    client.force_login(world.users.school_registrar)
    client.post(reverse("workflow:material_upload", args=[business.pk]),
                {"file": SimpleUploadedFile("证明.png", png, content_type="image/png")})
    bad = client.post(reverse("workflow:material_upload", args=[business.pk]),
                      {"file": SimpleUploadedFile("假.jpg", b"not an image at all", content_type="image/jpeg")},
                      follow=True)
    assert "证明材料只能是JPG或PNG图片" in bad.content.decode()
    material = business.materials.get()
    detail = client.get(reverse("workflow:business_detail", args=[business.pk])).content.decode()
    assert reverse("workflow:material", args=[material.pk]) in detail
    assert material.file.name not in detail and "/media/" not in detail

    for user in (world.users.school_registrar, world.users.th_registrar):
        client.force_login(user)
        response = client.get(reverse("workflow:material", args=[material.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == png
        assert "no-store" in response["Cache-Control"]
    client.force_login(world.users.hz_registrar)
    before = _denied()
    assert client.get(reverse("workflow:material", args=[material.pk])).status_code == 404
    assert _denied() == before + 1
    client.force_login(world.users.hz_school_registrar)
    assert client.post(reverse("workflow:material_upload", args=[business.pk]),
                       {"file": SimpleUploadedFile("a.png", png)}).status_code == 404


# --- 在办业务查询 / 在办业务清理 -------------------------------------------------------------------
def test_open_businesses_with_age_and_level(client, world):
    old = _business(world)
    Business.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=12))
    _business(world, school=world.hz_school)
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("workflow:open_businesses")).content.decode()
    assert old.summary in page and "<td>12</td>" in page and "学校(天河测试小学)" in page
    assert "海珠测试小学" not in page
    aged = client.get(reverse("workflow:open_businesses"), {"min_days": 10}).content.decode()
    assert old.summary in aged
    client.force_login(world.users.gz_registrar)
    assert "海珠测试小学" in client.get(reverse("workflow:open_businesses")).content.decode()


def test_clear_open_businesses_page(client, world):
    businesses = [_business(world) for _ in range(2)]
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("workflow:open_businesses"), {"school": world.th_school.code}).content.decode()
    assert 'data-testid="clear-form"' not in page and ">异动在办业务查询</h1>" in page  # the query withdraws nothing
    page = client.get(reverse("workflow:open_businesses"), {"clear": "1"}).content.decode()
    assert ">在办业务清理</h1>" in page and 'data-testid="clear-hint"' in page  # name the school first
    assert 'data-testid="clear-form"' not in page and 'name="clear" value="1"' in page
    page = client.get(reverse("workflow:open_businesses"), {"clear": "1", "school": world.th_school.code}).content.decode()
    assert 'data-testid="clear-form"' in page and "共 2 件在办业务" in page and 'data-testid="clear-hint"' not in page
    before = _denied()
    assert client.get(reverse("workflow:open_businesses"), {"school": world.hz_school.code}).status_code == 404
    assert client.post(reverse("workflow:clear_school", args=[world.hz_school.pk])).status_code == 404
    assert _denied() == before + 2
    response = client.post(reverse("workflow:clear_school", args=[world.th_school.pk]), {"note": "毕业前清理"})
    assert response["Location"] == reverse("workflow:open_businesses") + f"?clear=1&school={world.th_school.code}"
    assert {b.status for b in Business.objects.filter(pk__in=[b.pk for b in businesses])} == {"withdrawn"}
    client.force_login(world.users.school_leader)
    assert client.post(reverse("workflow:clear_school", args=[world.th_school.pk])).status_code == 403


# --- 业务流程配置 ---------------------------------------------------------------------------------
def test_config_list_filters_and_edit_links(client, world):
    services.load_default_configs()
    client.force_login(world.users.gd_registrar)
    page = client.get(reverse("workflow:config_list"), {"business_type": "reg_primary_no_id"}).content.decode()
    page = page[page.index('data-testid="config-list"'):]
    assert "无身份证件小学新生注册" in page and "&lt;-省级&lt;-地市&lt;-主管教育局&lt;-学校" in page
    assert "全国" in page and "居民身份证小学新生注册" not in page
    assert reverse("workflow:config_edit", args=[ProcessConfig.objects.first().pk]) not in page  # national
    client.force_login(world.users.school_registrar)
    assert client.get(reverse("workflow:config_list")).status_code == 403


def test_province_registrar_adds_edits_and_deletes_its_configs(client, world, more):
    t = world.tree
    client.force_login(world.users.gd_registrar)
    assert client.get(reverse("workflow:config_create")).status_code == 200
    response = client.post(reverse("workflow:config_create"), {
        "business_types": ["suspend", "resume"], "categories": ["1"], "stages": ["1", "2"],
        "scope": t.gd.pk, "levels": ["school", "supervisor", "city"],
    }, follow=True)
    assert "新增4条" in response.content.decode()
    config = ProcessConfig.objects.filter(scope=t.gd).first()
    # outside its scope: another province
    bad = client.post(reverse("workflow:config_create"), {
        "business_types": ["suspend"], "categories": ["1"], "stages": ["1"], "scope": t.gx.pk, "levels": ["school"],
    })
    assert bad.status_code == 200 and not ProcessConfig.objects.filter(scope=t.gx).exists()
    client.post(reverse("workflow:config_edit", args=[config.pk]), {"levels": ["school"]})
    config.refresh_from_db()
    assert config.levels == ["school"]
    client.force_login(more.gx_registrar)
    before = _denied()
    assert client.get(reverse("workflow:config_edit", args=[config.pk])).status_code == 404
    assert _denied() == before + 1
    client.force_login(world.users.th_registrar)
    assert client.get(reverse("workflow:config_create")).status_code == 403
    client.force_login(world.users.gd_registrar)
    client.post(reverse("workflow:config_edit", args=[config.pk]), {"delete": "1"})
    assert not ProcessConfig.objects.filter(pk=config.pk).exists()


# --- 业务时间控制 ---------------------------------------------------------------------------------
def test_window_list_create_and_delete(client, world):
    client.force_login(world.users.gd_registrar)
    response = client.post(reverse("workflow:window_list"), {
        "business_types": ["transfer_in_province"], "starts_at": "2026-07-21T00:00", "ends_at": "2026-08-14T23:59",
        "note": "毕业升级期间",
    }, follow=True)
    assert "业务时间控制已保存" in response.content.decode()
    window = BusinessWindow.objects.get()
    assert window.authority == world.tree.gd and timezone.localtime(window.starts_at).hour == 0
    client.force_login(world.users.th_registrar)
    page = client.get(reverse("workflow:window_list")).content.decode()
    assert "省内转学" in page and "毕业升级期间" in page
    assert client.post(reverse("workflow:window_list"), {"business_types": ["suspend"]}).status_code == 403
    client.force_login(world.users.gx_admin)
    assert client.post(reverse("workflow:window_delete", args=[window.pk])).status_code == 404
    client.force_login(world.users.gd_registrar)
    client.post(reverse("workflow:window_delete", args=[window.pk]))
    assert not BusinessWindow.objects.exists()


# --- menu and to-do ----------------------------------------------------------------------------
def _menu_labels(user) -> set[str]:
    return {e["label"] for g in menu_for(user) for e in g["entries"]}


def test_menu_entries_by_role(world):
    u = world.users
    assert {"待审核业务", "异动在办业务查询"} <= _menu_labels(u.school_leader)
    assert "待审核业务" not in _menu_labels(u.school_registrar) and "异动在办业务查询" in _menu_labels(u.school_registrar)
    assert {"待审核业务", "异动在办业务查询", "业务流程配置", "业务时间控制"} <= _menu_labels(u.gd_registrar)
    assert "业务时间控制" not in _menu_labels(u.th_registrar) and "业务流程配置" in _menu_labels(u.th_registrar)
    assert not {"待审核业务", "异动在办业务查询", "业务流程配置"} & _menu_labels(u.parent)


def test_todo_counts_reviews_waiting(world):
    _business(world)
    _business(world, hold=registry.DEDUP_PENDING)
    todo = next(t for t in todos_for(world.users.school_leader) if t.label == "待审核业务")
    # what the linked page lists: the one on hold shows there too, with its hold's name
    assert todo.count == 2 and todo.url == reverse("workflow:queue")
    assert not [t for t in todos_for(world.users.school_registrar) if t.label == "待审核业务"]


def test_every_workflow_menu_page_opens_for_whoever_sees_it(client, world, more):
    _business(world)
    users = [*vars(world.users).values(), more.hz_leader, more.gx_registrar]
    urls = {reverse(n) for n in ("workflow:queue", "workflow:open_businesses", "workflow:config_list",
                                 "workflow:window_list")}
    opened = 0
    for user in users:
        client.force_login(user)
        for group in menu_for(user):
            for entry in group["entries"]:
                if entry["url"] in urls:
                    assert client.get(entry["url"]).status_code == 200, (user.username, entry)
                    opened += 1
    assert opened >= 15
