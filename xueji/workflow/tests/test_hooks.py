"""Effect hooks: what they receive (the business, the decision, the acting user), the
set-based hooks of 全部审核 (one call for the set, no savepoint per business), their
fallback to the one-by-one hook when the set is refused, and the effect written into the
decision's single audit entry."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xueji.audit.models import AuditEntry
from xueji.workflow import registry, services
from xueji.workflow.models import Business, Decision

from .conftest import REASON_SCHEMA, make_student


class SetHooks:
    def __init__(self, refuse_set: bool = False, refuse_one: int | None = None):
        self.calls: list[tuple] = []
        self.refuse_set, self.refuse_one = refuse_set, refuse_one

    def complete_many(self, businesses, decisions, user):
        self.calls.append(("many", sorted(b.pk for b in businesses), sorted(d.pk for d in decisions.values()),
                           user.pk, {b.status for b in businesses}))
        if self.refuse_set:
            raise ValidationError("整批不能生效")
        Business.objects.filter(pk__in=[b.pk for b in businesses]).update(summary="已生效")
        return registry.Effect(f"生效{len(businesses)}件", {"count": len(businesses)})

    def complete(self, business, decision, user):
        self.calls.append(("one", business.pk, decision.pk, user.pk))
        if business.pk == self.refuse_one:
            raise ValidationError("该学生不能生效")
        Business.objects.filter(pk=business.pk).update(summary="已生效")
        return registry.Effect("生效1件")

    def end_many(self, businesses, decisions, user):
        self.calls.append(("end_many", sorted(b.pk for b in businesses), len(decisions), getattr(user, "pk", None)))


def _plug(hooks: SetHooks, single: bool = True) -> None:
    registry.set_handlers("suspend", on_complete_many=hooks.complete_many,
                          on_complete=hooks.complete if single else None, on_end_many=hooks.end_many,
                          payload=REASON_SCHEMA)
    if not single:
        registry.set_handlers("suspend", on_complete=None)


def _at_county(world, count: int) -> list[Business]:
    businesses = [services.initiate(kind="suspend", school=world.th_school, applicant=world.users.school_registrar,
                                    student=make_student(world.th_school), stage="1", summary=f"休学{i}")
                  for i in range(count)]
    services.decide_many(businesses, world.users.school_leader, True)
    return businesses


def test_set_based_completion_is_one_call_without_savepoints(world):
    hooks = SetHooks()
    _plug(hooks)
    businesses = _at_county(world, 30)
    before = AuditEntry.objects.order_by("pk").last().pk
    with CaptureQueriesContext(connection) as queries:
        result = services.decide_many(businesses, world.users.th_registrar, True)
    assert len(result.decided) == 30
    assert [c[0] for c in hooks.calls] == ["many"]
    _, ids, decision_ids, user_id, statuses = hooks.calls[0]
    assert ids == sorted(b.pk for b in businesses) and user_id == world.users.th_registrar.pk
    assert statuses == {"passed"}  # the hook sees the businesses as they are now
    assert decision_ids == sorted(Decision.objects.filter(level="supervisor").values_list("pk", flat=True))
    # the test's transaction makes decide_many's own a savepoint; then one for the group, not 30
    assert sum(q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries) <= 2
    assert set(Business.objects.values_list("summary", flat=True)) == {"已生效"}
    entry = AuditEntry.objects.get(pk__gt=before)
    assert entry.action == "workflow.batch_decided" and "生效30件" in entry.summary
    assert entry.after["effects"] == [{"summary": "生效30件", "count": 30}]


def test_set_based_hooks_get_the_decisions_as_saved(world):
    """The decisions a set-based hook receives (built only when asked for) are the saved
    rows: every field, the business and the reviewer."""
    seen = {}

    def complete_many(businesses, decisions, user):
        assert len(decisions) == len(businesses) and set(decisions) == {b.pk for b in businesses}
        seen.update({pk: decisions[pk] for pk in decisions})
        assert decisions[businesses[0].pk] is decisions[businesses[0].pk]

    registry.set_handlers("suspend", on_complete_many=complete_many, on_complete=None, payload=REASON_SCHEMA)
    businesses = _at_county(world, 3)
    services.decide_many(businesses, world.users.th_registrar, True, opinion="材料齐全")
    fields = [f.attname for f in Decision._meta.concrete_fields]
    for business in businesses:
        given, saved = seen[business.pk], Decision.objects.get(business=business, level="supervisor")
        assert {f: getattr(given, f) for f in fields} == {f: getattr(saved, f) for f in fields}
        assert given.business.pk == business.pk and given.reviewer == world.users.th_registrar
        assert given.unit_name == world.tree.tianhe.name and given.batch and given.passed
        assert not given._state.adding


def test_a_refused_set_falls_back_to_one_by_one(world):
    businesses = _at_county(world, 3)
    hooks = SetHooks(refuse_set=True, refuse_one=businesses[1].pk)
    _plug(hooks)
    result = services.decide_many(businesses, world.users.th_registrar, True)
    assert result.decided == [businesses[0].pk, businesses[2].pk]
    assert result.skipped == [(businesses[1].pk, "该学生不能生效")]
    assert [c[0] for c in hooks.calls] == ["many", "one", "one", "one"]
    statuses = dict(Business.objects.values_list("pk", "status"))
    assert statuses[businesses[1].pk] == "open" and statuses[businesses[0].pk] == "passed"
    assert Decision.objects.filter(business=businesses[1]).count() == 1  # the county's rolled back
    # the caller's instances are as the database says
    assert businesses[0].status == "passed" and businesses[1].status == "open"
    assert businesses[1].current_authority_id == world.tree.tianhe.pk


def test_a_refused_set_without_a_single_hook_skips_the_set(world):
    businesses = _at_county(world, 2)
    hooks = SetHooks(refuse_set=True)
    _plug(hooks, single=False)
    result = services.decide_many(businesses, world.users.th_registrar, True)
    assert result.decided == [] and [r for _, r in result.skipped] == ["整批不能生效", "整批不能生效"]
    assert not Business.objects.filter(status="passed").exists()
    assert Decision.objects.filter(level="supervisor").count() == 0


def test_one_decision_writes_one_audit_entry_with_its_effect(world):
    hooks = SetHooks()
    _plug(hooks)
    business = _at_county(world, 1)[0]
    before = AuditEntry.objects.order_by("pk").last().pk
    services.decide(business, world.users.th_registrar, True)
    entry = AuditEntry.objects.get(pk__gt=before)
    assert entry.action == "workflow.decided" and entry.summary.endswith(";生效1件")
    assert hooks.calls[-1][0] == "one"  # decide() uses the one-by-one hook


def test_clearing_ends_set_based(world):
    hooks = SetHooks()
    _plug(hooks)
    businesses = [services.initiate(kind="suspend", school=world.th_school, applicant=world.users.school_registrar,
                                    student=make_student(world.th_school), stage="1", summary="休学")
                  for _ in range(4)]
    assert services.clear_open_businesses(world.th_school, world.users.school_registrar) == 4
    assert hooks.calls == [("end_many", sorted(b.pk for b in businesses), 0, world.users.school_registrar.pk)]
    assert set(Business.objects.values_list("status", flat=True)) == {"withdrawn"}


@pytest.mark.parametrize("passed", [True, False])
def test_types_without_hooks_are_decided_set_based(world, passed):
    businesses = [services.initiate(kind="repeat_grade", school=world.th_school,
                                    applicant=world.users.school_registrar, student=make_student(world.th_school),
                                    stage="1", summary="留级")
                  for _ in range(5)]
    registry.set_handlers("repeat_grade", on_complete=None, on_complete_many=lambda b, d, u: None)
    result = services.decide_many(businesses, world.users.school_leader, passed, "" if passed else "不同意")
    assert len(result.decided) == 5
    expected = "open" if passed else "failed"
    assert set(Business.objects.values_list("status", flat=True)) == {expected}
    assert Decision.objects.filter(batch=True).count() == 5
