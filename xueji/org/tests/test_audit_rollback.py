"""Every write and its audit entry share one transaction: when the audit write fails, the
school is neither created nor changed (``failing_audit``, xueji/testing.py)."""

from __future__ import annotations

from xueji.audit.models import AuditEntry, AuditHead
from xueji.org import services
from xueji.org.models import Campus, School


def _new_school(world) -> School:
    return School(
        code="3440106099", name="天河新建小学", division=world.tree.tianhe.division,
        supervisor=world.tree.tianhe, category="1", school_type="211", has_primary=True,
        primary_years=6, address_code="440106000000", address="天河路1号",
    )


def test_create_school_rolls_back_with_its_audit_entry(world, failing_audit):
    school = _new_school(world)
    failing_audit.expect_failure(services.create_school, None, world.users.th_admin, school)
    assert failing_audit.attempts == ["org.school_created"]
    assert not School.objects.filter(code="3440106099").exists()
    assert not Campus.objects.filter(name__startswith="天河新建小学").exists()  # the main campus too
    assert not AuditEntry.objects.exists() and not AuditHead.objects.exists()


def test_update_school_rolls_back_with_its_audit_entry(world, failing_audit):
    school = School.objects.get(pk=world.th_school.pk)
    before = services.school_snapshot(school)
    school.name = "改了名的小学"
    school.principal = "李校长"
    failing_audit.expect_failure(services.update_school, None, world.users.school_registrar, school, before)
    stored = School.objects.get(pk=school.pk)
    assert (stored.name, stored.principal) == ("天河测试小学", before["principal"])
    assert not AuditEntry.objects.filter(action="org.school_updated").exists()


def test_without_failure_the_same_calls_write(world):
    """The control: the same calls succeed and write their entries."""
    school = services.create_school(None, world.users.th_admin, _new_school(world))
    before = services.school_snapshot(school)
    school.name = "改了名的小学"
    services.update_school(None, world.users.th_admin, school, before)
    assert School.objects.get(pk=school.pk).name == "改了名的小学"
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "org.school_created", "org.school_updated"]
