"""The businesses 全部审核 locks (``services._lock_many``) are built by ``bulk.instances``,
not the ORM: they must be what the ORM would load — every field, saved state, the school
cached, a chain equal to the stored one (decoded once per distinct chain), each payload
its own — and behave as loaded instances do (save, refresh, deferred fields). Bad uses of
``bulk.instances`` are refused."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import signals
from django.test.utils import CaptureQueriesContext

from xueji.common import bulk
from xueji.workflow import services
from xueji.workflow.models import Business

from .conftest import REASON_SCHEMA, make_student


def _started(world, count: int, **payload) -> list[Business]:
    return [services.initiate(kind="suspend", school=world.th_school, applicant=world.users.school_registrar,
                              student=make_student(world.th_school), stage="1", summary=f"休学{i}",
                              payload={"reason": f"病休{i}", **payload})
            for i in range(count)]


def test_locked_businesses_are_what_the_orm_loads(world):
    started = _started(world, 3, from_date="2026-09-01")
    with transaction.atomic():
        locked = services._lock_many(sorted(b.pk for b in started))
    assert [b.pk for b in locked] == sorted(b.pk for b in started)
    attnames = [f.attname for f in Business._meta.concrete_fields]
    for business in locked:
        loaded = Business.objects.get(pk=business.pk)
        assert {a: getattr(business, a) for a in attnames} == {a: getattr(loaded, a) for a in attnames}
        assert business._state.adding is False and business._state.db == "default"
        assert business.get_deferred_fields() == set()
        assert business == loaded and hash(business) == hash(loaded)
        assert business.payload["from_date"] == "2026-09-01"
    # one school read for all; reading it again costs no query
    with CaptureQueriesContext(connection) as queries:
        schools = {b.school for b in locked}
        _ = [b.school.supervisor for b in locked]
    assert schools == {world.th_school} and not queries.captured_queries


def test_chain_decoded_once_and_payloads_each_their_own(world):
    started = _started(world, 3)
    with transaction.atomic():
        locked = services._lock_many([b.pk for b in started])
    assert locked[0].chain == Business.objects.get(pk=locked[0].pk).chain
    assert locked[0].chain is locked[1].chain is locked[2].chain  # one school, one type: one decoded chain
    locked[0].payload["reason"] = "改过"
    assert [b.payload["reason"] for b in locked[1:]] == ["病休1", "病休2"]


def test_locked_instances_save_and_refresh_as_loaded_ones(world):
    (started,) = _started(world, 1)
    with transaction.atomic():
        (business,) = services._lock_many([started.pk])
        business.hold_note = "补充材料"
        business.save(update_fields=["hold_note", "updated_at"])
    fresh = Business.objects.get(pk=started.pk)
    assert fresh.hold_note == "补充材料" and fresh.summary == started.summary and fresh.chain == started.chain
    Business.objects.filter(pk=started.pk).update(summary="改了摘要")
    business.refresh_from_db()
    assert business.summary == "改了摘要" and business.hold_note == "补充材料"


def test_missing_ids_are_left_out(world):
    (started,) = _started(world, 1)
    with transaction.atomic():
        assert [b.pk for b in services._lock_many([started.pk, 99_999_999])] == [started.pk]
        assert services._lock_many([]) == []


def test_instances_leave_out_columns_as_deferred(world):
    (started,) = _started(world, 1)
    (business,) = bulk.instances(Business, ("id", "school_id", "status"),
                                 Business.objects.filter(pk=started.pk).values_list("id", "school_id", "status"))
    assert "summary" in business.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert business.summary == started.summary  # loaded when first read
    assert len(queries.captured_queries) == 1


def test_instances_refuse_bad_uses(world):
    with pytest.raises(ValueError, match="not concrete"):
        bulk.instances(Business, ("id", "school"), [(1, 2)])  # the relation's name, not its column
    with pytest.raises(ValueError, match="not concrete"):
        bulk.instances(Business, ("id", "no_such_column"), [(1, 2)])
    with pytest.raises(ValueError):
        bulk.instances(Business, ("id", "status"), [(1,)])  # a row shorter than the names

    def receiver(**kwargs):
        pass

    signals.post_init.connect(receiver, sender=Business)
    try:
        with pytest.raises(ValueError, match="signal"):
            bulk.instances(Business, ("id",), [(1,)])
    finally:
        signals.post_init.disconnect(receiver, sender=Business)
    assert bulk.instances(Business, ("id",), []) == []


def test_decide_many_still_decides_with_the_built_instances(world):
    from xueji.workflow import registry

    seen = []
    registry.set_handlers("suspend", on_complete_many=lambda bs, ds, u: seen.extend(
        (b.school.name, b.payload["reason"], b.status) for b in bs), on_complete=None, payload=REASON_SCHEMA)
    started = _started(world, 2)
    services.decide_many(started, world.users.school_leader, True)
    result = services.decide_many(started, world.users.th_registrar, True)
    assert sorted(result.decided) == sorted(b.pk for b in started)
    assert sorted(seen) == [(world.th_school.name, "病休0", "passed"), (world.th_school.name, "病休1", "passed")]
    assert set(Business.objects.filter(pk__in=[b.pk for b in started]).values_list("status", flat=True)) == {"passed"}
