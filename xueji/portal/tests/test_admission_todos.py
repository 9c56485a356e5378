"""The home page's to-dos of 招生入学: the admitting school's registrar sees 待录取 / 待调档 /
待分班 (linking to 录取新生 / 调取新生档案 / 分班, counted in one query); the reviewers of an
admission (the admitting school's leader, its county; across counties the graduating
county too) see it under the engine's 待审核业务; nobody else sees anything."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xueji.admission import services
from xueji.admission.models import AdmissionResult, State
from xueji.admission.selectors import school_todo_counts
from xueji.admission.tests.conftest import adm, row  # noqa: F401  (the fixture)
from xueji.portal.todos import admissions_waiting, todos_for
from xueji.workflow import services as workflow

pytestmark = pytest.mark.django_db

ADMIT, RETRIEVE, PLACE = "待录取的新生", "待调档的新生", "待分班的新生"


def count(user, label):
    return next((t.count for t in todos_for(user) if t.label == label), 0)


def _import(adm, pupils, admitting, graduating):  # noqa: F811
    importer = adm.users.hz_registrar if admitting == adm.hz_junior else adm.users.th_registrar  # 区县 imports
    outcome = services.import_results(importer, [(i + 2, row(p, graduating, admitting)) for i, p in enumerate(pupils)])
    assert not outcome.failures, outcome.failures
    return list(AdmissionResult.objects.filter(pk__in=outcome.created_ids).order_by("pk"))


def _approve(result, *reviewers):
    for reviewer in reviewers:
        business = AdmissionResult.objects.get(pk=result.pk).business
        workflow.decide(business, reviewer, True)


def test_the_admitting_registrar_counts_each_step_and_follows_the_links(client, adm):  # noqa: F811
    u, w = adm.u, adm.users
    registrar = u.th_junior_registrar
    assert [t.count for t in admissions_waiting(registrar)] == [0, 0, 0]
    assert all(count(registrar, label) == 0 for label in (ADMIT, RETRIEVE, PLACE))  # nothing shown at 0

    a, b, c = _import(adm, adm.th_pupils, adm.th_junior, adm.th_primary)
    assert (count(registrar, ADMIT), count(registrar, RETRIEVE), count(registrar, PLACE)) == (3, 0, 0)
    services.admit(registrar, [a.pk, b.pk, c.pk])
    assert count(registrar, ADMIT) == 0
    for r in (a, b):
        _approve(r, u.th_junior_leader, w.th_registrar)
    assert count(registrar, RETRIEVE) == 2
    services.retrieve(registrar, [a.pk])
    assert (count(registrar, ADMIT), count(registrar, RETRIEVE), count(registrar, PLACE)) == (0, 1, 1)
    # the links are the pages where the step is done, and they list what was counted
    links = {t.label: t.url for t in admissions_waiting(registrar)}
    assert links == {ADMIT: reverse("admission:admit"), RETRIEVE: reverse("admission:retrieve"),
                     PLACE: reverse("admission:placement")}
    client.force_login(registrar)
    home = client.get("/").content.decode()
    assert RETRIEVE in home and PLACE in home and reverse("admission:placement") in home
    assert adm.th_pupils[1].name in client.get(links[RETRIEVE]).content.decode()
    assert adm.th_pupils[0].name in client.get(links[PLACE]).content.decode()


def test_the_counts_are_one_query(adm):  # noqa: F811
    _import(adm, adm.th_pupils, adm.th_junior, adm.th_primary)
    registrar = adm.u.th_junior_registrar
    with CaptureQueriesContext(connection) as captured:
        counts = school_todo_counts(registrar)
    assert counts == {"waiting": 3, "approved": 0, "retrieved": 0}
    assert len(captured.captured_queries) == 1


def test_other_schools_and_roles_see_no_admission_steps(adm):  # noqa: F811
    _import(adm, adm.th_pupils, adm.th_junior, adm.th_primary)
    u, w = adm.u, adm.users
    assert count(u.th_junior_registrar, ADMIT) == 3
    # another junior school, the graduating primary school: nothing of theirs waits
    for user in (u.hz_junior_registrar, w.school_registrar):
        assert [t.count for t in admissions_waiting(user)] == [0, 0, 0]
        assert count(user, ADMIT) == 0
    # the admitting school's leader, the authorities, other roles: not their step at all
    for user in (u.th_junior_leader, w.th_registrar, w.gz_registrar, w.class_teacher, w.parent):
        assert admissions_waiting(user) == []


def test_a_held_duplicate_is_not_counted_to_retrieve(adm):  # noqa: F811
    """Admitted by two schools: both wait in 重复招生, not under 待调档 (暂停调档)."""
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (th_row,) = _import(adm, [pupil], adm.th_junior, adm.th_primary)
    (hz_row,) = _import(adm, [pupil], adm.hz_junior, adm.th_primary)
    services.admit(u.th_junior_registrar, [th_row.pk])
    services.admit(u.hz_junior_registrar, [hz_row.pk])
    _approve(th_row, u.th_junior_leader, w.th_registrar)
    th_row.refresh_from_db()
    assert th_row.state == State.APPROVED and th_row.duplicate
    assert count(u.th_junior_registrar, RETRIEVE) == 0
    assert count(u.th_junior_registrar, "待处理的重复招生") == 1


def test_reviewers_see_admissions_under_pending_reviews(adm):  # noqa: F811
    """录取审核 is the engine's: each reviewer's 待审核业务 counts the admissions at its step;
    across counties the graduating county's step comes last."""
    u, w = adm.u, adm.users
    th_rows = _import(adm, adm.th_pupils[:2], adm.th_junior, adm.th_primary)
    (cross,) = _import(adm, adm.hz_pupils[:1], adm.th_junior, adm.hz_primary)  # 海珠 graduate, 天河 school
    before = {user: count(user, "待审核业务") for user in (u.th_junior_leader, w.th_registrar, w.hz_registrar)}
    services.admit(u.th_junior_registrar, [r.pk for r in th_rows] + [cross.pk])
    assert count(u.th_junior_leader, "待审核业务") == before[u.th_junior_leader] + 3
    assert count(w.th_registrar, "待审核业务") == before[w.th_registrar]
    for r in (*th_rows, cross):
        _approve(r, u.th_junior_leader)
    assert count(u.th_junior_leader, "待审核业务") == before[u.th_junior_leader]
    assert count(w.th_registrar, "待审核业务") == before[w.th_registrar] + 3
    for r in (*th_rows, cross):
        _approve(r, w.th_registrar)
    assert count(w.th_registrar, "待审核业务") == before[w.th_registrar]
    # only the cross-county admission goes on to 海珠区, the graduating county
    assert count(w.hz_registrar, "待审核业务") == before[w.hz_registrar] + 1
    assert AdmissionResult.objects.get(pk=cross.pk).cross_review
    assert {AdmissionResult.objects.get(pk=r.pk).state for r in th_rows} == {State.APPROVED}
