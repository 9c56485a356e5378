"""The engine through its services: configuration, initiation, review, holds, withdrawal,
windows, materials, batches and the audit of each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.org.models import SchoolCategory
from xueji.workflow import registry, selectors, services
from xueji.workflow.models import Business, BusinessStatus, Decision, Material, ProcessConfig

from .conftest import make_student


def _start(world, student, kind="suspend", **extra):
    return services.initiate(kind=kind, school=world.th_school, applicant=world.users.school_registrar,
                             student=student, stage="1", summary=f"{student.name}申请", payload={"reason": "病"},
                             **extra)


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


# --- default configuration -------------------------------------------------------------------
def test_default_configs_complete_and_idempotent(tree):
    created = services.load_default_configs()
    expected = {
        (t.code, category, stage)
        for t in registry.all_types() for category in SchoolCategory.values for stage in t.stages
    }
    assert created == len(expected)
    rows = ProcessConfig.objects.filter(scope=tree.ministry)
    assert {(c.business_type, c.category, c.stage) for c in rows} == expected
    # every type × 3 办学类型 × each stage it applies to; all-stage types have all 3 stages
    assert rows.filter(business_type="suspend").count() == 9
    assert rows.filter(business_type="reg_primary_resident").count() == 3
    assert rows.get(business_type="reg_other_no_id", category="2", stage="3").levels == [
        "school", "supervisor", "city", "province"]
    assert services.load_default_configs() == 0
    assert ProcessConfig.objects.count() == len(expected)
    assert _actions() == ["workflow.configs_loaded"]


def test_default_configs_fill_only_what_is_missing(tree):
    ProcessConfig.objects.create(business_type="suspend", category="1", stage="1", scope=tree.ministry,
                                 levels=["school"])
    services.load_default_configs()
    assert ProcessConfig.objects.get(business_type="suspend", category="1", stage="1").levels == ["school"]


# --- the happy path --------------------------------------------------------------------------
def test_initiate_then_leader_then_county_completes_once(world, student, hooks):
    u = world.users
    business = _start(world, student)
    assert business.status == "open" and business.current_level == "school" and business.current_authority is None
    assert [s["level"] for s in business.chain] == ["school", "supervisor"]
    assert business.chain[1]["authority_id"] == world.tree.tianhe.pk
    assert list(selectors.queue_for(u.school_leader)) == [business]
    assert not selectors.queue_for(u.th_registrar).exists()

    services.decide(business, u.school_leader, True, "同意")
    business.refresh_from_db()
    assert business.current_level == "supervisor" and business.current_authority_id == world.tree.tianhe.pk
    assert hooks.completed == []
    assert list(selectors.queue_for(u.th_registrar)) == [business]
    assert not selectors.queue_for(u.school_leader).exists()

    returned = services.decide(business, u.th_registrar, True)
    assert returned.status == BusinessStatus.PASSED and business.status == BusinessStatus.PASSED
    business.refresh_from_db()
    assert business.status == "passed" and business.finished_at and business.current_level == ""
    assert hooks.completed == [business.pk] and hooks.ended == []
    decisions = list(business.decisions.order_by("position"))
    assert [(d.level, d.unit_name, d.reviewer_name, d.passed) for d in decisions] == [
        ("school", "天河测试小学", u.school_leader.real_name, True),
        ("supervisor", "天河区教育局", u.th_registrar.real_name, True),
    ]
    assert decisions[0].opinion == "同意"
    with pytest.raises(ValidationError, match="已结束"):
        services.decide(business, u.th_registrar, True)
    assert hooks.completed == [business.pk]
    assert _actions() == ["workflow.initiated", "workflow.decided", "workflow.decided"]
    entry = AuditEntry.objects.filter(action="workflow.initiated").get()
    assert entry.school_id == world.th_school.pk and entry.authority_prefix == "440106"


def test_fail_needs_an_opinion_and_ends_the_business(world, student, hooks):
    business = _start(world, student)
    with pytest.raises(ValidationError, match="审核不通过时必须填写审核意见"):
        services.decide(business, world.users.school_leader, False, "  ")
    assert Decision.objects.count() == 0
    services.decide(business, world.users.school_leader, False, "材料不全")
    business.refresh_from_db()
    assert business.status == "failed" and business.finished_at
    assert hooks.ended == [(business.pk, "failed")] and hooks.completed == []
    # the student is released: a new business may start
    again = _start(world, student)
    assert again.status == "open"


def test_no_id_registration_climbs_to_the_province(world, registration_like):
    u = world.users
    business = services.initiate(kind=registration_like, school=world.th_school, applicant=u.school_registrar,
                                 stage="1", summary="李四 无证件", payload={"name": "李四"})
    assert [(s["level"], s["unit"]) for s in business.chain] == [
        ("school", "天河测试小学"), ("supervisor", "天河区教育局"), ("city", "广州市教育局"), ("province", "广东省教育厅"),
    ]
    services.decide(business, u.school_leader, True)
    assert business.hold == registry.REPORT_PENDING  # registration waits for 上报
    services.release_hold(business, u.school_registrar, hold=registry.REPORT_PENDING)
    services.decide(business, u.th_registrar, True)
    with pytest.raises(PermissionDenied):
        services.decide(business, u.gd_registrar, True)  # the city's turn, not the province's
    services.decide(business, u.gz_registrar, True)
    services.decide(business, u.gd_registrar, True)
    assert business.status == "passed"


def test_city_run_school_chain(world, registration_like):
    business = services.initiate(kind=registration_like, school=world.city_school,
                                 applicant=world.users.gz_registrar, stage="3", summary="王五")
    assert [(s["level"], s["authority_id"]) for s in business.chain] == [
        ("school", None), ("supervisor", world.tree.gz.pk), ("province", world.tree.gd.pk),
    ]


def test_most_specific_configuration_is_used(world, student):
    t = world.tree
    services.load_default_configs()
    services.save_config(world.users.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.gd,
                         levels=["school", "supervisor", "city"])
    first = _start(world, student)
    assert [s["level"] for s in first.chain] == ["school", "supervisor", "city"]
    services.withdraw(first, world.users.school_registrar)
    services.save_config(world.users.gd_registrar, business_type="suspend", category="1", stage="1",
                         scope=t.tianhe, levels=["supervisor"])
    second = _start(world, student)
    assert [s["level"] for s in second.chain] == ["supervisor"]
    # another county keeps the provincial one; another category keeps the national one
    other = services.initiate(kind="suspend", school=world.hz_school, applicant=world.users.hz_school_registrar,
                              student=make_student(world.hz_school), stage="1", summary="海珠")
    assert [s["level"] for s in other.chain] == ["school", "supervisor", "city"]


def test_without_any_configuration_the_builtin_chain_applies(world, student):
    assert ProcessConfig.objects.count() == 0
    assert [s["level"] for s in _start(world, student).chain] == ["school", "supervisor"]


# --- who may decide --------------------------------------------------------------------------
def test_wrong_reviewers_are_refused(world, student, more):
    u = world.users
    business = _start(world, student)
    for reviewer in (more.hz_leader, more.th_leader2, u.school_registrar, u.th_registrar, u.moe_registrar):
        with pytest.raises(PermissionDenied):
            services.decide(business, reviewer, True)
    services.decide(business, u.school_leader, True)
    for reviewer in (u.school_leader, u.hz_registrar, u.gz_registrar, u.gd_registrar, u.th_admin, more.gx_registrar):
        with pytest.raises(PermissionDenied):
            services.decide(business, reviewer, True)
    assert Decision.objects.count() == 1
    services.decide(business, u.th_registrar, True)


def test_only_open_decisions_and_unknown_types_refused(world, student):
    with pytest.raises(ValidationError, match="未知的业务类型"):
        services.initiate(kind="nonsense", school=world.th_school, applicant=world.users.school_registrar,
                          stage="1", summary="x")
    with pytest.raises(ValidationError, match="不适用于初中"):
        services.initiate(kind="reg_primary_resident", school=world.th_school,
                          applicant=world.users.school_registrar, stage="2", summary="x")
    with pytest.raises(PermissionDenied):
        services.initiate(kind="suspend", school=world.th_school, applicant=world.users.hz_school_registrar,
                          stage="1", summary="x")


# --- holds -----------------------------------------------------------------------------------
def test_hold_blocks_decisions_until_released(world, student):
    u = world.users
    business = _start(world, student, hold=registry.DEDUP_PENDING)
    with pytest.raises(ValidationError, match="查重认证未完成,不能审核"):
        services.decide(business, u.school_leader, True)
    assert list(selectors.queue_for(u.school_leader)) == [business]  # shown, marked
    assert not selectors.decidable_queue_for(u.school_leader).exists()
    assert services.release_hold(business, hold=registry.REPORT_PENDING) is False  # another hold
    assert services.release_hold(business, hold=registry.DEDUP_PENDING) is True
    services.decide(business, u.school_leader, True)
    services.set_hold(business, registry.REPORT_PENDING, "等待上报")
    assert not selectors.queue_for(u.th_registrar).exists()  # not reported: not in the queue
    with pytest.raises(ValidationError, match="学校尚未上报"):
        services.decide(business, u.th_registrar, True)
    assert services.release_hold_many([business.pk], registry.REPORT_PENDING) == 1
    services.decide(business, u.th_registrar, True)
    business.refresh_from_db()
    assert business.status == "passed"
    assert "workflow.hold_set" in _actions() and "workflow.hold_released" in _actions()


def test_set_hold_many_and_unknown_hold(world):
    businesses = [_start(world, make_student(world.th_school)) for _ in range(3)]
    assert services.set_hold_many(businesses, registry.DEDUP_PENDING) == 3
    assert services.set_hold_many(businesses, registry.DEDUP_PENDING) == 0
    with pytest.raises(ValidationError):
        services.set_hold_many(businesses, "nonsense")
    assert Business.objects.filter(hold=registry.DEDUP_PENDING).count() == 3


# --- withdrawal ------------------------------------------------------------------------------
def test_withdraw_by_applicant_school_only_and_not_after_completion(world, student, hooks, more):
    u = world.users
    business = _start(world, student)
    for user in (u.hz_school_registrar, u.school_leader, u.th_registrar, more.hz_leader):
        with pytest.raises(PermissionDenied):
            services.withdraw(business, user)
    services.withdraw(business, u.school_registrar)
    business.refresh_from_db()
    assert business.status == "withdrawn" and business.closed_by == u.school_registrar
    assert hooks.ended == [(business.pk, "withdrawn")]
    with pytest.raises(ValidationError, match="已结束"):
        services.withdraw(business, u.school_registrar)

    done = _start(world, student)
    services.decide(done, u.school_leader, True)
    services.decide(done, u.th_registrar, True)
    with pytest.raises(ValidationError, match="已结束,不能撤销"):
        services.withdraw(done, u.school_registrar)
    assert hooks.ended == [(business.pk, "withdrawn")]


def test_terminate_ends_as_failed_with_reason(world, student, hooks):
    business = _start(world, student)
    services.terminate(business, reason="查重不通过")
    assert business.status == "failed" and business.close_note == "查重不通过"
    assert hooks.ended == [(business.pk, "failed")]


def test_clear_open_businesses(world, hooks):
    u = world.users
    mine = [_start(world, make_student(world.th_school)) for _ in range(3)]
    other = services.initiate(kind="suspend", school=world.hz_school, applicant=u.hz_school_registrar,
                              student=make_student(world.hz_school), stage="1", summary="海珠")
    with pytest.raises(PermissionDenied):
        services.clear_open_businesses(world.th_school, u.hz_school_registrar)
    with pytest.raises(PermissionDenied):
        services.clear_open_businesses(world.th_school, u.hz_registrar)
    with pytest.raises(PermissionDenied):
        services.clear_open_businesses(world.th_school, u.school_leader)
    assert services.clear_open_businesses(world.th_school, u.th_registrar) == 3
    assert set(Business.objects.filter(pk__in=[b.pk for b in mine]).values_list("status", flat=True)) == {"withdrawn"}
    assert sorted(pk for pk, _ in hooks.ended) == sorted(b.pk for b in mine)
    other.refresh_from_db()
    assert other.status == "open"
    assert services.clear_open_businesses(world.th_school, u.school_registrar) == 0
    assert _actions().count("workflow.cleared") == 1


# --- one open business per student -----------------------------------------------------------
def test_second_business_for_a_student_is_refused(world, student):
    first = _start(world, student)
    with pytest.raises(ValidationError, match="该学生已有在办业务"):
        _start(world, student, kind="repeat_grade")
    assert Business.objects.count() == 1
    services.decide(first, world.users.school_leader, False, "不同意")
    _start(world, student, kind="repeat_grade")


# --- business windows ------------------------------------------------------------------------
def test_window_blocks_initiation_inside_not_outside_nor_earlier_businesses(world, student):
    u = world.users
    now = timezone.now()
    earlier = _start(world, make_student(world.th_school))
    window = services.create_window(u.gd_registrar, business_types=["suspend", "transfer_in_province"],
                                    starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=20),
                                    note="毕业升级期间")
    with pytest.raises(ValidationError, match="该业务在.*期间暂停办理"):
        _start(world, student)
    _start(world, student, kind="repeat_grade")  # another type goes on
    services.decide(earlier, u.school_leader, True)  # started before: goes on
    services.decide(earlier, u.th_registrar, True)
    # another province is not affected
    services.initiate(kind="suspend", school=world.gx_school, applicant=u.gx_admin,
                      student=make_student(world.gx_school), stage="1", summary="广西")
    window.starts_at, window.ends_at = now + dt.timedelta(days=1), now + dt.timedelta(days=2)
    window.save()
    _start(world, make_student(world.th_school))  # outside the window


def test_ministry_window_applies_nationwide_and_window_permissions(world):
    u = world.users
    now = timezone.now()
    services.create_window(u.moe_registrar, business_types=["suspend"], starts_at=now - dt.timedelta(minutes=1),
                           ends_at=now + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="暂停办理"):
        services.initiate(kind="suspend", school=world.gx_school, applicant=u.gx_admin,
                          student=make_student(world.gx_school), stage="1", summary="广西")
    for actor in (u.th_registrar, u.gz_registrar, u.gd_admin, u.school_registrar):
        with pytest.raises(PermissionDenied):
            services.create_window(actor, business_types=["suspend"], starts_at=now, ends_at=now)
    with pytest.raises(ValidationError, match="结束时间应晚于开始时间"):
        services.create_window(u.gd_registrar, business_types=["suspend"], starts_at=now, ends_at=now)


# --- materials -------------------------------------------------------------------------------
def _upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_materials_checked_by_content(world, student, png, jpeg):
    u = world.users
    business = _start(world, student)
    first = services.attach_material(business, u.school_registrar, _upload("户口本.png", png))
    second = services.attach_material(business, u.school_registrar, _upload("证明.JPEG", jpeg))
    assert (first.content_type, second.content_type) == ("image/png", "image/jpeg")
    assert first.original_name == "户口本.png" and first.size == len(png) and len(first.sha256) == 64
    assert first.file.name.startswith("materials/") and first.file.name.endswith(".png")
    assert "户口本" not in first.file.name
    with first.file.open("rb") as handle:
        assert handle.read() == png
    with pytest.raises(ValidationError, match="证明材料只能是JPG或PNG图片"):
        services.attach_material(business, u.school_registrar, _upload("假的.jpg", "文本".encode() * 10))
    with pytest.raises(ValidationError, match="证明材料只能是JPG或PNG图片"):
        services.attach_material(business, u.school_registrar,
                                 _upload("坏的.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50))
    with pytest.raises(ValidationError, match="证明材料不能超过2MB"):
        services.attach_material(business, u.school_registrar, _upload("大.jpg", jpeg + b"\0" * (2 * 1024 * 1024)))
    with pytest.raises(PermissionDenied):
        services.attach_material(business, u.hz_school_registrar, _upload("a.png", png))
    assert Material.objects.count() == 2
    assert _actions().count("workflow.material_added") == 2
    services.withdraw(business, u.school_registrar)
    with pytest.raises(ValidationError, match="业务已结束"):
        services.attach_material(business, u.school_registrar, _upload("a.png", png))


# --- batch review (全部审核) -------------------------------------------------------------------
def test_batch_review_of_a_selection(world, hooks):
    u = world.users
    students = [make_student(world.th_school) for _ in range(4)]
    plain = [services.initiate(kind="repeat_grade", school=world.th_school, applicant=u.school_registrar,
                               student=s, stage="1", summary=s.name) for s in students[:2]]
    held = _start(world, students[2], hold=registry.DEDUP_PENDING)
    hooked = _start(world, students[3])
    other_school = services.initiate(kind="repeat_grade", school=world.hz_school, applicant=u.hz_school_registrar,
                                     student=make_student(world.hz_school), stage="1", summary="海珠")
    before = AuditEntry.objects.count()
    result = services.decide_many([*plain, held, hooked, other_school], u.school_leader, True, "同意")
    assert sorted(result.decided) == sorted([plain[0].pk, plain[1].pk, hooked.pk])
    assert dict(result.skipped) == {held.pk: "查重认证未完成,不能审核",
                                    other_school.pk: "只有本校学籍主管领导可以审核该业务"}
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "workflow.batch_decided" and sorted(entry.after["decided"]) == sorted(result.decided)
    assert Decision.objects.filter(batch=True).count() == 3
    # the caller's instances are brought up to date
    assert plain[0].current_level == "supervisor" and held.current_level == "school"
    # the county passes them all: those with a hook one by one, the others set-based
    result = services.decide_many(Business.objects.filter(pk__in=[*result.decided]), u.th_registrar, True)
    assert len(result.decided) == 3 and not result.skipped
    assert hooks.completed == [hooked.pk]
    assert set(Business.objects.filter(pk__in=result.decided).values_list("status", flat=True)) == {"passed"}
    assert Decision.objects.filter(business=plain[0]).count() == 2


def test_batch_fail_needs_opinion_and_ends_all(world, hooks):
    u = world.users
    businesses = [_start(world, make_student(world.th_school)) for _ in range(3)]
    with pytest.raises(ValidationError, match="必须填写审核意见"):
        services.decide_many(businesses, u.school_leader, False, "")
    result = services.decide_many(businesses, u.school_leader, False, "信息有误")
    assert len(result.decided) == 3
    assert sorted(pk for pk, _ in hooks.ended) == sorted(b.pk for b in businesses)
    assert {b.status for b in businesses} == {"failed"}


def test_batch_of_everything_pending_in_a_school(world):
    u = world.users
    for _ in range(5):
        services.initiate(kind="repeat_grade", school=world.th_school, applicant=u.school_registrar,
                          student=make_student(world.th_school), stage="1", summary="留级")
    services.initiate(kind="repeat_grade", school=world.th_middle, applicant=u.school_registrar.__class__.objects.create(
        username="mid_reg", real_name="中学管理员", role="school_registrar", school=world.th_middle),
        student=make_student(world.th_middle, stage="2"), stage="2", summary="中学")
    for business in Business.objects.filter(school=world.th_school):
        services.decide(business, u.school_leader, True)
    pending = selectors.decidable_queue_for(u.th_registrar)
    assert pending.count() == 5  # th_middle's is still at its school step
    result = services.decide_many(pending.filter(school=world.th_school), u.th_registrar, True, "")
    assert len(result.decided) == 5
    assert Business.objects.filter(school=world.th_school, status="passed").count() == 5
    assert Business.objects.filter(school=world.th_middle, status="open").count() == 1


def test_batch_hook_refusing_one_skips_only_that_one(world):
    saved = dict(registry._TYPES)
    students = [make_student(world.th_school) for _ in range(3)]
    refused = students[1]

    def complete(business, decision, user):
        if business.student_id == refused.pk:
            raise ValidationError("该学生状态不允许休学")
        Business.objects.filter(pk=business.pk).update(summary="已生效")

    try:
        registry.set_handlers("suspend", on_complete=complete)
        businesses = [_start(world, s) for s in students]
        services.decide_many(businesses, world.users.school_leader, True)
        result = services.decide_many(businesses, world.users.th_registrar, True)
    finally:
        registry._TYPES.clear()
        registry._TYPES.update(saved)
    assert result.skipped == [(businesses[1].pk, "该学生状态不允许休学")]
    statuses = dict(Business.objects.values_list("pk", "status"))
    assert statuses[businesses[0].pk] == "passed" and statuses[businesses[1].pk] == "open"
    assert Decision.objects.filter(business=businesses[1]).count() == 1  # its county decision rolled back
    assert Business.objects.get(pk=businesses[0].pk).summary == "已生效"


# --- many at once (imports) ------------------------------------------------------------------
def test_initiate_many_and_discard_unstarted(world, registration_like):
    u = world.users
    ids = services.initiate_many(
        kind=registration_like, school=world.th_school, applicant=u.school_registrar,
        hold=registry.DEDUP_PENDING,
        items=[{"stage": "1", "summary": f"新生{i}", "payload": {"name": f"新生{i}", "born": dt.date(2019, 9, 1)}}
               for i in range(5)],
    )
    businesses = [Business.objects.get(pk=pk) for pk in ids]
    assert [b.payload["name"] for b in businesses] == [f"新生{i}" for i in range(5)] and ids == sorted(ids)
    assert businesses[0].payload["born"] == "2019-09-01"  # dates as ISO text, as JSONField reads them
    assert businesses[0].chain == [s.as_dict() for s in services.chain_for(world.th_school, registration_like, "1")]
    assert businesses[0].current_level == "school" and businesses[0].status == "open" and businesses[0].created_at
    assert {b.hold for b in Business.objects.all()} == {registry.DEDUP_PENDING}
    assert services.discard_unstarted([ids[0], ids[1]], reason="查重冲突") == 2
    assert Business.objects.count() == 3
    # Ids are never handed out twice, not even those of rows since deleted.
    again = services.initiate_many(kind=registration_like, school=world.th_school, applicant=u.school_registrar,
                                   items=[{"stage": "1", "summary": "新生"}])
    assert again[0] > ids[-1]
    Business.objects.filter(pk__in=again).delete()
    assert services.release_hold_many(ids, registry.DEDUP_PENDING) == 3
    services.decide(businesses[2], u.school_leader, True)
    assert services.discard_unstarted([ids[2]]) == 0  # started: kept
    student = make_student(world.th_school)
    _start(world, student)
    with pytest.raises(ValidationError, match="已有在办业务"):
        services.initiate_many(kind="repeat_grade", school=world.th_school, applicant=u.school_registrar,
                               items=[{"stage": "1", "summary": "x", "student": student.pk}])
    with pytest.raises(ValidationError, match="同一学生"):
        services.initiate_many(kind="repeat_grade", school=world.th_school, applicant=u.school_registrar,
                               items=[{"stage": "1", "summary": "x", "student": 1}, {"stage": "1", "summary": "y", "student": 1}])
    with pytest.raises(ValidationError, match="摘要"):
        services.initiate_many(kind=registration_like, school=world.th_school, applicant=u.school_registrar,
                               items=[{"stage": "1", "summary": " "}])


# --- configuration writes --------------------------------------------------------------------
def test_config_scope(world, more):
    t, u = world.tree, world.users
    services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.tianhe,
                         levels=["supervisor", "school"])
    assert ProcessConfig.objects.get(scope=t.tianhe).levels == ["school", "supervisor"]
    with pytest.raises(ValidationError, match="已存在"):
        services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.tianhe,
                             levels=["school"])
    for actor, scope in ((u.gd_registrar, t.gx), (u.gd_registrar, t.ministry), (more.gx_registrar, t.gd),
                         (u.th_registrar, t.tianhe), (u.gz_registrar, t.gz), (u.gd_admin, t.gd)):
        with pytest.raises(PermissionDenied):
            services.save_config(actor, business_type="suspend", category="1", stage="1", scope=scope,
                                 levels=["school"])
    services.save_config(u.moe_registrar, business_type="suspend", category="1", stage="1", scope=t.ministry,
                         levels=["school"])
    national = ProcessConfig.objects.get(scope=t.ministry)
    with pytest.raises(PermissionDenied):
        services.delete_config(u.gd_registrar, national)
    with pytest.raises(ValidationError):
        services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.gd,
                             levels=[])
    with pytest.raises(ValidationError, match="不适用于"):
        services.save_config(u.gd_registrar, business_type="graduate_primary", category="1", stage="3",
                             scope=t.gd, levels=["school"])


def test_save_configs_creates_the_cross_product_and_updates_existing(world):
    t, u = world.tree, world.users
    services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.gd,
                         levels=["school"])
    created, updated = services.save_configs(
        u.gd_registrar, business_types=["suspend", "graduate_primary"], categories=["1", "2"],
        stages=["1", "2"], scope=t.gd, levels=["school", "supervisor", "city"],
    )
    # suspend: 2 categories × 2 stages = 4 (one existed); 小学毕业: 2 categories × 小学 only = 2
    assert (created, updated) == (5, 1)
    assert ProcessConfig.objects.count() == 6
    assert all(c.levels == ["school", "supervisor", "city"] for c in ProcessConfig.objects.all())
    assert "workflow.config_saved" in _actions()
