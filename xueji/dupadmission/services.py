"""Writes of 重复招生 (F-65). Every function locks the duplicate's row first
(``select_for_update`` on ``admission.DuplicateAdmission``), so two writers of one
duplicate are serialised and a double submission sees the first one's effect; each owns
its transaction and writes its audit entry inside it.

- :func:`submit_evidence` — 佐证: the admitting school's registrar gives proof material and
  学校意见; an engine business of type ``dup_admission_evidence`` goes to the school's
  supervising authority (重复招生核办);
- :func:`complete_evidence` / :func:`end_evidence` — the engine's hooks: 核办通过 (when every
  live admission's evidence passed, the duplicate waits for the lowest common superior
  authority: 待仲裁) / 核办不通过 or withdrawn (the school evidences again or gives up);
- :func:`give_up_admission` — 放弃录取 (不录取 after 线下协商): the school withdraws its own
  admission; one live admission left → resolved, that one kept;
- :func:`arbitrate` — 重复招生仲裁: at most one admission passes, every other one is
  withdrawn (已撤销), or all fail.

The admission rows change state only through ``admission.services``: ``withdraw_admission``
(已撤销) and ``confirm_admission`` (the one kept is no longer held; see
docs/DUPLICATE_ADMISSION.md).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.admission import services as admission_services
from xueji.admission.models import ADMITTED_STATES, AdmissionResult, DuplicateAdmission
from xueji.audit.services import record_event
from xueji.common.masking import mask_id_number
from xueji.org.selectors import common_superior
from xueji.workflow import payloads, registry
from xueji.workflow import services as workflow
from xueji.workflow.models import Business, BusinessStatus

from . import rules
from .models import CaseState, DuplicateCase, DuplicateEvidence, EvidenceState, Resolution

#: The engine's business type of a school's 佐证 (its 核办 by the supervising authority).
EVIDENCE_KIND = "dup_admission_evidence"
OPINION_MAX = rules.OPINION_MAX
REASON_MAX = 200

PAYLOAD = payloads.Schema("重复招生佐证:学校意见", (
    payloads.Field("school_opinion", "学校意见"),
    payloads.Field("duplicate", "重复招生", "hidden"),
    payloads.Field("admission", "录取", "hidden"),
))
FACT_COLUMNS = ("重复招生",)


def _name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "系统"
    return (user.real_name or user.get_username())[:50]


# --- reading a duplicate under its lock --------------------------------------------------------

def _as_int(value, what: str) -> int:
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise ValidationError(f"{what}不存在") from None


def _lock(duplicate) -> DuplicateAdmission:
    pk = _as_int(duplicate, "重复招生")
    locked = DuplicateAdmission.objects.select_for_update().filter(pk=pk).order_by("pk").first()
    if locked is None:
        raise ValidationError("重复招生不存在")
    return locked


def _case(duplicate: DuplicateAdmission) -> DuplicateCase:
    case, _ = DuplicateCase.objects.get_or_create(duplicate=duplicate)
    return case


def _rows(duplicate: DuplicateAdmission) -> list[AdmissionResult]:
    return list(AdmissionResult.objects.filter(duplicate_group=duplicate)
                .select_related("admitting_school", "admitting_school__supervisor", "student").order_by("pk"))


def _latest_evidence(rows) -> dict[int, DuplicateEvidence]:
    latest: dict[int, DuplicateEvidence] = {}
    for item in DuplicateEvidence.objects.filter(admission__in=[r.pk for r in rows]).order_by("pk"):
        latest[item.admission_id] = item
    return latest


def as_members(rows, latest: dict[int, DuplicateEvidence]) -> list[rules.Member]:
    """The rules' view of a duplicate's rows (for pages deciding which buttons to show)."""
    return [rules.Member(r.pk, r.admitting_school_id, r.state in ADMITTED_STATES,
                         latest[r.pk].state if r.pk in latest else "") for r in rows]


def members_of(duplicate: DuplicateAdmission) -> list[rules.Member]:
    rows = _rows(duplicate)
    return as_members(rows, _latest_evidence(rows))


# --- the admission rows' effects ------------------------------------------------------------------
# 已撤销 and the end of the hold are the admission's own writes: ``admission.services``
# ``withdraw_admission`` (the row withdrawn, its open review ended, the duplicate settled, the
# graduate's problem records handed back when no school admits them) and
# ``confirm_admission`` (one kept and released, every other member withdrawn).

def _end_open_evidence(duplicate: DuplicateAdmission, user) -> None:
    """A resolved duplicate: evidence still under review is ended by the system."""
    ids = list(Business.objects.filter(
        pk__in=DuplicateEvidence.objects.filter(case__duplicate=duplicate, state=EvidenceState.REVIEWING)
        .values("business_id"), status=BusinessStatus.OPEN).order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        # each end runs ``end_evidence``, which settles again and may end the others first
        business = Business.objects.filter(pk=pk, status=BusinessStatus.OPEN).first()
        if business is not None:
            workflow.terminate(business, reason="重复招生已处理完毕", actor=user)


def on_duplicates_settled(duplicate_ids, user) -> None:
    """``admission.services.SETTLED_HOOKS``: duplicates the admission ended by itself (a review
    refused, an admission withdrawn by its importer): their handling is resolved too and
    evidence still under review ends."""
    for duplicate in DuplicateAdmission.objects.filter(pk__in=list(duplicate_ids)).order_by("pk"):
        case = DuplicateCase.objects.filter(duplicate=duplicate).first()
        if case is not None and case.state != rules.RESOLVED:
            _settle(duplicate, case, user)


def _settle(duplicate: DuplicateAdmission, case: DuplicateCase, user) -> str:
    """After a change of one member: resolved when one live admission is left; waiting for
    arbitration (its arbiter set) when every live admission's evidence passed."""
    duplicate.refresh_from_db()
    rows = _rows(duplicate)
    members = as_members(rows, _latest_evidence(rows))
    state = rules.state_of(members, resolved=duplicate.resolved)
    if state == rules.RESOLVED:
        # the admission settled it (``withdraw_admission`` / ``confirm_admission``: at most
        # one admission left); evidence still under review ends with it
        _end_open_evidence(duplicate, user)
        case.resolution = case.resolution or Resolution.WITHDRAWN
    case.state = state
    if state == rules.ARBITRATION:
        live_ids = {m.admission for m in rules.live(members)}
        case.arbiter = common_superior(r.admitting_school.supervisor_id for r in rows if r.pk in live_ids)
    elif state == rules.EVIDENCE:
        case.arbiter = None
    case.save()
    return state


# --- 佐证 ----------------------------------------------------------------------------------------

def _admission(admission) -> AdmissionResult:
    pk = _as_int(admission, "录取")
    found = AdmissionResult.objects.select_related("admitting_school", "student").filter(
        pk=pk, duplicate_group__isnull=False).first()
    if found is None:
        raise ValidationError("录取不存在")
    return found


def can_act(user, admission: AdmissionResult) -> bool:
    """佐证 / 放弃录取: the registrar of the admitting school."""
    return (getattr(user, "is_authenticated", False) and user.role == Role.SCHOOL_REGISTRAR
            and user.school_id == admission.admitting_school_id)


def _text(value, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"请填写{what}")
    if len(text) > limit:
        raise ValidationError(f"{what}不能超过{limit}个字")
    return text


def submit_evidence(admission, user, *, opinion: str, proof, request=None) -> DuplicateEvidence:
    """佐证: the registrar of an admitting school gives proof material (JPG/PNG ≤ 2 MB,
    checked by ``workflow.attach_material``) and 学校意见; the business goes to the
    school's supervising authority. Refused: not that school's registrar
    (PermissionDenied); an empty or long opinion, no proof, a fake or oversized file; the
    rules (resolved, withdrawn, already under review or passed — a double submission)."""
    admission = _admission(admission)
    if not can_act(user, admission):
        raise PermissionDenied("只有录取学校的学籍管理员可以佐证")
    opinion = _text(opinion, "学校意见", OPINION_MAX)
    if proof is None:
        raise ValidationError("请上传证明材料")
    with transaction.atomic():
        duplicate = _lock(admission.duplicate_group_id)
        case = _case(duplicate)
        why = rules.evidence_refusal(members_of(duplicate), admission.pk, resolved=duplicate.resolved)
        if why:
            raise ValidationError(why)
        student = admission.student
        business = workflow.initiate(
            kind=EVIDENCE_KIND, school=admission.admitting_school, applicant=user, stage=admission.stage,
            summary=f"{student.name} 重复招生佐证({admission.admitting_school.name})",
            payload={"school_opinion": opinion, "duplicate": duplicate.pk, "admission": admission.pk},
            request=request)
        workflow.attach_material(business, user, proof, request=request)
        try:
            with transaction.atomic():
                evidence = DuplicateEvidence.objects.create(
                    case=case, admission=admission, school=admission.admitting_school, business=business,
                    school_opinion=opinion, submitted_by_name=_name(user))
        except IntegrityError:
            raise ValidationError("已提交佐证,正在等待主管教育行政部门核办") from None
        _settle(duplicate, case, user)
        record_event(action="dupadmission.evidenced", summary=f"重复招生佐证:{student.name}"
                     f"({admission.admitting_school.name})", actor=user, request=request, target=case,
                     after={"duplicate": duplicate.pk, "admission": admission.pk, "business": business.pk,
                            "opinion": opinion})
    return evidence


def _evidence_of(business: Business) -> DuplicateEvidence | None:
    return DuplicateEvidence.objects.filter(business_id=business.pk).select_related("case").first()


def complete_evidence(business: Business, decision=None, user=None) -> registry.Effect | None:
    """on_complete: 核办通过 — the evidence passed; every live admission's passed → 待仲裁."""
    evidence = _evidence_of(business)
    if evidence is None:
        return None
    now = timezone.now()
    duplicate = _lock(evidence.case.duplicate_id)
    evidence.state, evidence.decided_at = EvidenceState.PASSED, now
    if decision is not None:
        evidence.review_opinion, evidence.reviewed_unit = (decision.opinion or "")[:200], decision.unit_name[:100]
    evidence.save(update_fields=["state", "decided_at", "review_opinion", "reviewed_unit"])
    case = DuplicateCase.objects.get(pk=evidence.case_id)
    state = _settle(duplicate, case, user)
    words = (f"各录取学校佐证均已核办通过,待{case.arbiter.name if case.arbiter else '共同上级教育行政部门'}仲裁"
             if state == rules.ARBITRATION else "等待其他录取学校佐证核办")
    return registry.Effect(f"重复招生佐证核办通过,{words}", {"duplicate": duplicate.pk, "state": state})


def end_evidence(business: Business, decision=None, user=None) -> None:
    """on_end: 核办不通过 (the school must evidence again or give up) or withdrawn."""
    evidence = _evidence_of(business)
    if evidence is None or evidence.state != EvidenceState.REVIEWING:
        return
    now = timezone.now()
    duplicate = _lock(evidence.case.duplicate_id)
    evidence.state = EvidenceState.REFUSED if decision is not None else EvidenceState.WITHDRAWN
    evidence.decided_at = now
    if decision is not None:
        evidence.review_opinion, evidence.reviewed_unit = (decision.opinion or "")[:200], decision.unit_name[:100]
    else:
        evidence.review_opinion = (business.close_note or "")[:200]
    evidence.save(update_fields=["state", "decided_at", "review_opinion", "reviewed_unit"])
    _settle(duplicate, DuplicateCase.objects.get(pk=evidence.case_id), user)


def review_facts(businesses) -> dict[int, list[tuple[str, str]]]:
    """重复招生 for 待审核业务 and the business page: the graduate (ID masked) and every
    admitting school with its state — three queries for any number of businesses."""
    own = dict(DuplicateEvidence.objects.filter(business_id__in=[b.pk for b in businesses])
               .values_list("business_id", "case__duplicate_id"))
    rows: dict[int, list[AdmissionResult]] = {}
    for r in AdmissionResult.objects.filter(duplicate_group_id__in=set(own.values())).select_related(
            "student", "admitting_school").order_by("pk"):
        rows.setdefault(r.duplicate_group_id, []).append(r)
    facts = {}
    for business_id, duplicate_id in own.items():
        members = rows.get(duplicate_id, [])
        if not members:
            continue
        s = members[0].student
        schools = "、".join(f"{r.admitting_school.name}({r.get_state_display()})" for r in members)
        facts[business_id] = [("重复招生", f"{s.name} {mask_id_number(s.id_number) if s.id_number else '无证件'}"
                                         f" 录取学校:{schools}")]
    return facts


# --- 放弃录取 ------------------------------------------------------------------------------------

def give_up_admission(admission, user, *, reason: str, request=None) -> DuplicateAdmission:
    """放弃录取 (不录取, seed 001 (4): 线下协商, the school not admitting deletes): the
    admitting school's registrar withdraws its own admission (已撤销) and its evidence under
    review; one live admission left → the duplicate is resolved, that one kept."""
    admission = _admission(admission)
    if not can_act(user, admission):
        raise PermissionDenied("只有录取学校的学籍管理员可以放弃录取")
    reason = _text(reason, "放弃录取原因", REASON_MAX)
    with transaction.atomic():
        duplicate = _lock(admission.duplicate_group_id)
        case = _case(duplicate)
        rows = _rows(duplicate)
        members = as_members(rows, _latest_evidence(rows))
        try:
            outcome = rules.give_up(members, admission.pk, resolved=duplicate.resolved)
        except rules.Refused as refused:
            raise ValidationError(str(refused)) from None
        for business in Business.objects.filter(
                pk__in=DuplicateEvidence.objects.filter(admission=admission, state=EvidenceState.REVIEWING)
                .values("business_id"), status=BusinessStatus.OPEN):
            workflow.withdraw(business, user, request=request, note="学校放弃录取")
        row = next(r for r in rows if r.pk == admission.pk)
        admission_services.withdraw_admission(user, row, reason=f"学校放弃录取:{reason}", request=request)
        if outcome.resolved:
            case.resolution = Resolution.WITHDRAWN
        state = _settle(duplicate, case, user)
        record_event(action="dupadmission.given_up", summary=f"重复招生放弃录取:{admission.student.name}"
                     f"({admission.admitting_school.name})", actor=user, request=request, target=case,
                     after={"duplicate": duplicate.pk, "admission": admission.pk, "reason": reason,
                            "kept": outcome.kept, "state": state})
    duplicate.refresh_from_db()
    return duplicate


# --- 仲裁 ----------------------------------------------------------------------------------------

def can_arbitrate(user, case: DuplicateCase | None) -> bool:
    return (case is not None and getattr(user, "is_authenticated", False)
            and user.role == Role.AUTHORITY_REGISTRAR and case.arbiter_id is not None
            and user.authority_id == case.arbiter_id)


def arbitrate(duplicate, user, passed, opinion: str, request=None) -> DuplicateCase:
    """重复招生仲裁 by a registrar of the arbiter (the lowest common superior authority of the
    admitting schools): ``passed`` (an admission id; None/"" = 均不通过) is kept and no
    longer held, every other live admission is withdrawn (已撤销). The opinion is required.
    Refused: not the arbiter (PermissionDenied); evidence not all passed, resolved already
    (a second submission), an admission not of this duplicate, an empty opinion."""
    if passed in (None, ""):
        passed_id = None
    else:
        try:
            passed_id = int(passed)
        except (TypeError, ValueError):
            raise ValidationError("仲裁通过的录取必须是本重复招生待仲裁的录取") from None
    now = timezone.now()
    with transaction.atomic():
        duplicate = _lock(duplicate)
        case = DuplicateCase.objects.filter(duplicate=duplicate).first()
        if not can_arbitrate(user, case):
            raise PermissionDenied("只有仲裁单位的学籍管理员可以仲裁")
        rows = _rows(duplicate)
        members = as_members(rows, _latest_evidence(rows))
        try:
            outcome = rules.arbitrate(members, passed_id, opinion, resolved=duplicate.resolved)
        except rules.Refused as refused:
            raise ValidationError(str(refused)) from None
        opinion = opinion.strip()
        kept = next((r for r in rows if r.pk == outcome.kept), None)
        admission_services.confirm_admission(user, duplicate, kept, note=f"重复招生仲裁:{opinion}", request=request)
        case.state, case.resolution = CaseState.RESOLVED, (Resolution.ARBITRATED if kept else Resolution.ALL_FAILED)
        case.passed_id, case.arbitration_opinion = outcome.kept, opinion
        case.arbitrated_at, case.arbitrated_by_name = now, _name(user)
        case.save()
        record_event(action="dupadmission.arbitrated", summary=f"重复招生仲裁:{rows[0].student.name}"
                     + (f",{kept.admitting_school.name}录取通过" if kept else ",均仲裁不通过"),
                     actor=user, request=request, target=case, authority_prefix=user.authority.prefix,
                     after={"duplicate": duplicate.pk, "passed": outcome.kept, "withdrawn": list(outcome.withdraw),
                            "opinion": opinion})
    return case


def register() -> None:
    """The business type of 佐证 (reviewed by the school's supervising authority, seed 001:
    上报区县 → 区县核办) with its effects and reviewer facts."""
    registry.register(EVIDENCE_KIND, "重复招生佐证", (registry.SUPERVISOR,), on_complete=complete_evidence,
                      on_end=end_evidence, stages=("2", "3"), group="招生入学", payload=PAYLOAD,
                      facts=review_facts, fact_columns=FACT_COLUMNS)
    if on_duplicates_settled not in admission_services.SETTLED_HOOKS:
        admission_services.SETTLED_HOOKS.append(on_duplicates_settled)


ACTION_LABELS = {
    "dupadmission.evidenced": "重复招生佐证",
    "dupadmission.given_up": "重复招生放弃录取",
    "dupadmission.arbitrated": "重复招生仲裁",
}
