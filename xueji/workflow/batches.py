"""Writes of batch operations (批量业务): operations on many students at once — graduating
a county's final grades, promotion, 学籍转移 — each one record with its own chain and
audit, not one business per student.

The life of a batch::

    create_batch ──► [review, once for the whole batch] ──► approved ──► apply_batch (chunks) ──► done
                          └── fail ──► rejected          cancel_batch (before applying) ──► cancelled

- ``create_batch`` reads the students once (the kind's ``select``) into ``BatchMember``
  rows: what the reviewers approve is exactly what is applied later;
- the chain is resolved like a business's (``rules.resolve_chain``) and decided with
  the same rule (``rules.refusal``: the leader of the step's school, the registrars of
  exactly the step's authority);
- ``apply_batch`` takes the pending members in student order, a chunk at a time; each
  chunk is one transaction — the kind's set-based ``apply``, the members' outcomes, the
  counters and an audit entry — so a run that stops (a crash, a time limit, a job
  cancelled) leaves whole chunks done and the next run goes on from there: nothing is
  done twice. Callable from a request, a command or a background job, with a
  ``progress(done, total)`` callback.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common import bulk

from . import registry, rules
from .models import BatchDecision, BatchMember, BatchOperation, BatchStatus, MemberOutcome

SUMMARY_MAX = 200


def _kind(code: str) -> registry.BatchKind:
    kind = registry.find_batch_kind(code)
    if kind is None:
        raise ValidationError("未知的批量业务类型")
    return kind


def _name(user) -> str:
    return (user.real_name or user.get_username())[:50]


def _check_initiator(user, school, authority) -> None:
    if school is not None:
        if user.role != rules.SCHOOL_REGISTRAR or user.school_id != school.pk:
            raise PermissionDenied("只有本校学籍管理员可以发起本校的批量业务")
        return
    if user.role != rules.AUTHORITY_REGISTRAR or user.authority_id != authority.pk:
        raise PermissionDenied("只有本单位学籍管理员可以发起本单位的批量业务")


def _chain(kind: registry.BatchKind, school, authority, review_levels=None) -> list[dict]:
    """The review chain of a batch. A school's batch climbs like a business of that
    school; an authority's batch is reviewed by the levels above the authority (its own
    level and the school levels are the initiator itself). ``review_levels``: the levels
    the owning feature read from the process configuration (毕业: its business type's),
    instead of the kind's own."""
    levels = tuple(review_levels) if review_levels is not None else kind.review_levels
    if not levels:
        return []
    if school is not None:
        steps = rules.resolve_chain(levels, school.supervisor.ancestors(), school.name,
                                    school_id=school.pk)
    else:
        levels = [level for level in levels if level not in (registry.SCHOOL, registry.SUPERVISOR)]
        steps = [s for s in rules.resolve_chain(levels, authority.ancestors()) if s.authority_id != authority.pk]
    return [s.as_dict() for s in steps]


def _set_step(batch: BatchOperation) -> None:
    step = batch.chain[batch.position]
    batch.current_level = step["level"]
    batch.current_school_id = step.get("school_id")
    batch.current_authority_id = step.get("authority_id")


def _clear_step(batch: BatchOperation) -> None:
    batch.current_level, batch.current_school_id, batch.current_authority_id = "", None, None


def create_batch(*, kind: str, initiator, summary: str, criteria: dict | None = None, school=None,
                 authority=None, request=None, review_levels=None) -> BatchOperation:
    """发起批量业务 for ``school`` or ``authority`` (exactly one): the kind's ``select``
    chooses the students now; with review levels the batch waits for review, otherwise
    it is ready to apply."""
    batch_kind = _kind(kind)
    if (school is None) == (authority is None):
        raise ValidationError("批量业务须属于一所学校或一个教育行政部门")
    _check_initiator(initiator, school, authority)
    criteria = dict(criteria or {})
    summary = (summary or "").strip()[:SUMMARY_MAX]
    if not summary:
        raise ValidationError("请填写批量业务摘要")
    scope = school if school is not None else authority
    if batch_kind.check is not None:
        errors = list(batch_kind.check(scope, criteria))
        if errors:
            raise ValidationError(errors)
    student_ids = sorted(set(batch_kind.select(scope, criteria)))
    if not student_ids:
        raise ValidationError("没有符合条件的学生")
    chain = _chain(batch_kind, school, authority, review_levels)
    with transaction.atomic():
        batch = BatchOperation(
            kind=kind, initiator=initiator, initiator_name=_name(initiator), school=school, authority=authority,
            summary=summary, criteria=criteria, chain=chain, total=len(student_ids),
            status=BatchStatus.REVIEWING if chain else BatchStatus.APPROVED,
        )
        if chain:
            _set_step(batch)
        batch.save()
        bulk.insert_rows(BatchMember, ("batch_id", "student_id", "outcome"),
                         [(batch.pk, pk, MemberOutcome.PENDING) for pk in student_ids])
        record_event(
            action="workflow.batch_created", summary=f"发起批量业务:{batch_kind.name} {summary}(学生{len(student_ids)}人)",
            actor=initiator, request=request, target=batch, school=school,
            authority_prefix=None if school is not None else authority.prefix,
            after={"kind": kind, "criteria": criteria, "total": len(student_ids), "chain": chain},
        )
    return batch


def _lock(batch: BatchOperation | int) -> BatchOperation:
    pk = batch.pk if isinstance(batch, BatchOperation) else batch
    return (BatchOperation.objects.select_for_update(of=("self",))
            .select_related("school__supervisor", "authority").get(pk=pk))


#: A batch's state columns: what a service that locked the batch brings back to the caller's
#: instance, and all that reviewing, cancelling or ending it writes (not the selection and chain
#: JSON — every student id of a school's graduation).
_STATE = ("status", "position", "current_level", "current_school_id", "current_authority_id", "succeeded", "failed",
          "close_note", "started_at", "finished_at", "updated_at")


def _copy_back(given: BatchOperation, fresh: BatchOperation) -> BatchOperation:
    """The caller's instance brought up to date with the one the service locked."""
    if given is not fresh:
        for name in _STATE:
            setattr(given, name, getattr(fresh, name))
    return given


def _prefix(batch: BatchOperation) -> str:
    return batch.school.supervisor.prefix if batch.school_id else batch.authority.prefix


def decide_batch(batch: BatchOperation, reviewer, passed: bool, opinion: str = "", request=None) -> BatchOperation:
    """审核 a batch at its current step: the whole batch passes or fails at once."""
    opinion = (opinion or "").strip()
    if not passed and not opinion:
        raise ValidationError("审核不通过时必须填写审核意见")
    if len(opinion) > 500:
        raise ValidationError("审核意见不能超过500字")
    now = timezone.now()
    given = batch
    with transaction.atomic():
        batch = _lock(batch)
        if batch.status != BatchStatus.REVIEWING:
            raise ValidationError("该批量业务不在审核中")
        refusal = rules.refusal(reviewer, batch)
        if refusal:
            raise PermissionDenied(refusal)
        step = batch.chain[batch.position]
        BatchDecision.objects.create(
            batch=batch, position=batch.position, level=step["level"], authority_id=step.get("authority_id"),
            unit_name=step["unit"][:100], reviewer=reviewer, reviewer_name=_name(reviewer), passed=passed,
            opinion=opinion, decided_at=now,
        )
        outcome = rules.transition(len(batch.chain), batch.position, passed)
        if outcome == rules.ADVANCE:
            batch.position += 1
            _set_step(batch)
        else:
            _clear_step(batch)
            batch.status = BatchStatus.APPROVED if outcome == rules.PASSED else BatchStatus.REJECTED
            if outcome == rules.FAILED:
                batch.finished_at, batch.close_note = now, opinion[:200]
        batch.save(update_fields=_STATE)
        words = {rules.ADVANCE: "审核通过,提交上级审核", rules.PASSED: "审核通过,待执行", rules.FAILED: "审核不通过"}
        record_event(
            action="workflow.batch_reviewed",
            summary=f"{step['unit']}{words[outcome]}:{batch.kind_name} {batch.summary}",
            actor=reviewer, request=request, target=batch, school=batch.school, authority_prefix=_prefix(batch),
            after={"passed": passed, "opinion": opinion, "level": step["level"], "status": batch.status},
        )
    return _copy_back(given, batch)


def cancel_batch(batch: BatchOperation, user, request=None, note: str = "") -> BatchOperation:
    """撤销 a batch before it is applied: its initiator, or a registrar of its unit."""
    given = batch
    with transaction.atomic():
        batch = _lock(batch)
        mine = user.pk == batch.initiator_id or (
            user.role == rules.SCHOOL_REGISTRAR and batch.school_id and user.school_id == batch.school_id
        ) or (user.role == rules.AUTHORITY_REGISTRAR and batch.authority_id and user.authority_id == batch.authority_id)
        if not mine:
            raise PermissionDenied("只有发起单位的学籍管理员可以撤销该批量业务")
        if batch.status not in (BatchStatus.REVIEWING, BatchStatus.APPROVED):
            raise ValidationError("该批量业务已开始执行或已结束,不能撤销")
        _clear_step(batch)
        batch.status, batch.finished_at = BatchStatus.CANCELLED, timezone.now()
        batch.close_note = (note or "发起单位撤销")[:200]
        batch.save(update_fields=_STATE)
        record_event(action="workflow.batch_cancelled", summary=f"撤销批量业务:{batch.kind_name} {batch.summary}",
                     actor=user, request=request, target=batch, school=batch.school, authority_prefix=_prefix(batch),
                     after={"status": batch.status, "note": batch.close_note})
    return _copy_back(given, batch)


def end_batch(batch: BatchOperation, actor, *, note: str, request=None) -> BatchOperation:
    """End a batch that has not started applying as 审核不通过, for the feature that owns
    its kind after that feature's own check (学籍转移: the receiving school refuses to
    confirm). Not for a reviewer: ``decide_batch`` is."""
    note = (note or "").strip()
    if not note:
        raise ValidationError("请说明结束的原因")
    given = batch
    with transaction.atomic():
        batch = _lock(batch)
        if batch.status not in (BatchStatus.REVIEWING, BatchStatus.APPROVED):
            raise ValidationError("该批量业务已开始执行或已结束")
        _clear_step(batch)
        batch.status, batch.finished_at, batch.close_note = BatchStatus.REJECTED, timezone.now(), note[:200]
        batch.save(update_fields=_STATE)
        record_event(action="workflow.batch_ended", summary=f"批量业务结束:{batch.kind_name} {batch.summary}({note})"[:500],
                     actor=actor, request=request, target=batch, school=batch.school, authority_prefix=_prefix(batch),
                     after={"status": batch.status, "note": batch.close_note})
    return _copy_back(given, batch)


def _apply_chunk(pk: int, actor, chunk_size: int, request) -> tuple[BatchOperation, int]:
    """One chunk in one transaction. Returns the batch and how many members it settled
    (0: nothing was left). The chunk that settles the last members also ends the batch
    (执行完毕 and its audit entry, in the same transaction)."""
    with transaction.atomic():
        batch = _lock(pk)
        if batch.status == BatchStatus.DONE:
            return batch, 0
        if batch.status not in (BatchStatus.APPROVED, BatchStatus.APPLYING):
            raise ValidationError("该批量业务未审核通过,不能执行")
        kind = _kind(batch.kind)
        chunk = dict(batch.members.filter(outcome=MemberOutcome.PENDING).order_by("student_id")
                     .values_list("student_id", "pk")[:chunk_size])
        ids = list(chunk)
        now = timezone.now()
        if not ids:
            _finish(batch, actor, request, now)
            return batch, 0
        if batch.status == BatchStatus.APPROVED:
            batch.status, batch.started_at = BatchStatus.APPLYING, now
            batch.save(update_fields=["status", "started_at", "updated_at"])
        failures = {int(k): str(v)[:200] for k, v in (kind.apply(batch, ids, actor) or {}).items() if int(k) in ids}
        done = [i for i in ids if i not in failures]
        bulk.update_rows(BatchMember, "id", ["outcome", "message"],
                         [(MemberOutcome.FAILED, message or "执行失败", chunk[student_id])
                          for student_id, message in failures.items()])
        if done:
            # The chunk is the first pending members by student (the batch row is locked):
            # the rest of them up to its last student are exactly the ones done — one
            # UPDATE without thousands of ids.
            BatchMember.objects.filter(batch_id=batch.pk, outcome=MemberOutcome.PENDING,
                                       student_id__lte=ids[-1]).update(outcome=MemberOutcome.DONE)
        BatchOperation.objects.filter(pk=batch.pk).update(
            succeeded=F("succeeded") + len(done), failed=F("failed") + len(failures), updated_at=now)
        batch.succeeded += len(done)
        batch.failed += len(failures)
        record_event(
            action="workflow.batch_applied",
            summary=f"批量业务执行:{batch.kind_name} {batch.summary} 本批{len(ids)}人(成功{len(done)}人,失败{len(failures)}人)",
            actor=actor, request=request, target=batch, school=batch.school, authority_prefix=_prefix(batch),
            after={"students": ids, "failed": failures},
        )
        batch.updated_at = now
        if len(ids) < chunk_size:
            # fewer pending than a chunk: none is left (members change only under the batch's
            # lock), so the batch ends in this transaction, not in one more
            _finish(batch, actor, request, now)
        return batch, len(ids)


def _finish(batch: BatchOperation, actor, request, now) -> None:
    """执行完毕: the batch is done, with its audit entry."""
    BatchOperation.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE, finished_at=now, updated_at=now)
    batch.status, batch.finished_at, batch.updated_at = BatchStatus.DONE, now, now
    record_event(
        action="workflow.batch_finished",
        summary=f"批量业务执行完毕:{batch.kind_name} {batch.summary}(成功{batch.succeeded}人,失败{batch.failed}人)",
        actor=actor, request=request, target=batch, school=batch.school, authority_prefix=_prefix(batch),
        after={"total": batch.total, "succeeded": batch.succeeded, "failed": batch.failed},
    )


def apply_batch(batch: BatchOperation, actor=None, *, chunk_size: int | None = None,
                progress: Callable[[int, int], None] | None = None, max_chunks: int | None = None,
                request=None) -> BatchOperation:
    """执行 an approved batch, chunk after chunk (each its own transaction and audit entry),
    until every member is settled — or ``max_chunks`` chunks were done (a job's time
    slice; call again to go on). Idempotent: members already settled are never applied
    again, so running it twice, or after a crash, does nothing twice. ``progress(settled,
    total)`` is called after each chunk."""
    pk = batch.pk
    size = chunk_size or _kind(batch.kind).chunk_size
    chunks = 0
    current = None
    while max_chunks is None or chunks < max_chunks:
        current, count = _apply_chunk(pk, actor, size, request)
        if progress is not None:
            progress(current.succeeded + current.failed, current.total)
        chunks += 1
        if current.status == BatchStatus.DONE:
            break
    return _copy_back(batch, current if current is not None else BatchOperation.objects.get(pk=pk))
