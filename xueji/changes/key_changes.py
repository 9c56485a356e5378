"""关键数据变更 (SPEC F-43, seed 004 §6): the request, its 查重认证, and its effect.

- :func:`request_key_change` — 关键数据变更申请 (school registrar, data-check account): the
  controlled fields before → after, a proof material, the refusals of
  :mod:`xueji.changes.rules`; the new identity is reserved for the business exactly as a
  pending registration reserves it (``students.services.claim_identities``, the
  business as holder: of two racing requests — or a request and a registration — for
  one ID exactly one wins); a new resident ID (or a new name) is verified with the
  population registry (``students.verification``); while the registry has not
  answered the business waits on ``dedup_pending`` and no reviewer can decide it;
- :func:`complete_key_change` (the engine's ``on_complete``) — the record changes through
  ``students.services.apply_key_change`` (the reserved claim is taken over, the number
  follows the identity); the decision's audit entry holds before → after;
- :func:`end_key_change` / :func:`end_key_changes` (``on_end``) — the reservation is freed;
- :func:`retry_verification` — 认证 of requests that waited for the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common import bulk
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.org.models import Division, SchoolClass
from xueji.students import numbers, verification
from xueji.students import rules as student_rules
from xueji.students import services as student_services
from xueji.students.models import FamilyMember, Student
from xueji.workflow import payloads, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus

from . import rules
from .models import CheckStatus, KeyChangeCheck

HOLD = registry.DEDUP_PENDING


def _change(key: str, label: str, inner: str, table: str | None = None) -> payloads.Field:
    return payloads.Field(key, label, "change", required=False, inner=inner, code_table=table)


#: 关键数据变更的业务内容: each controlled field as 修改前值 → 修改后值 (only those changed).
PAYLOAD = payloads.Schema("关键数据变更:受控字段修改前值和修改后值", (
    _change("name", "姓名", "text"),
    _change("gender", "性别", "code", "gender"),
    _change("birth_date", "出生日期", "date"),
    _change("id_type", "身份证件类型", "code", "id_type"),
    _change("id_number", "身份证件号", "id_number"),
    _change("nationality", "国籍/地区", "code", "nationality"),
    _change("hmt", "港澳台侨外", "code", "hmt"),
    _change("grade", "年级", "text"),
    _change("klass", "班级", "class"),
    payloads.Field("klass_id", "班级", "hidden", required=False),
    payloads.Field("reason", "变更原因", required=False),
))
FACT_COLUMNS = ("查重认证",)
#: Key data a problem group's members share (the identity; name, gender and birth date of
#: records without an ID document): changing one takes the record out of its groups.
PROBLEM_ATTRS = frozenset({"id_type", "id_number", "name", "gender", "birth_date"})


def _value(attr: str, value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def current_values(student: Student) -> dict:
    return {attr: getattr(student, attr) for attr, _ in rules.KEY_FIELDS}


def _clean_new(student: Student, after: Mapping) -> dict:
    """The values asked for, as the record would hold them (a birth date as a date)."""
    new = {}
    for attr, label in rules.KEY_FIELDS:
        if attr not in after:
            continue
        value = after[attr]
        if attr == "birth_date" and not isinstance(value, dt.date):
            parsed = student_rules.parse_date(value)
            if parsed is None:
                raise ValidationError(f"{label}“{value or ''}”不是有效日期")
            value = parsed
        new[attr] = rules.normalized(attr, value if value is not None else "")
    return new


def _past_changes(student: Student) -> list[rules.PastChange]:
    """The student's completed key changes (a few rows)."""
    past = []
    for finished, payload in Business.objects.filter(
            student=student, kind__in=rules.KEY_CHANGE_KINDS, status=BusinessStatus.PASSED,
    ).values_list("finished_at", "payload"):
        if finished is None or not isinstance(payload, dict):
            continue
        attrs = frozenset(a for a, _ in rules.KEY_FIELDS if isinstance(payload.get(a), dict))
        past.append(rules.PastChange(timezone.localdate(finished), attrs))
    return past


def _known_divisions(values: Mapping) -> set[str] | None:
    number = values.get("id_number") or ""
    if values.get("id_type") != numbers.RESIDENT_ID_TYPE or len(number) != 18:
        return None
    prefix = number[:6]
    return {prefix} if Division.objects.filter(code__startswith=prefix).exists() else set()


def _check_key_data(student: Student, merged: Mapping, today: dt.date) -> list[str]:
    """The changed record must pass the field rules of its (new) ID type — the one set of
    rules registration uses (``students.rules.check_key_data``)."""
    values = {attr: merged[attr] for attr in student_rules.KEY_CHANGE_ATTRS if attr in merged}
    return student_rules.check_key_data(values, today=today, known_divisions=_known_divisions(values))


def _guardian_refusal(student: Student, merged: Mapping, changed: list[str]) -> list[str]:
    """To 无身份证件: like a no-ID registration, a family member with a resident ID (F-25)."""
    if "id_type" not in changed or merged.get("id_type") != rules.NO_DOCUMENT:
        return []
    has = FamilyMember.objects.filter(student=student, id_type=numbers.RESIDENT_ID_TYPE).exclude(id_number="").exists()
    return [] if has else [rules.NEEDS_GUARDIAN]


def _conflict_message(conflict) -> str:
    """Who holds the identity (a G number masked), as registration says it."""
    held = f"学籍号{mask_national_number(conflict.national_number)}" if conflict.national_number else "待审核的业务"
    return f"身份证件号已在{conflict.school_name}({conflict.school_code})被占用({held}),不能变更为该身份证件号"


@dataclass(frozen=True)
class KeyChangePlan:
    """A key change checked against the F-43 rules and the 查重认证, ready to start as a
    business (:func:`start_key_change`): what :func:`plan_key_change` found."""

    student: Student
    kind: str  # the F-43 business type (key_change / key_change_no_id / key_change_name_id)
    payload: dict
    summary: str
    changed: tuple[str, ...]
    identity_key: str | None
    verify_status: str
    verify_note: str
    masked: str
    new_id_type: str


def plan_key_change(student: Student, after: Mapping, *, reason: str = "", klass=None,
                    today: dt.date | None = None) -> KeyChangePlan:
    """The checks of a key change before anything is written: the F-43 refusals, the key
    data's field rules, the 查重 of the new identity (a read: the claim itself comes in
    :func:`start_key_change`) and the 认证 with the population registry (outside any
    lock). Refused with a Chinese ``ValidationError``."""
    today = today or timezone.localdate()
    current = current_values(student)
    new = _clean_new(student, after)
    klass_obj = None
    if klass not in (None, ""):
        klass_obj = SchoolClass.objects.select_related("grade", "school").filter(
            pk=getattr(klass, "pk", klass), school_id=student.school_id).first()
        if klass_obj is None:
            raise ValidationError("关键数据变更只能调整到本校的班级")
    placement = klass_obj is not None and klass_obj.pk != student.klass_id
    errors = rules.key_change_refusals(student.number_kind, current, new, placement_changed=placement)
    if errors:
        raise ValidationError(errors)
    changed = rules.changed_attrs(current, new)
    merged = {**current, **{a: new[a] for a in changed}}
    errors = _check_key_data(student, merged, today) + _guardian_refusal(student, merged, changed)
    if errors:
        raise ValidationError(errors)
    kind = rules.key_change_kind(current, new, _past_changes(student), today)
    payload: dict = {a: {"before": _value(a, current[a]), "after": _value(a, merged[a])} for a in changed}
    if placement:
        record = Student.objects.select_related("grade", "klass").get(pk=student.pk)
        if record.grade_id != klass_obj.grade_id:
            payload["grade"] = {"before": record.grade.name, "after": klass_obj.grade.name}
        payload["klass"] = {"before": record.klass.code if record.klass_id else "", "after": klass_obj.code}
        payload["klass_id"] = klass_obj.pk
    if (reason or "").strip():
        payload["reason"] = reason.strip()[:200]
    # 查重: the identity after the change, reserved for the business in start_key_change.
    # Two steps, as registration: a read that turns away an identity already held, then
    # (in the transaction) the claim itself, where the database settles a race.
    key = None
    if rules.identity_changed(changed):
        key = numbers.identity_key(merged["id_type"], merged["id_number"])
    if key:
        held = student_services.find_conflicts([key])
        if key in held:
            raise ValidationError(_conflict_message(held[key]))
    # 认证 (outside any lock, like registration): the registry's answer, or none yet.
    status, note = CheckStatus.NOT_APPLICABLE, ""
    if rules.needs_verification(current, new):
        answers = verification.verify([(merged["id_number"], merged["name"])])
        if answers is None:
            status = CheckStatus.PENDING
        else:
            ok, why = answers.get(merged["id_number"], (False, "人口信息库未答复"))
            status, note = (CheckStatus.PASSED, "") if ok else (CheckStatus.FAILED, why or "")
    masked = mask_id_number(merged["id_number"]) if merged["id_number"] else ""
    summary = f"{student.name} " + "、".join(rules.KEY_LABELS[a] for a in changed) + ("、班级" if placement else "")
    return KeyChangePlan(student=student, kind=kind, payload=payload, summary=summary.strip(),
                         changed=tuple(changed) + (("klass",) if placement else ()), identity_key=key,
                         verify_status=status, verify_note=note, masked=masked,
                         new_id_type=merged.get("id_type") or "")


def start_key_change(plan: KeyChangePlan, user, *, proof, kind: str | None = None, payload_extra=None,
                     summary: str | None = None, request=None, audit: bool = True) -> Business:
    """Start the business of a planned key change: the new identity claimed under the
    business's reserved id (of two racing claims — or a claim and a registration — for
    one ID exactly one wins), the business of ``kind`` (default: the plan's F-43 type;
    问题学籍变更 passes its own), its 查重认证 row and proof material; and — unless the
    caller writes its own (``audit=False``) — the audit entry. One transaction (the
    caller's, when it has one)."""
    if proof is None:
        raise ValidationError("请上传证明材料")
    student, key = plan.student, plan.identity_key
    payload = {**plan.payload, **(payload_extra or {})}
    with transaction.atomic():
        # The claim first, under the business's reserved id, as registration does: the
        # identity is settled before the business and its audit entry lock anything.
        (business_id,) = bulk.allocate_ids(Business, 1)
        if key:
            lost = student_services.claim_identities([(key, student.school_id, business_id)], checked=True)
            if key in lost:
                raise ValidationError(_conflict_message(lost[key]))
        pending = plan.verify_status == CheckStatus.PENDING
        business = workflow.initiate(
            kind=kind or plan.kind, school=student.school, applicant=user, student=student,
            stage=student.grade.stage, summary=summary or plan.summary, payload=payload,
            hold=HOLD if pending else "", hold_note="等待人口信息库认证" if pending else "", request=request,
            business_id=business_id,
        )
        KeyChangeCheck.objects.create(business=business, identity_key=key or "", verify_status=plan.verify_status,
                                      verify_note=plan.verify_note[:200],
                                      checked_at=None if pending else timezone.now())
        workflow.attach_material(business, user, proof, request=request)
        if audit:
            record_event(
                action="changes.key_change_requested", summary=f"关键数据变更申请:{plan.summary}",
                actor=user, request=request, target=business,
                after={"student": student.pk, "kind": business.kind, "changed": list(plan.changed),
                       "identity": plan.masked, "verify_status": plan.verify_status},
            )
    return business


def request_key_change(student: Student, user, after: Mapping, *, proof, reason: str = "", klass=None,
                       request=None, today: dt.date | None = None) -> Business:
    """关键数据变更申请. ``after``: controlled field → value asked for (fields left out keep
    their value); ``klass``: a class of the student's school to move to (年级 follows);
    ``proof``: the uploaded proof material (required). Refused in Chinese: no change,
    an official number to 无身份证件, name and ID together, key data failing the field
    rules of its type, an ID another record or pending business holds, no proof."""
    if proof is None:
        raise ValidationError("请上传证明材料")
    plan = plan_key_change(student, after, reason=reason, klass=klass, today=today)
    return start_key_change(plan, user, proof=proof, request=request)


def _changes_of(business: Business) -> dict:
    payload = business.payload if isinstance(business.payload, dict) else {}
    changes = {a: payload[a]["after"] for a, _ in rules.KEY_FIELDS if isinstance(payload.get(a), dict)}
    if payload.get("klass_id"):
        changes["klass"] = payload["klass_id"]
    return changes


def complete_key_change(business: Business, decision=None, user=None, *, problem: bool = False) -> registry.Effect:
    """on_complete: the record changes (``students.services.apply_key_change``): the reserved
    identity becomes the record's, the number follows it (G for a verified resident ID,
    the old number still resolving). ``problem``: a 问题学籍变更 (an official number
    changed to a 港澳台/外籍 document gets a new temporary number, seed 004 §2; the
    problem group is settled by its caller). A plain key change that changes what a
    problem group's members share takes the record out of its groups
    (``problems.handling.members_left``)."""
    check = KeyChangeCheck.objects.filter(business=business).first()
    verified = check is not None and check.verify_status == CheckStatus.PASSED
    result = student_services.apply_key_change(business.student_id, _changes_of(business), verified=verified,
                                               reserved_by=business.pk, actor=user, business_id=business.pk,
                                               problem=problem)
    if not problem and set(result.after) & PROBLEM_ATTRS:
        from xueji.problems import handling

        handling.members_left([business.student_id], resolution="关键数据变更后已不再重复", user=user)
    before = {a: _value(a, v) for a, v in result.before.items()}
    after = {a: _value(a, v) for a, v in result.after.items()}
    for side in (before, after):
        if "id_number" in side and side["id_number"]:
            side["id_number"] = mask_id_number(side["id_number"])
    detail = {"before": before, "after": after}
    if result.placement is not None:
        detail["klass"] = {"before": business.payload.get("klass", {}).get("before"),
                           "after": business.payload.get("klass", {}).get("after")}
    if result.new_number != result.old_number:
        detail["numbers"] = {"before": result.old_number[:1] + "…", "after": result.new_number[:1] + "…"}
    return registry.Effect("关键数据变更已生效", detail)


def end_key_change(business: Business, decision=None, user=None) -> None:
    """on_end: a rejected or withdrawn change frees the identity it reserved."""
    student_services.release_claims([business.pk])


def end_key_changes(businesses, decisions=None, user=None) -> None:
    student_services.release_claims([b.pk for b in businesses])


def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """查重认证 of key changes, for 待审核业务 and the business page (one query)."""
    checks = KeyChangeCheck.objects.filter(business_id__in=[b.pk for b in businesses])
    return {c.business_id: [("查重认证", c.text)] for c in checks}


def retry_verification(limit: int = 1000) -> int:
    """认证 of the key changes that waited for the population registry: their result is
    written and their ``dedup_pending`` hold released. Returns how many were settled (0
    when the registry still does not answer)."""
    waiting = list(KeyChangeCheck.objects.filter(
        verify_status=CheckStatus.PENDING, business__status=BusinessStatus.OPEN, business__hold=HOLD,
    ).select_related("business")[:limit])
    people = []
    for check in waiting:
        after = {a: v["after"] for a, v in check.business.payload.items() if isinstance(v, dict) and "after" in v}
        student = Student.objects.filter(pk=check.business.student_id).values("name", "id_number").first() or {}
        people.append((after.get("id_number", student.get("id_number", "")), after.get("name", student.get("name", ""))))
    if not waiting:
        return 0
    answers = verification.verify(people)
    if answers is None:
        return 0
    now = timezone.now()
    schools = {c.business.school_id for c in waiting}
    with transaction.atomic():
        for check, (number, _) in zip(waiting, people, strict=True):
            ok, why = answers.get(number, (False, "人口信息库未答复"))
            check.verify_status = CheckStatus.PASSED if ok else CheckStatus.FAILED
            check.verify_note = "" if ok else (why or "")[:200]
            check.checked_at = now
        KeyChangeCheck.objects.bulk_update(waiting, ["verify_status", "verify_note", "checked_at"])
        workflow.release_hold_many([c.business_id for c in waiting], HOLD)
        record_event(action="changes.key_change_verified", summary=f"关键数据变更认证{len(waiting)}件",
                     target=("workflow.business", None),
                     school=waiting[0].business.school if len(schools) == 1 else None,
                     after={"businesses": [c.business_id for c in waiting]})
    return len(waiting)


def register() -> None:
    """Plug the three key-change types' effects into the engine (``apps.ready``)."""
    for code in rules.KEY_CHANGE_KINDS:
        registry.set_handlers(code, on_complete=complete_key_change, on_end=end_key_change,
                              on_end_many=end_key_changes, payload=PAYLOAD, facts=review_facts,
                              fact_columns=FACT_COLUMNS)


ACTION_LABELS = {
    "changes.key_change_requested": "关键数据变更申请",
    "changes.key_change_verified": "关键数据变更认证",
}
#: Chinese labels of the keys this module writes in audit entries' before/after.
FIELD_LABELS = {
    "changed": "变更项", "identity": "变更后证件号", "verify_status": "认证状态", "klass": "班级",
    "hmt": "港澳台侨外", "nationality": "国籍/地区", "id_number": "身份证件号", "numbers": "学籍号",
}
