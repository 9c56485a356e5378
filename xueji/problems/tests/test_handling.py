"""问题学籍处理 end to end through the engine: every path of the state machine (seed 004
§2), the arbitration authority on real org data, refusals, lock, deadlines, 催办."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.changes import deletion
from xueji.problems import handling as H
from xueji.problems.models import GroupState as G
from xueji.problems.models import MemberState as S
from xueji.problems.models import Method as M
from xueji.problems.models import ProblemEvent, ProblemGroup, ProblemReminder, ProblemSettings
from xueji.students.models import IdentityClaim, Status, Student
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus

from .handling_support import fresh, new_id_for, pass_all, png_file, reviewer_for


def act(ns, member, method, **kw):
    """The member's school registrar starts ``method``; the chain passes it."""
    member = fresh(member)
    after = kw.pop("after", None)
    if method == M.CHANGE and after is None:
        after = {"id_number": new_id_for(member.student, 400 + member.pk)}
    business = H.start_handling(member, ns.registrar(member.student.school), method, proof=png_file(), after=after,
                                **kw)
    assert business.kind.startswith(("problem_", "xp_problem_"))
    return pass_all(business)


def holder_of(student) -> int | None:
    """Who holds ``student``'s identity as it was when the instance was read."""
    claim = IdentityClaim.objects.filter(key=f"{student.id_type}:{student.id_number}").first()
    return claim.student_id if claim else None


# --- the paths of a pair, table-driven ------------------------------------------------------
# steps: (who: 0 = the earlier record, 1 = the later one, or "arbitrate"), method or passed index
PATHS = [
    ("later changes", [(1, M.CHANGE)], {0: S.AUTO_EVIDENCED, 1: S.CHANGED}, 0),
    ("later deletes", [(1, M.DELETE)], {0: S.AUTO_EVIDENCED, 1: S.DELETED}, 0),
    ("later evidences, earlier changes", [(1, M.EVIDENCE), (0, M.CHANGE)], {0: S.CHANGED, 1: S.AUTO_EVIDENCED}, 1),
    ("later evidences, earlier deletes", [(1, M.EVIDENCE), (0, M.DELETE)], {0: S.DELETED, 1: S.AUTO_EVIDENCED}, 1),
    ("both evidence, earlier passes, later changes",
     [(1, M.EVIDENCE), (0, M.EVIDENCE), ("arbitrate", 0), (1, M.CHANGE)], {0: S.PASSED, 1: S.CHANGED}, 0),
    ("both evidence, later passes, earlier deletes",
     [(1, M.EVIDENCE), (0, M.EVIDENCE), ("arbitrate", 1), (0, M.DELETE)], {0: S.DELETED, 1: S.PASSED}, 1),
    ("both evidence, none passes, earlier changes, the other is left",
     [(1, M.EVIDENCE), (0, M.EVIDENCE), ("arbitrate", None), (0, M.CHANGE)],
     {0: S.CHANGED, 1: S.AUTO_EVIDENCED}, 1),
    ("both evidence, none passes, one deletes, the other is left",
     [(1, M.EVIDENCE), (0, M.EVIDENCE), ("arbitrate", None), (1, M.DELETE)],
     {0: S.AUTO_EVIDENCED, 1: S.DELETED}, 0),
]


@pytest.mark.parametrize(("name", "steps", "final", "holder"), PATHS, ids=[p[0] for p in PATHS])
def test_every_path_of_a_pair(hp, name, steps, final, holder):
    group, members = hp.duplicates("th", "hz")
    identity = members[0].student
    assert fresh(members[1]).must_act and not fresh(members[0]).must_act
    for who, what in steps:
        if who == "arbitrate":
            group.refresh_from_db()
            assert group.state == G.ARBITRATION and group.arbiter == hp.tree.gz  # two counties of 广州
            arbiter = reviewer_for_authority(group.arbiter)
            passed = members[what].pk if what is not None else None
            H.arbitrate(group, arbiter, passed, "证明材料不足")
            group.refresh_from_db()
            assert group.state in (G.RETURNED, G.RESOLVED)
            continue
        act(hp, members[who], what)
    group.refresh_from_db()
    assert group.resolved and group.state == G.RESOLVED and group.turn_due is None, (group.state, group.resolution)
    assert {i: fresh(m).state for i, m in enumerate(members)} == final
    assert not any(fresh(m).must_act for m in members)
    if holder is not None:
        assert holder_of(identity) == members[holder].student_id
    # every step is in the group's log
    assert ProblemEvent.objects.filter(group=group).count() >= len(steps)


def reviewer_for_authority(authority):
    from xueji.accounts.models import Role, User
    from xueji.testing import make_user

    return (User.objects.filter(role=Role.AUTHORITY_REGISTRAR, authority=authority).first()
            or make_user(f"arb{authority.pk}", Role.AUTHORITY_REGISTRAR, authority=authority))


def test_evidence_passes_the_turn_and_the_earlier_record_may_not_act_first(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    with pytest.raises(ValidationError, match="后注册"):
        H.start_handling(a, hp.registrar(hp.th), M.EVIDENCE, proof=png_file())
    business = H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    group.refresh_from_db()
    assert group.state == G.REVIEWING and fresh(b).state == S.ACTING
    # double submission: the member is under review; the engine holds one business per student too
    with pytest.raises(ValidationError, match="正在审核中"):
        H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    assert Business.objects.filter(student=b.student, status=BusinessStatus.OPEN).count() == 1
    pass_all(business)
    group.refresh_from_db()
    assert group.state == G.WAITING and fresh(a).must_act and fresh(b).state == S.EVIDENCED
    with pytest.raises(ValidationError, match="已佐证"):
        H.start_handling(b, hp.registrar(hp.hz), M.CHANGE, proof=png_file(), after={"name": "某某"})


def test_a_failed_side_may_not_evidence_again(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    act(hp, b, M.EVIDENCE)
    act(hp, a, M.EVIDENCE)
    group.refresh_from_db()
    H.arbitrate(group, reviewer_for_authority(group.arbiter), a.pk, "乙方材料不足")
    with pytest.raises(ValidationError, match="只能变更或删除"):
        H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    assert fresh(b).opinion == "仲裁不通过:乙方材料不足" and fresh(a).opinion == "仲裁通过"
    assert holder_of(a.student) == a.student_id
    # a rejected change after arbitration goes back to 仲裁不通过, still its turn
    business = H.start_handling(b, hp.registrar(hp.hz), M.DELETE, proof=png_file())
    workflow.decide(business, reviewer_for(business), False, "材料不清楚")
    assert fresh(b).state == S.FAILED and fresh(b).must_act


def test_rejected_and_withdrawn_actions_go_back(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    business = H.start_handling(b, hp.registrar(hp.hz), M.DELETE, proof=png_file())
    workflow.decide(business, reviewer_for(business), False, "不同意删除")
    group.refresh_from_db()
    assert group.state == G.WAITING and fresh(b).state == S.PENDING and fresh(b).must_act
    assert Student.objects.get(pk=b.student_id).status != Status.DELETED
    number = new_id_for(b.student, 77)
    business = H.start_handling(b, hp.registrar(hp.hz), M.CHANGE, proof=png_file(), after={"id_number": number})
    assert IdentityClaim.objects.filter(key=f"1:{number}", registration_id=business.pk).exists()
    workflow.withdraw(business, hp.registrar(hp.hz))
    assert not IdentityClaim.objects.filter(key=f"1:{number}").exists()  # the reservation is freed
    assert fresh(b).state == S.PENDING and fresh(b).must_act
    assert ProblemEvent.objects.filter(group=group, action__in=["删除审核不通过", "变更已撤销"]).count() == 2


def test_three_members(hp):
    group, (a, b, c) = hp.duplicates("th", "hz", "ft")
    assert fresh(c).must_act
    act(hp, c, M.EVIDENCE)
    assert fresh(b).must_act  # the next latest
    act(hp, b, M.CHANGE)
    group.refresh_from_db()
    assert not group.resolved and fresh(a).must_act  # two still share the identity
    act(hp, a, M.EVIDENCE)
    group.refresh_from_db()
    assert group.state == G.ARBITRATION and group.arbiter == hp.tree.gd  # 广州 and 深圳: the province
    H.arbitrate(group, reviewer_for_authority(hp.tree.gd), c.pk, "甲方证明不足")
    group.refresh_from_db()
    assert group.state == G.RETURNED and fresh(a).must_act and fresh(a).state == S.FAILED
    act(hp, a, M.DELETE)
    group.refresh_from_db()
    assert group.resolved and fresh(c).state == S.PASSED and holder_of(c.student) == c.student_id


@pytest.mark.parametrize(("schools", "arbiter"), [
    (("th", "th2"), "tianhe"),  # one county
    (("th", "hz"), "gz"),       # two counties of one city
    (("th", "ft"), "gd"),       # two cities
    (("th", "gx"), "ministry"),  # two provinces: 教育部
])
def test_the_arbiter_is_the_lowest_common_superior(hp, schools, arbiter):
    group, (a, b) = hp.duplicates(*schools)
    assert group.cross_province == (arbiter == "ministry")
    first = act(hp, b, M.EVIDENCE)
    assert first.kind == ("xp_problem_proof" if group.cross_province else "problem_proof")
    act(hp, a, M.EVIDENCE)
    group.refresh_from_db()
    assert group.state == G.ARBITRATION and group.arbiter == getattr(hp.tree, arbiter)
    # only a registrar of exactly the arbiter
    above = hp.users.moe_registrar if arbiter != "ministry" else hp.users.gd_registrar
    with pytest.raises(PermissionDenied):
        H.arbitrate(group, above, a.pk, "x")
    with pytest.raises(ValidationError, match="补充意见"):
        H.arbitrate(group, reviewer_for_authority(group.arbiter), a.pk, "")
    with pytest.raises(ValidationError, match="待仲裁"):
        H.arbitrate(group, reviewer_for_authority(group.arbiter), 987654, "x")
    H.arbitrate(group, reviewer_for_authority(group.arbiter), a.pk, "乙方材料不足")
    with pytest.raises(ValidationError, match="待仲裁"):  # a second arbitration
        H.arbitrate(group, reviewer_for_authority(group.arbiter), b.pk, "改判")


def test_only_the_members_school_registrar_acts(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    for user in (hp.users.school_registrar, hp.users.school_leader, hp.users.hz_registrar, hp.users.gz_registrar):
        with pytest.raises(PermissionDenied):
            H.start_handling(b, user, M.EVIDENCE, proof=png_file())
    with pytest.raises(ValidationError, match="证明材料"):
        H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=None)
    with pytest.raises(ValidationError, match="未知"):
        H.start_handling(b, hp.registrar(hp.hz), "burn", proof=png_file())
    with pytest.raises(ValidationError):
        H.start_handling("abc", hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):  # a fake image
        H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=SimpleUploadedFile("a.png", b"GIF89a....."))
    assert fresh(b).state == S.PENDING and not Business.objects.filter(student=b.student).exists()


def test_change_goes_through_the_key_change_rules(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    registrar = hp.registrar(hp.hz)
    with pytest.raises(ValidationError, match="不能同时变更姓名和身份证件号"):
        H.start_handling(b, registrar, M.CHANGE, proof=png_file(),
                         after={"name": "新名字", "id_number": new_id_for(b.student, 5)})
    with pytest.raises(ValidationError, match="被占用"):  # 查重: another record's identity
        from .handling_support import record, values_of

        other = record(hp.klass["ft"], {**values_of(600), "birth_date": b.student.birth_date,
                                        "gender": b.student.gender, "id_number": new_id_for(b.student, 33)},
                       holder=True)
        H.start_handling(b, registrar, M.CHANGE, proof=png_file(), after={"id_number": other.id_number})
    with pytest.raises(ValidationError):  # the G-number holder may not become 无身份证件
        act(hp, b, M.EVIDENCE)
        H.start_handling(a, hp.registrar(hp.th), M.CHANGE, proof=png_file(), after={"id_type": "Z", "id_number": ""})
    assert fresh(a).state == S.PENDING


def test_an_official_number_changed_to_a_foreign_document_gets_a_temporary_number(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    act(hp, b, M.EVIDENCE)
    assert Student.objects.get(pk=a.student_id).number_kind == "G"
    act(hp, a, M.CHANGE, after={"id_type": "6", "id_number": "H12345678", "nationality": "HKG", "hmt": "01"})
    student = Student.objects.get(pk=a.student_id)
    assert student.id_type == "6" and student.number_kind == "L" and student.national_number.startswith("L")
    group.refresh_from_db()
    assert group.resolved and holder_of(b.student) == b.student_id


def test_a_verification_problem_changed_or_evidenced(hp):
    # 身份证件号错误: one record; 变更 with a new 查重认证 → G; 佐证 confirmed → G as well
    for method in (M.CHANGE, M.EVIDENCE):
        group, (only,) = hp.duplicates("th", kind="id_error", number_kind="L")
        assert fresh(only).must_act and fresh(only).student.number_kind == "L"
        act(hp, only, method)
        group.refresh_from_db()
        assert group.resolved, method
        assert Student.objects.get(pk=only.student_id).number_kind == "G", method


def test_deadlines_restart_at_every_turn(hp):
    ProblemSettings.objects.create(authority=hp.tree.gd, turn_days=3)
    group, (a, b) = hp.duplicates("th", "hz")
    first_due = group.turn_due
    assert first_due is not None
    act(hp, b, M.EVIDENCE)
    group.refresh_from_db()
    assert group.turn_since > group.created_at and group.turn_due >= first_due
    from xueji.workflow import rules as workflow_rules

    assert group.turn_due == workflow_rules.add_working_days(timezone.localtime(group.turn_since), 3)


def test_a_locked_group_refuses_every_action(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    business = H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    assert H.lock_groups([a.student_id], "招生期间") == [group.pk]
    assert H.lock_groups([a.student_id], "招生期间") == []  # idempotent
    # the open business can't be completed while locked
    workflow.decide(business, reviewer_for(business), True)
    with pytest.raises(ValidationError, match="锁定"):
        workflow.decide(business, reviewer_for(business), True)
    workflow.withdraw(business, hp.registrar(hp.hz))
    for method in M.values:
        with pytest.raises(ValidationError, match="锁定"):
            H.start_handling(b, hp.registrar(hp.hz), method, proof=png_file(), after={"name": "某"})
    with pytest.raises(ValidationError, match="锁定"):
        H.remind(group, hp.users.th_registrar)
    assert H.hand_over([b.student_id]) == [group.pk]
    group.refresh_from_db()
    assert not group.locked and group.turn_due is not None
    act(hp, b, M.DELETE)
    group.refresh_from_db()
    assert group.resolved


def test_locked_arbitration_refused(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    act(hp, b, M.EVIDENCE)
    act(hp, a, M.EVIDENCE)
    H.lock_groups([a.student_id], "招生期间")
    group.refresh_from_db()
    with pytest.raises(ValidationError, match="锁定"):
        H.arbitrate(group, reviewer_for_authority(group.arbiter), a.pk, "x")


def test_the_province_switch_locks_its_graduates_groups(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    other, _ = hp.duplicates("th", "hz")
    Student.objects.filter(pk=b.student_id).update(status=Status.GRADUATED)
    with pytest.raises(PermissionDenied):
        H.save_settings(hp.users.th_registrar, turn_days=5, admission_lock=True)
    for bad in ("x", 0, 61, None):
        with pytest.raises(ValidationError):
            H.save_settings(hp.users.gd_registrar, turn_days=bad, admission_lock=True)
    H.save_settings(hp.users.gd_registrar, turn_days=5, admission_lock=True)
    group.refresh_from_db()
    other.refresh_from_db()
    assert group.locked and group.lock_reason == H.ADMISSION_LOCK_REASON and not other.locked
    H.save_settings(hp.users.gd_registrar, turn_days=5, admission_lock=False)
    group.refresh_from_db()
    assert not group.locked
    assert ProblemSettings.objects.get(authority=hp.tree.gd).turn_days == 5
    assert AuditEntry.objects.filter(action="problems.settings_saved").count() == 2


def test_reminders(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    with pytest.raises(PermissionDenied):
        H.remind(group, hp.users.school_registrar)
    (sent,) = H.remind(group, hp.users.hz_registrar)
    assert sent.school == hp.hz and "请尽快处理" in sent.message
    # overdue: once a day, idempotent
    ProblemGroup.objects.filter(pk=group.pk).update(turn_due=timezone.now() - dt.timedelta(days=1))
    call_command("remind_overdue_problems")
    call_command("remind_overdue_problems")
    assert ProblemReminder.objects.filter(group=group, sender=H.SYSTEM).count() == 1
    act(hp, b, M.DELETE)
    with pytest.raises(ValidationError, match="处理完毕"):
        H.remind(group, hp.users.hz_registrar)


def test_a_joining_record_takes_the_turn(hp):
    from xueji.problems import services as P

    from .handling_support import record

    group, (a, b) = hp.duplicates("th", "hz")
    act(hp, b, M.EVIDENCE)
    assert fresh(a).must_act
    newcomer = record(hp.klass["ft"], {k: getattr(a.student, k) for k in (
        "name", "gender", "birth_date", "id_type", "id_number", "nationality", "hmt", "ethnicity")}, holder=False)
    P.group_duplicate_identities([f"1:{a.student.id_number}"])
    group.refresh_from_db()
    joined = group.members.get(student=newcomer)
    assert joined.must_act and not fresh(a).must_act and joined.rank is not None


def test_mistaken_deletion_and_key_change_leave_the_group(hp):
    group, (a, b, c) = hp.duplicates("th", "hz", "ft")
    from xueji.students import services as student_services

    student_services.delete_records([c.student_id], reason="误操作", date=timezone.localdate())
    assert deletion.settle_problem_groups(c.student_id) == []
    group.refresh_from_db()
    assert not group.resolved and fresh(c).state == S.DELETED and fresh(b).must_act
    from xueji.changes import key_changes

    business = key_changes.request_key_change(Student.objects.get(pk=b.student_id), hp.registrar(hp.hz),
                                              {"id_number": new_id_for(b.student, 91)}, proof=png_file())
    pass_all(business)
    group.refresh_from_db()
    assert group.resolved and fresh(a).state == S.AUTO_EVIDENCED and holder_of(a.student) == a.student_id


def test_review_facts_show_the_group_masked(hp):
    group, (a, b) = hp.duplicates("th", "hz")
    business = H.start_handling(b, hp.registrar(hp.hz), M.EVIDENCE, proof=png_file())
    facts = H.review_facts([business])[business.pk]
    label, text = facts[0]
    assert label == "问题学籍" and "身份证件号重复" in text and a.student.name in text
    assert a.student.id_number not in text and "*" in text
