"""Registration writes the record through students.services: completion of one or many
registrations at once (set-based), and 重新认证 — a temporary L number upgraded to the
official G when the population registry verifies the identity later (F-26): service,
button, command and cron."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.problems.models import ProblemGroup, ProblemKind
from xueji.registration import adapters, services
from xueji.registration.models import Registration, SimulatedResident
from xueji.students.models import IdentityClaim, Student, StudentNumber

from .test_flow import _register, _through_chain


def _pending(reg, rows):
    outcome = _register(reg, rows)
    assert not outcome.failed, outcome.failed
    return outcome.passed


def test_many_registrations_complete_in_one_set_based_step(reg):
    rows = [reg.row(i, known=i not in (3, 5)) for i in range(1, 7)]
    pending = _pending(reg, rows)
    businesses = [p.business for p in pending]
    with CaptureQueriesContext(connection) as captured:
        ids = services.complete_registrations(businesses)
    assert len(ids) == 6
    few = _pending(reg, [reg.row(20), reg.row(21, known=False)])
    with CaptureQueriesContext(connection) as few_captured:
        services.complete_registrations([p.business for p in few])
    # one step per table, not per record
    assert len(captured.captured_queries) == len(few_captured.captured_queries)
    students = {s.pk: s for s in Student.objects.filter(pk__in=ids)}
    for pk, row, registration in zip(ids, rows, pending, strict=True):
        student = students[pk]
        assert student.name == row["姓名"] and student.klass == reg.class1
        assert Registration.objects.get(pk=registration.pk).student_id == pk
        assert IdentityClaim.objects.get(key="1:" + row["身份证件号"]).student_id == pk
    assert students[ids[2]].number_kind == "L" and students[ids[0]].number_kind == "G"
    groups = ProblemGroup.objects.filter(kind=ProblemKind.ID_ERROR, members__student_id__in=ids)
    assert sorted(groups.values_list("members__student_id", flat=True)) == [ids[2], ids[4]]
    entries = AuditEntry.objects.filter(action="registration.completed")
    assert entries.count() == 2 and "6人" in entries.order_by("pk").first().summary


@pytest.fixture
def temporary(reg):
    """A pupil registered while the population registry did not know the ID: L number,
    身份证件号错误 group; then the registry learns the ID."""
    row = reg.row(40, known=False)
    (done,) = _through_chain(reg, _pending(reg, [row]))
    student = done.student
    assert student.number_kind == "L"
    SimulatedResident.objects.filter(id_number=row["身份证件号"]).update(name=row["姓名"], not_found=False)
    return student


def test_reverification_upgrades_and_the_old_number_resolves(reg, temporary):
    old = temporary.national_number
    result = services.reverify_temporary_numbers(Student.objects.all(), actor=reg.users.school_registrar)
    assert result.upgraded == [(temporary.pk, old, "G" + temporary.id_number)] and not result.unreachable
    assert result.messages == ["重新认证完成:1人认证通过,已转为正式学籍号"]
    temporary.refresh_from_db()
    assert temporary.national_number == "G" + temporary.id_number and temporary.number_kind == "G"
    assert StudentNumber.objects.get(number=old).student == temporary  # the L keeps resolving
    assert StudentNumber.objects.get(number=old).replaced_at is not None
    group = ProblemGroup.objects.get(kind=ProblemKind.ID_ERROR)
    assert group.resolved and group.resolution == "重新认证通过,已转为正式学籍号"
    entry = AuditEntry.objects.get(action="registration.numbers_upgraded")
    assert entry.after["students"] == [[temporary.pk, old, temporary.national_number]]
    assert entry.actor_username == reg.users.school_registrar.username
    from xueji.audit import display

    (shown,) = [row["after"] for row in display.changes(entry.object_type, None, entry.after)[0] if old in row["after"]]
    assert temporary.id_number not in shown and temporary.id_number[-4:] in shown  # the G number masked on the page
    # nothing left to do
    assert services.reverify_temporary_numbers(Student.objects.all()).upgraded == []


def test_still_unknown_to_the_registry(reg, temporary):
    SimulatedResident.objects.all().update(not_found=True)
    result = services.reverify_temporary_numbers(Student.objects.all())
    assert result.failed == {temporary.pk: "人口信息库中无此身份证件号"} and not result.upgraded
    assert result.messages == ["重新认证完成:0人认证通过,已转为正式学籍号;1人仍未通过认证(人口信息库中无此身份证件号)"]
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"


def _down(monkeypatch):
    def down(self, people):
        raise ConnectionRefusedError("人口信息库无法访问")

    monkeypatch.setattr(adapters.SimulatedPopulationRegistry, "verify", down)


def test_registry_down_changes_nothing(reg, temporary, monkeypatch):
    _down(monkeypatch)
    result = services.reverify_temporary_numbers(Student.objects.all())
    assert result.unreachable and result.messages == ["人口信息库暂时无法访问,请稍后重试;学籍未作改动"]
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"
    assert not ProblemGroup.objects.get(kind=ProblemKind.ID_ERROR).resolved
    assert not AuditEntry.objects.filter(action="registration.numbers_upgraded").exists()


def test_retry_verification_also_upgrades(reg, temporary):
    result = services.retry_verification()
    assert (result.registrations, result.upgraded, result.unreachable) == (0, 1, False)
    temporary.refresh_from_db()
    assert temporary.number_kind == "G"


# --- the button ------------------------------------------------------------------------------

def test_the_list_and_the_button(client, reg, temporary):
    client.force_login(reg.users.school_registrar)
    page = client.get(reverse("registration:index")).content.decode()
    assert "临时学籍号学生" in page and temporary.national_number in page
    assert temporary.id_number not in page and temporary.id_number[-4:] in page  # masked
    assert f"<td>一年级1班({reg.class1.code})</td>" in page  # the class as a person names it
    response = client.post(reverse("registration:reverify"), {"student": temporary.pk})
    assert response.status_code == 302 and response["Location"] == reverse("registration:index")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["重新认证完成:1人认证通过,已转为正式学籍号"]
    temporary.refresh_from_db()
    assert temporary.number_kind == "G"
    page = client.get(reverse("registration:index")).content.decode()
    assert "没有临时学籍号学生" in page


def test_the_button_for_all(client, reg, temporary):
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:reverify"), {"all": "1", "group": "primary"})
    assert response.status_code == 302  # back to the half of 学籍注册 the button was on
    assert response["Location"] == reverse("registration:index") + "?group=primary"
    response = client.post(reverse("registration:reverify"), {"all": "1", "group": "<x>"})
    assert response["Location"] == reverse("registration:index")
    temporary.refresh_from_db()
    assert temporary.number_kind == "G"


def test_the_button_when_the_registry_is_down(client, reg, temporary, monkeypatch):
    _down(monkeypatch)
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:reverify"), {"student": temporary.pk}, follow=True)
    assert "人口信息库暂时无法访问,请稍后重试;学籍未作改动" in response.content.decode()
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"


def test_the_button_is_scoped(client, reg, temporary):
    client.force_login(reg.users.hz_school_registrar)  # another school's registrar
    response = client.post(reverse("registration:reverify"), {"student": temporary.pk})
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor_username=reg.users.hz_school_registrar.username)\
        .exists()
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"
    client.post(reverse("registration:reverify"), {"all": "1"})  # "all" is the user's own school only
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"


@pytest.mark.parametrize("value", ["abc", "", "-1", "1.5", "9" * 30])
def test_the_button_with_bad_ids(client, reg, value):
    client.force_login(reg.users.school_registrar)
    assert client.post(reverse("registration:reverify"), {"student": value}).status_code == 404


def test_the_button_wants_post_and_the_registrar(client, reg, temporary):
    client.force_login(reg.users.school_registrar)
    assert client.get(reverse("registration:reverify")).status_code == 405
    client.force_login(reg.users.school_leader)
    assert client.post(reverse("registration:reverify"), {"student": temporary.pk}).status_code == 403
    client.logout()
    assert client.post(reverse("registration:reverify"), {"student": temporary.pk}).status_code == 302  # to login
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"


def test_a_student_with_an_official_number(client, reg):
    (done,) = _through_chain(reg, _pending(reg, [reg.row(41)]))
    client.force_login(reg.users.school_registrar)
    response = client.post(reverse("registration:reverify"), {"student": done.student.pk}, follow=True)
    assert "不是持居民身份证的临时学籍号学生" in response.content.decode()


# --- the command -------------------------------------------------------------------------------

def test_the_command(reg, temporary, capsys):
    with pytest.raises(CommandError, match="用户nobody不存在"):
        call_command("reverify_numbers", user="nobody")
    with pytest.raises(CommandError, match="只能由学籍管理员"):
        call_command("reverify_numbers", user=reg.users.th_admin.username)
    with pytest.raises(CommandError, match="不在您的数据范围内"):
        call_command("reverify_numbers", user=reg.users.hz_registrar.username, school=reg.world.th_school.code)
    with pytest.raises(CommandError, match="学校标识码0000000000不存在"):
        call_command("reverify_numbers", school="0000000000")
    call_command("reverify_numbers", user=reg.users.hz_registrar.username)  # nothing in 海珠's scope
    temporary.refresh_from_db()
    assert temporary.number_kind == "L"
    call_command("reverify_numbers", user=reg.users.th_registrar.username, school=reg.world.th_school.code)
    assert "1人认证通过" in capsys.readouterr().out
    temporary.refresh_from_db()
    assert temporary.number_kind == "G"


def test_the_command_when_the_registry_is_down(reg, temporary, monkeypatch):
    _down(monkeypatch)
    with pytest.raises(CommandError, match="人口信息库暂时无法访问"):
        call_command("reverify_numbers")


# --- what a failed row says about the record that holds the identity --------------------------

def test_a_row_refused_for_a_record_elsewhere_names_its_number_masked(reg):
    row = reg.row(60)
    (done,) = _through_chain(reg, _pending(reg, [row]))
    number = done.student.national_number
    assert number == "G" + row["身份证件号"]
    hz_row = dict(row, 学校标识码=reg.world.hz_school.code, 班号=reg.hz_class.code)
    outcome = _register(reg, [hz_row], school=reg.world.hz_school, user=reg.users.hz_school_registrar)
    (failed,) = outcome.failed
    (message,) = failed.messages
    assert reg.world.th_school.name in message and "不能重复注册" in message
    assert row["身份证件号"] not in message  # the other school's student's ID number stays masked
    assert f"学籍号G{row['身份证件号'][:4]}**********{row['身份证件号'][-4:]}" in message


def test_the_audit_entry_of_one_completion_masks_the_number_in_its_summary(reg):
    row = reg.row(61)
    (done,) = _through_chain(reg, _pending(reg, [row]))
    entry = AuditEntry.objects.get(action="registration.completed", object_id=str(done.student_id))
    assert row["身份证件号"] not in entry.summary  # the summary shows in the log's list
    assert entry.summary == f"学籍注册完成:{row['姓名']} G{row['身份证件号'][:4]}**********{row['身份证件号'][-4:]}"
    assert entry.after["class"] == f"一年级1班({reg.class1.code})"  # the class as it was named then
