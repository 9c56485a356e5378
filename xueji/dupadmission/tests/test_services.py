"""重复招生 services: 佐证 → 核办 → 仲裁 by the lowest common superior authority, 放弃录取,
and their refusals (double submissions, bad input, wrong users), on both databases."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from xueji.admission.models import AdmissionResult, DuplicateAdmission, State
from xueji.audit.models import AuditEntry
from xueji.dupadmission import rules, services
from xueji.dupadmission.models import (
    CaseState,
    DuplicateCase,
    DuplicateEvidence,
    EvidenceState,
    Resolution,
)
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus


def _reviewer(dw, school):
    u = dw.users
    return {dw.tree.tianhe.pk: u.th_registrar, dw.tree.haizhu.pk: u.hz_registrar, dw.tree.futian.pk: dw.ft_registrar,
            dw.tree.xingning.pk: dw.xn_registrar, dw.tree.gz.pk: u.gz_registrar}[school.supervisor_id]


def evidence(dw, group, school, opinion="该生已报到,家长确认就读本校"):
    return services.submit_evidence(dw.row(group, school), dw.reg_of[school.pk], opinion=opinion, proof=dw.png())


def passed(dw, group, school):
    item = evidence(dw, group, school)
    workflow.decide(item.business, _reviewer(dw, school), True, "情况属实")
    item.refresh_from_db()
    return item


def _case(group):
    return DuplicateCase.objects.get(duplicate=group)


@pytest.mark.parametrize(("pair", "arbiter"), [
    (("th1", "th2"), "tianhe"),   # two schools of one county → that county
    (("th1", "hz"), "gz"),        # two counties of one city → the city
    (("th1", "ft"), "gd"),        # two cities → the province
    (("th1", "xn"), "ministry"),  # two provinces → 教育部
    (("city", "th1"), "gz"),      # a school run by the city and one of its counties' → the city
    (("th1", "th2", "ft"), "gd"),  # three schools: the deepest authority all share
])
def test_the_arbiter_is_the_lowest_common_superior_of_the_admitting_schools(dw, pair, arbiter):
    schools = [getattr(dw, k) for k in pair]
    group = dw.dup(*schools)
    first = passed(dw, group, schools[0])
    assert first.state == EvidenceState.PASSED and first.reviewed_unit
    assert _case(group).state == CaseState.EVIDENCE and _case(group).arbiter is None
    for school in schools[1:]:
        passed(dw, group, school)
    case = _case(group)
    assert case.state == CaseState.ARBITRATION
    assert case.arbiter == getattr(dw.tree, arbiter)
    # still held: nobody is 调档-able before the arbitration
    assert AdmissionResult.objects.filter(duplicate_group=group, duplicate=True).count() == len(schools)


def _arbiter_user(dw, authority):
    from xueji.accounts.models import Role
    from xueji.testing import make_user

    return make_user(f"arb{authority.pk}", Role.AUTHORITY_REGISTRAR, authority=authority)


def test_arbitration_keeps_one_and_withdraws_the_others(dw):
    group = dw.dup(dw.th1, dw.hz, dw.ft)
    for school in (dw.th1, dw.hz, dw.ft):
        passed(dw, group, school)
    case = _case(group)
    assert case.arbiter == dw.tree.gd
    gd = dw.users.gd_registrar
    # another authority (even above) may not arbitrate
    for user in (dw.users.gz_registrar, dw.users.moe_registrar, dw.users.gd_admin, dw.th1_reg):
        with pytest.raises(PermissionDenied):
            services.arbitrate(group, user, dw.row(group, dw.hz).pk, "海珠测试中学先录取")
    with pytest.raises(ValidationError, match="仲裁意见"):
        services.arbitrate(group, gd, dw.row(group, dw.hz).pk, "   ")
    other = dw.dup(dw.th1, dw.th2)
    with pytest.raises(ValidationError, match="待仲裁的录取"):
        services.arbitrate(group, gd, dw.row(other, dw.th1).pk, "不是本组")
    with pytest.raises(ValidationError, match="待仲裁的录取"):
        services.arbitrate(group, gd, "abc", "非数字")
    services.arbitrate(group, gd, dw.row(group, dw.hz).pk, "海珠测试中学先录取")
    kept, lost = dw.row(group, dw.hz), [dw.row(group, s) for s in (dw.th1, dw.ft)]
    assert kept.state == State.REVIEWING and not kept.duplicate and not kept.held
    assert all(r.state == State.WITHDRAWN and not r.duplicate for r in lost)
    assert lost[0].note.startswith("重复招生仲裁")
    group.refresh_from_db()
    assert group.resolved and group.kept_id == kept.pk and group.resolved_at is not None
    case = _case(group)
    assert case.state == CaseState.RESOLVED and case.resolution == Resolution.ARBITRATED
    assert case.passed_id == kept.pk and case.arbitration_opinion == "海珠测试中学先录取"
    entry = AuditEntry.objects.filter(action="dupadmission.arbitrated").get()
    assert entry.after["passed"] == kept.pk and sorted(entry.after["withdrawn"]) == sorted(r.pk for r in lost)
    # a second submission is refused and changes nothing
    with pytest.raises(ValidationError, match="已处理完毕"):
        services.arbitrate(group, gd, dw.row(group, dw.th1).pk, "再仲裁一次")
    assert dw.row(group, dw.hz).state == State.REVIEWING


def test_arbitration_may_fail_all(dw):
    group = dw.dup(dw.th1, dw.th2)
    passed(dw, group, dw.th1)
    passed(dw, group, dw.th2)
    services.arbitrate(group, dw.users.th_registrar, "", "两校均违规招生")
    assert set(AdmissionResult.objects.filter(duplicate_group=group).values_list("state", flat=True)) == {
        State.WITHDRAWN}
    group.refresh_from_db()
    assert group.resolved and group.kept_id is None
    assert _case(group).resolution == Resolution.ALL_FAILED


def test_arbitration_before_every_evidence_passed_is_refused(dw):
    group = dw.dup(dw.th1, dw.th2)
    passed(dw, group, dw.th1)
    evidence(dw, group, dw.th2)  # under review
    case = _case(group)
    case.arbiter = dw.tree.tianhe  # even if the arbiter were named, the rules decide
    case.save()
    with pytest.raises(ValidationError, match="尚有录取学校的佐证未核办通过"):
        services.arbitrate(group, dw.users.th_registrar, dw.row(group, dw.th1).pk, "先仲裁")
    assert not DuplicateAdmission.objects.get(pk=group.pk).resolved


def test_a_school_giving_up_leaves_one_and_resolves(dw):
    group = dw.dup(dw.th1, dw.hz, dw.ft)
    other = evidence(dw, group, dw.ft)  # under review at 福田
    services.give_up_admission(dw.row(group, dw.th1), dw.th1_reg, reason="线下协商,学生去海珠就读")
    group.refresh_from_db()
    assert not group.resolved and dw.row(group, dw.th1).state == State.WITHDRAWN
    assert dw.row(group, dw.hz).duplicate  # two left: still held
    services.give_up_admission(dw.row(group, dw.ft), dw.ft_reg, reason="线下协商")
    group.refresh_from_db()
    kept = dw.row(group, dw.hz)
    assert group.resolved and group.kept_id == kept.pk and not kept.duplicate and kept.state == State.REVIEWING
    assert _case(group).state == CaseState.RESOLVED and _case(group).resolution == Resolution.WITHDRAWN
    # the evidence the giving-up school had under review was withdrawn with its business
    other.refresh_from_db()
    assert other.state == EvidenceState.WITHDRAWN
    assert Business.objects.get(pk=other.business_id).status == BusinessStatus.WITHDRAWN
    assert AuditEntry.objects.filter(action="dupadmission.given_up").count() == 2
    with pytest.raises(ValidationError, match="已处理完毕"):
        services.give_up_admission(kept, dw.hz_reg, reason="再放弃")


def test_giving_up_ends_the_other_schools_evidence_under_review(dw):
    group = dw.dup(dw.th1, dw.hz)
    left = evidence(dw, group, dw.hz)
    services.give_up_admission(dw.row(group, dw.th1), dw.th1_reg, reason="不录取")
    left.refresh_from_db()
    assert left.state == EvidenceState.WITHDRAWN
    assert Business.objects.get(pk=left.business_id).status == BusinessStatus.FAILED  # ended by the system
    group.refresh_from_db()
    assert group.resolved and group.kept_id == dw.row(group, dw.hz).pk


def test_evidence_refused_by_the_review_must_be_given_again_or_given_up(dw):
    group = dw.dup(dw.th1, dw.hz)
    first = evidence(dw, group, dw.th1)
    with pytest.raises(ValidationError, match="审核意见"):
        workflow.decide(first.business, dw.users.th_registrar, False, "")
    with pytest.raises(PermissionDenied):  # the other county does not review 天河's evidence
        workflow.decide(first.business, dw.users.hz_registrar, True, "")
    workflow.decide(first.business, dw.users.th_registrar, False, "证明材料不清晰")
    first.refresh_from_db()
    assert first.state == EvidenceState.REFUSED and first.review_opinion == "证明材料不清晰"
    passed(dw, group, dw.hz)
    assert _case(group).state == CaseState.EVIDENCE  # 天河 has not passed: no arbitration
    second = passed(dw, group, dw.th1)  # evidenced again
    assert second.pk != first.pk and _case(group).state == CaseState.ARBITRATION


def test_a_second_evidence_is_refused(dw):
    group = dw.dup(dw.th1, dw.hz)
    evidence(dw, group, dw.th1)
    with pytest.raises(ValidationError, match="正在等待主管教育行政部门核办"):
        evidence(dw, group, dw.th1)
    assert DuplicateEvidence.objects.count() == 1 and Business.objects.count() == 1
    item = DuplicateEvidence.objects.get()
    workflow.decide(item.business, dw.users.th_registrar, True, "")
    with pytest.raises(ValidationError, match="已核办通过"):
        evidence(dw, group, dw.th1)


def test_only_the_admitting_schools_registrar_evidences_or_gives_up(dw):
    group = dw.dup(dw.th1, dw.hz)
    row = dw.row(group, dw.th1)
    for user in (dw.hz_reg, dw.th1_leader, dw.users.th_registrar, dw.users.school_registrar):
        with pytest.raises(PermissionDenied):
            services.submit_evidence(row, user, opinion="意见", proof=dw.png())
        with pytest.raises(PermissionDenied):
            services.give_up_admission(row, user, reason="原因")
    assert not DuplicateEvidence.objects.exists() and dw.row(group, dw.th1).state == State.REVIEWING


def _big_png() -> SimpleUploadedFile:
    import io
    import os

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3)).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert len(data) > 2 * 1024 * 1024
    return SimpleUploadedFile("大图.png", data, content_type="image/png")


@pytest.mark.parametrize(("opinion", "proof", "message"), [
    ("", "png", "请填写学校意见"),
    ("  ", "png", "请填写学校意见"),
    ("意" * 201, "png", "不能超过200个字"),
    ("意见", None, "请上传证明材料"),
    ("意见", "fake", ""),
    ("意见", "big", "2M"),
])
def test_bad_evidence_is_refused_and_leaves_nothing(dw, opinion, proof, message):
    group = dw.dup(dw.th1, dw.hz)
    files = {"png": dw.png, None: lambda: None, "big": _big_png,
             "fake": lambda: SimpleUploadedFile("证明.png", b"not an image at all", content_type="image/png")}
    with pytest.raises(ValidationError) as error:
        services.submit_evidence(dw.row(group, dw.th1), dw.th1_reg, opinion=opinion, proof=files[proof]())
    assert message in " ".join(error.value.messages)
    assert not DuplicateEvidence.objects.exists() and not Business.objects.exists()


def test_bad_ids_are_refused(dw):
    for bad in ("abc", None, "", 10**6):
        with pytest.raises(ValidationError):
            services.submit_evidence(bad, dw.th1_reg, opinion="意见", proof=dw.png())
        with pytest.raises(ValidationError):
            services.give_up_admission(bad, dw.th1_reg, reason="原因")
        with pytest.raises(ValidationError):
            services.arbitrate(bad, dw.users.th_registrar, None, "意见")


def test_giving_up_needs_a_reason(dw):
    group = dw.dup(dw.th1, dw.hz)
    with pytest.raises(ValidationError, match="请填写放弃录取原因"):
        services.give_up_admission(dw.row(group, dw.th1), dw.th1_reg, reason=" ")
    assert dw.row(group, dw.th1).state == State.REVIEWING


def test_the_admission_review_in_progress_ends_with_the_withdrawal(dw):
    group = dw.dup(dw.th1, dw.hz)
    row = dw.row(group, dw.th1)
    business = workflow.initiate(kind="admit_junior", school=dw.th1, applicant=dw.th1_reg, student=row.student,
                                 stage="2", summary="录取") if _has_effect("admit_junior") else None
    if business is not None:
        AdmissionResult.objects.filter(pk=row.pk).update(business=business)
    services.give_up_admission(row, dw.th1_reg, reason="线下协商")
    if business is not None:
        business.refresh_from_db()
        assert business.status != BusinessStatus.OPEN
    assert dw.row(group, dw.th1).state == State.WITHDRAWN


def _has_effect(kind: str) -> bool:
    from xueji.workflow import registry

    return registry.get(kind).has_effect


def test_each_write_rolls_back_with_its_audit_entry(dw, failing_audit):
    group = dw.dup(dw.th1, dw.hz)
    failing_audit.only_for("dupadmission.evidenced")
    failing_audit.expect_failure(services.submit_evidence, dw.row(group, dw.th1), dw.th1_reg, opinion="意见",
                                 proof=dw.png())
    assert not DuplicateEvidence.objects.exists() and not Business.objects.exists()
    failing_audit.only_for("dupadmission.given_up")
    failing_audit.expect_failure(services.give_up_admission, dw.row(group, dw.th1), dw.th1_reg, reason="原因")
    assert dw.row(group, dw.th1).state == State.REVIEWING and not DuplicateAdmission.objects.get(pk=group.pk).resolved
    failing_audit.disarm()
    passed(dw, group, dw.th1)
    passed(dw, group, dw.hz)
    failing_audit.only_for("dupadmission.arbitrated")
    failing_audit.expect_failure(services.arbitrate, group, dw.users.gz_registrar, None, "均不通过")
    assert set(AdmissionResult.objects.filter(duplicate_group=group).values_list("state", flat=True)) == {
        State.REVIEWING}


def test_rules_state_of():
    M = rules.Member
    assert rules.state_of([M(1, 1, True, "passed"), M(2, 2, True, "passed")]) == rules.ARBITRATION
    assert rules.state_of([M(1, 1, True, "passed"), M(2, 2, True, "refused")]) == rules.EVIDENCE
    assert rules.state_of([M(1, 1, True, "passed"), M(2, 2, False, "")]) == rules.RESOLVED
    assert rules.state_of([M(1, 1, True, ""), M(2, 2, True, ""), M(3, 3, False, "passed")]) == rules.EVIDENCE
    # a withdrawn member's evidence does not count; the passed ones of the live do
    assert rules.state_of([M(1, 1, True, "passed"), M(2, 2, True, "passed"), M(3, 3, False, "")]) == rules.ARBITRATION
    assert rules.give_up([M(1, 1, True), M(2, 2, True)], 1) == rules.Outcome((1,), 2, True)
    assert rules.give_up([M(1, 1, True), M(2, 2, True), M(3, 3, True)], 1) == rules.Outcome((1,), None, False)
    with pytest.raises(rules.Refused):
        rules.arbitrate([M(1, 1, True, "passed"), M(2, 2, True, "passed")], 3, "意见")


def test_a_duplicate_ended_by_the_admission_side_ends_its_evidence(dw):
    """The admission side settles the duplicate by itself (``admission.services``
    withdrawing one school's admission, as a refused 录取审核 or the importer does): the
    handling is resolved and the other school's evidence under review ends with it."""
    from xueji.admission import services as admission

    group = dw.dup(dw.th1, dw.hz)
    waiting = evidence(dw, group, dw.hz)
    admission.withdraw_admission(dw.users.th_registrar, dw.row(group, dw.th1), reason="导入有误")
    group.refresh_from_db()
    assert group.resolved and group.kept_id == dw.row(group, dw.hz).pk
    waiting.refresh_from_db()
    assert waiting.state == EvidenceState.WITHDRAWN
    assert Business.objects.get(pk=waiting.business_id).status == BusinessStatus.FAILED
    assert _case(group).state == CaseState.RESOLVED


def test_resolution_ends_every_evidence_under_review(dw):
    """Three schools, two evidences under review, the third school's admission withdrawn by
    its importer's way (``withdraw_admission``) after one gave up: nothing left open."""
    group = dw.dup(dw.th1, dw.th2, dw.hz)
    first, second = evidence(dw, group, dw.th2), evidence(dw, group, dw.hz)
    services.give_up_admission(dw.row(group, dw.th1), dw.th1_reg, reason="不录取")
    assert not DuplicateAdmission.objects.get(pk=group.pk).resolved
    services.give_up_admission(dw.row(group, dw.th2), dw.reg_of[dw.th2.pk], reason="家长选择其他学校")
    group.refresh_from_db()
    assert group.resolved
    for item in (first, second):
        item.refresh_from_db()
        assert Business.objects.get(pk=item.business_id).status != BusinessStatus.OPEN
