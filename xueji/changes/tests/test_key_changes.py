"""关键数据变更 end to end through the service and the engine: before → after shown, proof
required, the refusals, 查重认证 (reservation, hold, retry), the effect and the audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from xueji.audit.models import AuditEntry
from xueji.changes import key_changes as K
from xueji.changes.models import CheckStatus, KeyChangeCheck
from xueji.registration.testing import resident_id
from xueji.students import verification
from xueji.students.models import IdentityClaim, Student, StudentNumber
from xueji.workflow import payloads, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import BusinessStatus

from .conftest import png_file


def new_id(student, seq: int = 400) -> str:
    return resident_id("440106", student.birth_date, seq, student.gender)


def approve(business, *reviewers):
    for reviewer in reviewers:
        business = workflow.decide(business, reviewer, True, "同意")
    return business


def test_a_name_change_from_request_to_effect(place):
    u = place.users
    s = place.pupil()
    old_name = s.name
    business = K.request_key_change(s, u.school_registrar, {"name": "李明"}, proof=png_file(), reason="户籍更名")
    assert business.kind == "key_change" and business.hold == ""
    assert business.materials.count() == 1
    rows = payloads.display_rows(registry.get(business.kind).schema, business.payload)
    assert ("姓名", f"{old_name} → 李明") in [(r.label, r.text) for r in rows]
    assert KeyChangeCheck.objects.get(business=business).verify_status == CheckStatus.PASSED
    assert K.review_facts([business]) == {business.pk: [("查重认证", "无需查重,认证通过")]}
    business = approve(business, u.school_leader, u.th_registrar)
    assert business.status == BusinessStatus.PASSED
    s.refresh_from_db()
    assert s.name == "李明"
    from xueji.students.models import RecordEvent

    event = RecordEvent.objects.get(student=s, kind="key")
    assert event.business_id == business.pk and event.after == {"name": "李明"} and event.actor_name
    entry = AuditEntry.objects.filter(action="workflow.decided").order_by("-pk").first()
    assert entry is not None
    effect = entry.after["effects"][0]
    assert effect["before"] == {"name": old_name} and effect["after"] == {"name": "李明"}


def test_a_new_resident_id_is_reserved_and_the_number_follows_it(place):
    u = place.users
    s = place.pupil()
    old_number, number = s.national_number, new_id(s)
    business = K.request_key_change(s, u.school_registrar, {"id_number": number}, proof=png_file())
    claim = IdentityClaim.objects.get(key=f"1:{number}")
    assert claim.registration_id == business.pk and claim.student_id is None
    # the ID shown masked, before → after
    rows = {r.label: r.text for r in payloads.display_rows(K.PAYLOAD, business.payload)}
    assert number not in rows["身份证件号"] and "→" in rows["身份证件号"]
    # another pupil can't ask for the reserved ID meanwhile
    other = place.pupil(birth_date=s.birth_date, gender=s.gender)
    with pytest.raises(ValidationError, match="不能变更为该身份证件号"):
        K.request_key_change(other, u.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    approve(business, u.school_leader, u.th_registrar)
    s.refresh_from_db()
    assert s.id_number == number and s.national_number == "G" + number
    assert StudentNumber.objects.get(number=old_number).student_id == s.pk  # the old number still resolves
    assert IdentityClaim.objects.get(key=f"1:{number}").student_id == s.pk
    assert not IdentityClaim.objects.filter(key=f"1:{old_number[1:]}").exists()


def test_a_rejected_change_frees_the_reservation(place):
    u = place.users
    s = place.pupil()
    business = K.request_key_change(s, u.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    workflow.decide(business, u.school_leader, False, "材料不符")
    assert not IdentityClaim.objects.filter(key=f"1:{new_id(s)}").exists()
    s.refresh_from_db()
    assert s.id_number != new_id(s)


def test_while_the_registry_has_not_answered_no_one_can_approve(place, monkeypatch):
    u = place.users
    s = place.pupil()
    monkeypatch.setattr(verification, "_verifier", lambda people: None)
    business = K.request_key_change(s, u.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    assert business.hold == registry.DEDUP_PENDING
    assert K.review_facts([business])[business.pk] == [("查重认证", "查重通过,未认证")]
    with pytest.raises(ValidationError, match="查重认证未完成"):
        workflow.decide(business, u.school_leader, True, "")
    assert K.retry_verification() == 0  # still no answer: nothing changes
    monkeypatch.setattr(verification, "_verifier", lambda people: {n: (True, "") for n, _ in people})
    assert K.retry_verification() == 1
    business.refresh_from_db()
    assert business.hold == ""
    approve(business, u.school_leader, u.th_registrar)
    s.refresh_from_db()
    assert s.national_number == "G" + new_id(s)


def test_a_failed_verification_is_shown_and_gives_a_temporary_number(place, monkeypatch):
    u = place.users
    s = place.pupil()
    monkeypatch.setattr(verification, "_verifier", lambda people: {n: (False, "人口信息库中无此身份证件号") for n, _ in people})
    business = K.request_key_change(s, u.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    assert K.review_facts([business])[business.pk] == [("查重认证", "查重通过,认证不通过(人口信息库中无此身份证件号)")]
    approve(business, u.school_leader, u.th_registrar)
    s.refresh_from_db()
    assert s.id_number == new_id(s) and s.number_kind == "L"


def test_name_then_id_within_a_year_goes_up_to_the_province(place):
    u = place.users
    s = place.pupil()
    approve(K.request_key_change(s, u.school_registrar, {"name": "王小明"}, proof=png_file()),
            u.school_leader, u.th_registrar)
    s.refresh_from_db()
    business = K.request_key_change(s, u.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    assert business.kind == "key_change_name_id"
    assert [step["level"] for step in business.chain] == ["school", "supervisor", "city", "province"]


@pytest.mark.parametrize("after,message", [
    ({"name": "李明", "id_number": "NEW"}, "不能同时变更姓名和身份证件号"),
    ({"id_type": "Z", "id_number": ""}, "正式学籍号学生不能将身份证件类型变更为无身份证件"),
    ({"id_number": "440106201701020010"}, "校验"),
    ({"birth_date": "2017-02-30"}, "不是有效日期"),
    ({"birth_date": "2099-01-01"}, "出生日期"),
    ({"gender": "3"}, "性别"),
    ({"nationality": "XXX"}, "国籍/地区"),
    ({"name": ""}, "姓名"),
    ({"name": "abc"}, "姓名"),
    ({}, "没有需要变更的关键数据"),
])
def test_refusals(place, after, message):
    s = place.pupil()
    if after.get("id_number") == "NEW":
        after = {**after, "id_number": new_id(s)}
    with pytest.raises(ValidationError) as error:
        K.request_key_change(s, place.users.school_registrar, after, proof=png_file())
    assert any(message in m for m in error.value.messages), error.value.messages
    assert not s.businesses.exists() if hasattr(s, "businesses") else True
    assert not IdentityClaim.objects.filter(registration_id__isnull=False).exists()


def test_proof_is_required_and_checked(place):
    s = place.pupil()
    with pytest.raises(ValidationError, match="请上传证明材料"):
        K.request_key_change(s, place.users.school_registrar, {"name": "李明"}, proof=None)
    from django.core.files.uploadedfile import SimpleUploadedFile
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError):
        K.request_key_change(s, place.users.school_registrar, {"name": "李明"}, proof=fake)
    assert not KeyChangeCheck.objects.exists()


def test_a_temporary_number_may_become_no_document_up_to_the_province(place):
    u = place.users
    s = place.pupil(kind="L")
    business = K.request_key_change(s, u.school_registrar, {"id_type": "Z", "id_number": ""}, proof=png_file())
    assert business.kind == "key_change_no_id"
    assert [step["level"] for step in business.chain] == ["school", "supervisor", "city", "province"]
    approve(business, u.school_leader, u.th_registrar, u.gz_registrar, u.gd_registrar)
    s.refresh_from_db()
    assert s.id_type == "Z" and s.number_kind == "J"


def test_no_document_needs_a_guardian_with_a_resident_id(place):
    s = place.pupil(kind="L", guardian_id=False)
    with pytest.raises(ValidationError, match="持居民身份证的家庭成员"):
        K.request_key_change(s, place.users.school_registrar, {"id_type": "Z", "id_number": ""}, proof=png_file())


def test_a_foreign_document_goes_through_document_deduplication(place):
    u = place.users
    a, b = place.pupil(), place.pupil()
    assert a.birth_date != b.birth_date
    change = {"id_type": "6", "id_number": "H12345678", "hmt": "01", "nationality": "HKG"}
    business = K.request_key_change(a, u.school_registrar, change, proof=png_file())
    assert IdentityClaim.objects.get(key="6:H12345678").registration_id == business.pk
    assert K.review_facts([business])[business.pk] == [("查重认证", "查重通过,无需认证")]
    with pytest.raises(ValidationError, match="不能变更为该身份证件号"):
        K.request_key_change(b, u.school_registrar, change, proof=png_file())
    approve(business, u.school_leader, u.th_registrar)
    a.refresh_from_db()
    assert a.id_type == "6" and a.number_kind == "J"


def test_grade_and_class_are_key_data(place):
    u = place.users
    s = place.pupil()
    business = K.request_key_change(s, u.school_registrar, {}, klass=place.c23.pk, proof=png_file())
    rows = {r.label: r.text for r in payloads.display_rows(
        K.PAYLOAD, business.payload, class_labels={place.c1.code: place.c1.label, place.c23.code: place.c23.label})}
    assert rows["年级"] == f"{place.g2022.name} → {place.g2023.name}"
    assert rows["班级"] == f"{place.c1.label} → {place.c23.label}"
    with pytest.raises(ValidationError, match="本校的班级"):
        K.request_key_change(place.pupil(), u.school_registrar, {}, klass=place.hz.pk, proof=png_file())
    approve(business, u.school_leader, u.th_registrar)
    s.refresh_from_db()
    assert s.klass_id == place.c23.pk and s.grade_id == place.g2023.pk


def test_one_open_business_per_student(place):
    u = place.users
    s = place.pupil()
    K.request_key_change(s, u.school_registrar, {"name": "李明"}, proof=png_file())
    with pytest.raises(ValidationError, match="已有在办业务"):
        K.request_key_change(s, u.data_checker, {}, klass=place.c2.pk, proof=png_file())


def test_a_student_whose_status_does_not_allow_it(place):
    s = place.pupil(status="31")  # 死亡
    with pytest.raises(ValidationError, match="不能办理关键数据变更"):
        K.request_key_change(s, place.users.school_registrar, {"name": "李明"}, proof=png_file())
    assert Student.objects.get(pk=s.pk).name != "李明"


def test_the_retry_command(place, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    s = place.pupil()
    monkeypatch.setattr(verification, "_verifier", lambda people: None)
    business = K.request_key_change(s, place.users.school_registrar, {"name": "李明"}, proof=png_file())
    monkeypatch.setattr(verification, "_verifier", lambda people: {n: (True, "") for n, _ in people})
    out = StringIO()
    call_command("retry_key_change_verification", stdout=out)
    assert "已认证1件" in out.getvalue()
    business.refresh_from_db()
    assert business.hold == "" and KeyChangeCheck.objects.get(business=business).verify_status == "passed"


def test_a_temporary_number_becomes_official_with_a_verified_resident_id(place):
    u = place.users
    s = place.pupil(kind="L")
    assert s.number_kind == "L"
    approve(K.request_key_change(s, u.school_registrar, {"id_number": new_id(s)}, proof=png_file()),
            u.school_leader, u.th_registrar)
    s.refresh_from_db()
    assert s.national_number == "G" + new_id(s) and s.number_kind == "G"


def test_all_at_once_skips_those_waiting_for_the_registry(place, monkeypatch):
    u = place.users
    ready = K.request_key_change(place.pupil(), u.school_registrar, {"name": "李明"}, proof=png_file())
    monkeypatch.setattr(verification, "_verifier", lambda people: None)
    held = K.request_key_change(place.pupil(), u.school_registrar, {"name": "李亮"}, proof=png_file())
    outcome = workflow.decide_many([ready, held], u.school_leader, True, "同意")
    assert outcome.decided == [ready.pk] and [pk for pk, _ in outcome.skipped] == [held.pk]
    held.refresh_from_db()
    assert held.position == 0 and held.hold == registry.DEDUP_PENDING


def test_reveal_shows_the_full_new_id_once_and_audits_it(client, place):
    from django.urls import reverse

    from xueji.testing import PASSWORD
    s = place.pupil()
    business = K.request_key_change(s, place.users.school_registrar, {"id_number": new_id(s)}, proof=png_file())
    assert client.login(username=place.users.school_leader.username, password=PASSWORD)
    page = client.get(reverse("workflow:business_detail", args=[business.pk])).content.decode()
    assert new_id(s) not in page and s.id_number not in page
    page = client.post(reverse("workflow:business_reveal", args=[business.pk])).content.decode()
    assert f"{s.id_number} → {new_id(s)}" in page
    assert AuditEntry.objects.filter(action="workflow.revealed").count() == 1
