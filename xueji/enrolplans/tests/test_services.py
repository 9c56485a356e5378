"""Writes of 招生计划数: who sets which school's plan, the refusals, the change request
through the engine (approval writes plan + audit in one transaction), double submission."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from xueji.audit.models import AuditEntry
from xueji.enrolplans import selectors, services
from xueji.enrolplans.models import ChangeState, EnrolmentPlan, PlanChange
from xueji.workflow import services as workflow
from xueji.workflow.models import BusinessStatus


def test_each_level_sets_plans_in_its_scope(world, year):
    u = world.users
    plan = services.set_plan(u.th_registrar, world.th_school, year, "1", "120")
    assert (plan.planned, plan.updated_unit) == (120, u.th_registrar.authority.name)
    assert AuditEntry.objects.filter(action="enrolplans.plan_set", school_id=world.th_school.pk).count() == 1
    services.set_plan(u.gz_registrar, world.hz_school, year, "1", 80)
    services.set_plan(u.gd_registrar, world.city_school, year, "3", 600)
    assert selectors.plan_for(world.hz_school, year, "1") == 80
    # changing it again: audited with before → after; the same figure writes nothing
    services.set_plan(u.gz_registrar, world.th_school, year, "1", 130)
    entry = AuditEntry.objects.filter(action="enrolplans.plan_set").latest("id")
    assert list(entry.before.values()) == [120] and list(entry.after.values()) == [130]
    count = AuditEntry.objects.filter(action="enrolplans.plan_set").count()
    services.set_plan(u.gz_registrar, world.th_school, year, "1", 130)
    assert AuditEntry.objects.filter(action="enrolplans.plan_set").count() == count


def test_refusals_of_set_plan(world, year):
    u = world.users
    with pytest.raises(PermissionDenied):
        services.set_plan(u.th_registrar, world.hz_school, year, "1", 10)  # another county
    with pytest.raises(PermissionDenied):
        services.set_plan(u.th_registrar, world.city_school, year, "3", 10)  # city-run school in its territory
    for who in (u.moe_registrar, u.school_registrar, u.th_admin, u.school_leader):
        with pytest.raises(PermissionDenied):
            services.set_plan(who, world.th_school, year, "1", 10)
    for stage, planned, y, message in (("2", 10, year, "没有初中学段"), ("1", "-5", year, "不能为负数"),
                                       ("1", "abc", year, "不是整数"), ("1", 5001, year, "不能超过"),
                                       ("9", 10, year, "教育阶段应为"), ("1", 10, year + 5, "不在可设置的范围内"),
                                       ("1", 10, "20x6", "4位年份"), ("1", "", year, "请填写")):
        with pytest.raises(ValidationError) as error:
            services.set_plan(u.th_registrar, world.th_school, y, stage, planned)
        assert any(message in m for m in error.value.messages), (stage, planned, y)
    assert not EnrolmentPlan.objects.exists()


def test_the_database_keeps_the_bounds(world, year):
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentPlan.objects.create(school=world.th_school, year=year, stage="1", planned=5001)
    EnrolmentPlan.objects.create(school=world.th_school, year=year, stage="1", planned=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentPlan.objects.create(school=world.th_school, year=year, stage="1", planned=2)


def _request(world, year, requested=150, reason="新建教学楼,增加两个班"):
    return services.request_change(world.users.school_registrar, year=str(year), stage="1",
                                   requested=str(requested), reason=reason)


def test_change_request_approved_by_the_supervisor_writes_plan_and_audit(world, year):
    u = world.users
    services.set_plan(u.th_registrar, world.th_school, year, "1", 120)
    change = _request(world, year)
    assert change.state == ChangeState.OPEN and change.current == 120
    business = change.business
    assert business.kind == services.KIND and business.current_authority_id == world.tree.tianhe.pk
    assert [s["level"] for s in business.chain] == ["supervisor"]
    # nobody but the supervising authority's registrar decides
    for who in (u.gz_registrar, u.hz_registrar, u.school_leader):
        with pytest.raises(PermissionDenied):
            services.decide_change(who, change, True)
    assert selectors.changes_waiting_for(u.th_registrar).get() == change
    assert not selectors.changes_waiting_for(u.gz_registrar).exists()
    services.decide_change(u.th_registrar, change, True, "同意")
    change.refresh_from_db()
    assert change.state == ChangeState.APPROVED and change.opinion == "同意" and change.decided_at
    assert selectors.plan_for(world.th_school, year, "1") == 150
    entry = AuditEntry.objects.get(action="enrolplans.change_approved")
    assert list(entry.before.values()) == [120] and list(entry.after.values()) == [150]
    with pytest.raises(ValidationError):
        services.decide_change(u.th_registrar, change, True)


def test_the_approval_rolls_back_with_its_audit(world, year, failing_audit):
    failing_audit.disarm()
    change = _request(world, year)
    failing_audit.only_for("enrolplans.change_approved")
    failing_audit.expect_failure(services.decide_change, world.users.th_registrar, change, True)
    change.refresh_from_db()
    assert change.state == ChangeState.OPEN and selectors.plan_for(world.th_school, year, "1") is None
    change.business.refresh_from_db()
    assert change.business.status == BusinessStatus.OPEN


def test_rejection_and_withdrawal_keep_the_plan(world, year):
    u = world.users
    services.set_plan(u.th_registrar, world.th_school, year, "1", 120)
    change = _request(world, year)
    with pytest.raises(ValidationError):
        services.decide_change(u.th_registrar, change, False, "")  # rejecting needs an opinion
    services.decide_change(u.th_registrar, change, False, "计划已报批,不能调整")
    change.refresh_from_db()
    assert change.state == ChangeState.REJECTED and change.opinion == "计划已报批,不能调整"
    assert selectors.plan_for(world.th_school, year, "1") == 120
    again = _request(world, year, 140)
    workflow.withdraw(again.business, u.school_registrar)
    again.refresh_from_db()
    assert again.state == ChangeState.WITHDRAWN and selectors.plan_for(world.th_school, year, "1") == 120


def test_double_submission_and_other_refusals(world, year):
    u = world.users
    _request(world, year)
    with pytest.raises(ValidationError) as error:
        _request(world, year, 160)
    assert "已有审核中的招生计划数变更申请" in error.value.messages[0]
    assert PlanChange.objects.count() == 1
    # the database keeps one open request per school, year and stage under races
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanChange.objects.create(school=world.th_school, year=year, stage="1", requested=3, reason="x")
    # another year is another request
    services.request_change(u.school_registrar, year=year + 1, stage="1", requested=90, reason="扩招")
    services.set_plan(u.th_registrar, world.th_school, year - 1, "1", 100)
    for kwargs, message in (({"stage": "2"}, "没有初中学段"), ({"requested": "-1"}, "不能为负数"),
                            ({"requested": "x"}, "不是整数"), ({"reason": " "}, "请填写变更原因"),
                            ({"reason": "长" * 201}, "不能超过200个字"), ({"requested": "100"}, "与当前计划数"),
                            ({"year": "abcd"}, "4位年份")):
        args = {"year": year - 1, "stage": "1", "requested": "110", "reason": "调整"} | kwargs
        with pytest.raises(ValidationError) as error:
            services.request_change(u.school_registrar, **args)
        assert any(message in m for m in error.value.messages), kwargs
    for who in (u.school_leader, u.th_registrar, u.class_teacher):
        with pytest.raises(PermissionDenied):
            services.request_change(who, year=year, stage="1", requested=1, reason="x")


def test_helpers_for_the_admission_pages(world, year):
    u = world.users
    services.set_plan(u.gd_registrar, world.th_middle, year, "2", 300)
    services.set_plan(u.gd_registrar, world.th_middle, year, "3", 200)
    services.set_plan(u.gd_registrar, world.th_school, year, "1", 90)
    assert selectors.plan_for(world.th_middle.pk, year, "3") == 200
    assert selectors.plan_for(world.th_middle, year - 1, "3") is None
    assert selectors.plans_by_school([world.th_middle.pk, world.th_school.pk], year) == {
        (world.th_middle.pk, "2"): 300, (world.th_middle.pk, "3"): 200, (world.th_school.pk, "1"): 90}
    assert selectors.plans_by_school([world.th_middle.pk], year, "2") == {(world.th_middle.pk, "2"): 300}
