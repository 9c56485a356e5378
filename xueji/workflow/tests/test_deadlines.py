"""办理期限: every waiting step has a deadline in working days (weekends skipped), set by
the process configuration (default 5); an overdue step is found by the unit it waits at
and by the authorities above it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from xueji.workflow import rules, selectors, services
from xueji.workflow.models import ProcessConfig

from .conftest import make_student

TZ = dt.timezone(dt.timedelta(hours=8))
# 2026-12-04 is a Friday, 12-05/06 the weekend, 12-07 a Monday.
FRIDAY = dt.datetime(2026, 12, 4, 10, 30, tzinfo=TZ)
SATURDAY = dt.datetime(2026, 12, 5, 15, 0, tzinfo=TZ)


# --- the pure rules --------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "days", "due"), [
    (FRIDAY, 1, dt.datetime(2026, 12, 7, 10, 30, tzinfo=TZ)),     # over the weekend: Monday
    (FRIDAY, 5, dt.datetime(2026, 12, 11, 10, 30, tzinfo=TZ)),    # a full working week
    (FRIDAY, 6, dt.datetime(2026, 12, 14, 10, 30, tzinfo=TZ)),    # two weekends
    (SATURDAY, 1, dt.datetime(2026, 12, 8, 0, 0, tzinfo=TZ)),     # reached on Saturday: Monday is day 1
    (dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ), 3, dt.datetime(2026, 12, 4, 9, 0, tzinfo=TZ)),  # Tue → Fri
    (FRIDAY, 0, FRIDAY),
])
def test_add_working_days_skips_weekends(start, days, due):
    assert rules.add_working_days(start, days) == due


def test_add_working_days_refuses_negative():
    with pytest.raises(ValueError):
        rules.add_working_days(FRIDAY, -1)


@pytest.mark.parametrize(("start", "end", "count"), [
    (dt.date(2026, 12, 4), dt.date(2026, 12, 4), 0),
    (dt.date(2026, 12, 4), dt.date(2026, 12, 6), 0),    # Friday → Sunday: no working day spent
    (dt.date(2026, 12, 4), dt.date(2026, 12, 7), 1),    # → Monday
    (dt.date(2026, 12, 4), dt.date(2026, 12, 11), 5),
    (dt.date(2026, 12, 4), dt.date(2026, 12, 25), 15),
    (dt.date(2026, 12, 5), dt.date(2026, 12, 8), 2),    # Saturday → Tuesday
    (dt.date(2026, 12, 8), dt.date(2026, 12, 4), 0),    # end before start
])
def test_working_days_between(start, end, count):
    assert rules.working_days_between(start, end) == count


def test_overdue_only_after_the_deadline():
    due = rules.add_working_days(FRIDAY, 5)
    assert not rules.is_overdue(due, due)
    assert rules.is_overdue(due, due + dt.timedelta(seconds=1))
    assert not rules.is_overdue(None, due + dt.timedelta(days=365))


@pytest.mark.parametrize(("days", "ok"), [(1, True), (5, True), (60, True), (0, False), (61, False),
                                          (-3, False), ("5", False), (True, False), (None, False), (2.5, False)])
def test_deadline_days_checked(days, ok):
    assert (rules.check_deadline_days(days) == []) is ok


# --- the engine ------------------------------------------------------------------------------
@pytest.fixture
def at(monkeypatch):
    """Set the clock: ``at(moment)``."""
    def set_clock(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
    return set_clock


def _start(world, student):
    return services.initiate(kind="suspend", school=world.th_school, applicant=world.users.school_registrar,
                             student=student, stage="1", summary=f"{student.name}申请", payload={"reason": "病"})


def test_each_step_gets_the_default_deadline_and_a_new_one_when_it_advances(world, at):
    u = world.users
    at(FRIDAY)
    business = _start(world, make_student(world.th_school))
    assert business.step_since == FRIDAY
    assert business.step_due == dt.datetime(2026, 12, 11, 10, 30, tzinfo=TZ)
    assert [s["days"] for s in business.chain] == [5, 5]
    # the leader waits until Monday the 14th: overdue since the 11th
    monday = dt.datetime(2026, 12, 14, 9, 0, tzinfo=TZ)
    at(monday)
    assert business.is_overdue(monday) and business.waiting_days(monday) == 6
    assert list(selectors.overdue_queue_for(u.school_leader, monday)) == [business]
    assert not selectors.overdue_queue_for(u.th_registrar, monday).exists()
    # the county, the city and the province see it overdue in their scope; another county does not
    for user in (u.th_registrar, u.gz_registrar, u.gd_registrar, u.moe_registrar):
        assert selectors.overdue_in_scope(user, monday).filter(pk=business.pk).exists()
    assert not selectors.overdue_in_scope(u.hz_registrar, monday).exists()
    services.decide(business, u.school_leader, True)
    business.refresh_from_db()
    assert business.step_since == monday and business.step_due == dt.datetime(2026, 12, 21, 9, 0, tzinfo=TZ)
    assert not selectors.overdue_queue_for(u.th_registrar, monday).exists()
    assert selectors.overdue_queue_for(u.th_registrar, dt.datetime(2026, 12, 21, 9, 1, tzinfo=TZ)).exists()
    services.decide(business, u.th_registrar, True)
    business.refresh_from_db()
    assert business.step_due is None and not business.is_overdue(dt.datetime(2027, 1, 1, tzinfo=TZ))


def test_the_configured_deadline_applies(world, at):
    u, t = world.users, world.tree
    services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.gd,
                         levels=["school", "supervisor"], deadline_days=2)
    at(FRIDAY)
    business = _start(world, make_student(world.th_school))
    assert [s["days"] for s in business.chain] == [2, 2]
    assert business.step_due == dt.datetime(2026, 12, 8, 10, 30, tzinfo=TZ)


def test_deadline_days_refused_out_of_range(world):
    u, t = world.users, world.tree
    for days in (0, 61):
        with pytest.raises(ValidationError):
            services.save_config(u.gd_registrar, business_type="suspend", category="1", stage="1", scope=t.gd,
                                 levels=["school"], deadline_days=days)
    assert not ProcessConfig.objects.filter(scope=t.gd).exists()


def test_batch_decision_moves_the_deadline_too(world, at):
    u = world.users
    at(FRIDAY)
    businesses = [_start(world, make_student(world.th_school)) for _ in range(3)]
    at(SATURDAY)
    result = services.decide_many(businesses, u.school_leader, True)
    assert len(result.decided) == 3
    for business in businesses:
        business.refresh_from_db()
        assert business.step_since == SATURDAY
        assert business.step_due == dt.datetime(2026, 12, 14, 0, 0, tzinfo=TZ)  # Mon 00:00 + 5 working days


def test_config_pages_set_the_deadline(client, world):
    u, t = world.users, world.tree
    client.force_login(u.gd_registrar)
    response = client.post(reverse("workflow:config_create"), {
        "business_types": ["suspend"], "categories": ["1"], "stages": ["1"], "scope": t.gd.pk,
        "levels": ["school", "supervisor"], "deadline_days": "3",
    }, follow=True)
    assert "新增1条" in response.content.decode()
    config = ProcessConfig.objects.get(scope=t.gd, business_type="suspend")
    assert config.deadline_days == 3
    response = client.post(reverse("workflow:config_edit", args=[config.pk]),
                           {"levels": ["school"], "deadline_days": "abc"})
    assert response.status_code == 200
    config.refresh_from_db()
    assert config.deadline_days == 3 and config.levels == ["school", "supervisor"]
    client.post(reverse("workflow:config_edit", args=[config.pk]), {"levels": ["school"], "deadline_days": "8"})
    config.refresh_from_db()
    assert config.deadline_days == 8
    assert "8个工作日" in client.get(reverse("workflow:config_list")).content.decode()


def test_overdue_filters_of_the_queue_and_the_open_list(client, world, at):
    u = world.users
    at(FRIDAY)
    late = _start(world, make_student(world.th_school, name="超期生"))
    at(dt.datetime(2026, 12, 14, 9, 0, tzinfo=TZ))
    fresh = _start(world, make_student(world.th_school, name="新申请"))
    client.force_login(u.school_leader)
    page = client.get(reverse("workflow:queue") + "?overdue=1").content.decode()
    assert "超期生" in page and "新申请" not in page and "超期" in page
    client.force_login(u.th_registrar)
    page = client.get(reverse("workflow:open_businesses") + "?overdue=on").content.decode()
    assert "超期生" in page and "新申请" not in page
    assert fresh.pk != late.pk


def test_the_migration_gives_open_businesses_a_deadline(world, at):
    import importlib

    from django.apps import apps

    from xueji.workflow.models import Business

    backfill = importlib.import_module("xueji.workflow.migrations.0005_deadline_backfill").backfill
    u = world.users
    at(FRIDAY)
    waiting, decided, done = (_start(world, make_student(world.th_school)) for _ in range(3))
    monday = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
    at(monday)
    services.decide(decided, u.school_leader, True)
    services.decide(done, u.school_leader, True)
    services.decide(done, u.th_registrar, True)
    Business.objects.update(step_since=None, step_due=None)   # as before the deadlines
    backfill(apps, None)
    waiting.refresh_from_db()
    decided.refresh_from_db()
    done.refresh_from_db()
    assert (waiting.step_since, waiting.step_due) == (FRIDAY, dt.datetime(2026, 12, 11, 10, 30, tzinfo=TZ))
    assert (decided.step_since, decided.step_due) == (monday, dt.datetime(2026, 12, 14, 9, 0, tzinfo=TZ))
    assert done.step_due is None
