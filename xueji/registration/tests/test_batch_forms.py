"""Batch forms (issue 7 §6): ids outside the user's scope, or not in the list shown, or
not ids at all, refuse the whole request with a message and a scope.denied audit entry
listing them — they are not silently dropped ("上报0条"). Role refusals are audited, and
every page that shows a full ID number writes an audit entry."""

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.registration.models import Registration
from xueji.registration.testing import workbook_bytes

from .test_views import _upload


@pytest.fixture
def two(client, reg):
    """Two registrations at the Tianhe school waiting for the school audit, one at Haizhu."""
    client.force_login(reg.users.school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(1), reg.row(2)]))
    mine = list(Registration.objects.order_by("pk"))
    client.force_login(reg.users.hz_school_registrar)
    _upload(client, workbook_bytes("primary-resident", [reg.row(3, klass=reg.hz_class)]))
    theirs = Registration.objects.exclude(pk__in=[r.pk for r in mine]).get()
    return mine, theirs


def _denied():
    return AuditEntry.objects.filter(action="scope.denied").order_by("-seq").first()


def _review(client, ids):
    """The reviewers' batch form: 待审核业务 (the one way in, also for registrations)."""
    return client.post(reverse("workflow:queue_decide"), {"mode": "selected", "ids": ids, "decision": "pass"},
                       follow=True)


@pytest.mark.parametrize("bad", ["other", "abc", "-1", "99999999999999999999999"])
def test_school_audit_refuses_a_batch_with_a_foreign_or_bad_id(client, reg, two, bad):
    mine, theirs = two
    client.force_login(reg.users.school_leader)
    foreign = str(theirs.business_id) if bad == "other" else bad
    response = _review(client, [mine[0].business_id, foreign])
    page = response.content.decode()
    assert "本次操作未执行" in page and "审核通过" not in page.split("<main", 1)[1].split("本次操作未执行")[0]
    for r in mine:  # nothing was decided, not even the good one
        r.business.refresh_from_db()
        assert r.business.current_level == "school" and r.business.hold == ""
    entry = _denied()
    assert entry.actor_username == "sch_leader" and foreign[:40] in entry.summary
    # the registration page no longer takes the leader's review
    response = client.post(reverse("registration:pending") + "?state=audit",
                           {"action": "pass", "reg": [mine[0].pk]})
    assert response.status_code == 403


def test_report_refuses_ids_not_in_the_shown_list(client, reg, two):
    mine, _ = two
    client.force_login(reg.users.school_registrar)
    # Still at the school audit, so not in the 上报 list.
    response = client.post(reverse("registration:pending") + "?state=report",
                           {"action": "report", "reg": [mine[0].pk]}, follow=True)
    assert "本次操作未执行" in response.content.decode() and "已上报0条" not in response.content.decode()
    assert str(mine[0].pk) in _denied().summary


def test_good_batch_goes_through(client, reg, two):
    mine, _ = two
    client.force_login(reg.users.school_leader)
    response = _review(client, [r.business_id for r in mine])
    assert "审核通过2件业务" in response.content.decode()


def test_authority_review_refuses_foreign_ids(client, reg, two):
    mine, theirs = two
    client.force_login(reg.users.th_registrar)
    response = _review(client, [theirs.business_id, "x"])
    assert "本次操作未执行" in response.content.decode()
    assert _denied().actor_username == "th_registrar"


def test_role_refusals_are_audited(client, reg):
    client.force_login(reg.users.class_teacher)
    response = client.get(reverse("registration:pending"))
    assert response.status_code == 403
    entry = AuditEntry.objects.filter(action="auth.permission_denied").latest("seq")
    assert entry.actor_username == "sch_teacher" and "/registration/pending/" in entry.summary


def test_api_role_refusals_are_audited_once(reg):
    from xueji.testing import api_client

    client = api_client(reg.users.school_registrar)
    assert client.get("/api/v1/reviews/").status_code == 403
    assert AuditEntry.objects.filter(action="auth.permission_denied", actor_username="sch_registrar").count() == 1
    # An out-of-scope filter is audited as scope.denied only.
    before = AuditEntry.objects.count()
    assert client.get("/api/v1/students/?school=3440105001").status_code == 403
    assert AuditEntry.objects.count() == before + 1 and _denied().actor_username == "sch_registrar"


def test_the_full_id_number_only_through_the_audited_reveal(client, reg, two):
    """The registration page masks the ID number like the business page; 查看完整证件号
    (a POST to the business's reveal) shows it and writes its audit entry."""
    mine, _ = two
    client.force_login(reg.users.school_leader)
    page = client.get(reverse("registration:detail", args=[mine[0].pk])).content.decode()
    assert mine[0].id_number not in page and mine[0].id_number[-4:] in page
    reveal = reverse("workflow:business_reveal", args=[mine[0].business_id])
    assert reveal in page
    assert client.get(reveal).status_code == 405
    shown = client.post(reveal).content.decode()
    assert mine[0].id_number in shown
    entry = AuditEntry.objects.filter(action="workflow.revealed").latest("id")
    assert entry.actor_username == "sch_leader" and entry.object_id == str(mine[0].business_id)
