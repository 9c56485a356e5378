"""Every write and its audit entry share one transaction: when the audit write fails, no
business is started, decided or withdrawn, no configuration saved, and no effect hook's
writes survive (``failing_audit``, xueji/testing.py)."""

from __future__ import annotations

from xueji.audit.models import AuditEntry
from xueji.workflow import services
from xueji.workflow.models import Business, BusinessStatus, Decision, ProcessConfig


def _start(world, student):
    return services.initiate(kind="suspend", school=world.th_school, applicant=world.users.school_registrar,
                             student=student, stage="1", summary=f"{student.name}申请", payload={"reason": "病"})


def _state(business) -> tuple:
    stored = Business.objects.get(pk=business.pk)
    return (stored.status, stored.position, stored.current_level, stored.current_authority_id,
            stored.finished_at, Decision.objects.filter(business=business).count())


def test_initiate_rolls_back(world, student, failing_audit):
    failing_audit.expect_failure(_start, world, student)
    assert failing_audit.attempts == ["workflow.initiated"]
    assert not Business.objects.exists()
    # the student has no business in progress: a new one can start
    failing_audit.disarm()
    assert _start(world, student).status == BusinessStatus.OPEN


def test_decide_rolls_back(world, student, failing_audit):
    failing_audit.only_for("workflow.decided")
    business = _start(world, student)
    before = _state(business)
    failing_audit.expect_failure(services.decide, business, world.users.school_leader, True, "同意")
    assert _state(business) == before


def test_final_decision_rolls_back_with_its_effect(world, student, failing_audit, hooks):
    """The last approval runs the type's completion hook inside the transaction; the hook's
    call happens, but nothing of the approval stays."""
    failing_audit.disarm()
    business = _start(world, student)
    services.decide(business, world.users.school_leader, True)
    before = _state(business)
    failing_audit.arm()
    failing_audit.expect_failure(services.decide, business, world.users.th_registrar, True)
    assert _state(business) == before
    assert Business.objects.get(pk=business.pk).status == BusinessStatus.OPEN


def test_withdraw_rolls_back(world, student, failing_audit, hooks):
    failing_audit.only_for("workflow.withdrawn")
    business = _start(world, student)
    before = _state(business)
    failing_audit.expect_failure(services.withdraw, business, world.users.school_registrar)
    assert _state(business) == before
    assert AuditEntry.objects.filter(action="workflow.withdrawn").count() == 0


def test_save_config_rolls_back(world, failing_audit):
    failing_audit.expect_failure(
        services.save_config, world.users.gd_registrar, business_type="suspend", category="1", stage="1",
        scope=world.tree.gd, levels=["school", "supervisor", "city"],
    )
    assert failing_audit.attempts == ["workflow.config_saved"]
    assert not ProcessConfig.objects.filter(scope=world.tree.gd).exists()


def test_change_of_config_rolls_back(world, failing_audit):
    failing_audit.disarm()
    config = services.save_config(world.users.gd_registrar, business_type="suspend", category="1", stage="1",
                                  scope=world.tree.gd, levels=["school", "supervisor"])
    failing_audit.arm()
    failing_audit.expect_failure(
        services.save_config, world.users.gd_registrar, business_type="suspend", category="1", stage="1",
        scope=world.tree.gd, levels=["school", "supervisor", "city", "province"], config=config,
    )
    assert ProcessConfig.objects.get(pk=config.pk).levels == ["school", "supervisor"]
