"""Writes of the approval workflow (业务审批). Each function owns its transaction and
writes its audit entry last, inside it.

The life of a business::

    initiate ──► [step 1] ──pass──► [step 2] ──pass──► … ──last pass──► passed (on_complete)
                    │                    │
                    └──── fail ──────────┴──────────────────────────► failed  (on_end)
    withdraw / clear_open_businesses / terminate (while open) ──────► withdrawn/failed (on_end)

Each step is a school (its leader) or an authority (its registrars); a multi-party
business (转学) passes through the steps of every party, resolved from each party
school's own configuration. ``decide_many`` (全部审核) is set-based: one insert of the
decisions, grouped updates, one call of a type's ``on_complete_many``/``on_end_many``.

A business on hold (``hold``: 查重认证未完成, 学校尚未上报 …) can't be decided until the
hold is released.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from xueji.audit.services import record_event
from xueji.common import bulk
from xueji.common.batching import batches
from xueji.org.models import Authority, School, SchoolCategory, Stage
from xueji.students.selectors import business_refusals

from . import payloads, registry, rules, selectors
from .models import (
    Business,
    BusinessParty,
    BusinessStatus,
    BusinessWindow,
    Decision,
    Material,
    ProcessConfig,
)

OPINION_MAX_LENGTH = 500
MATERIALS_PER_BUSINESS = 10
MATERIAL_NAME_MAX_LENGTH = 200

_ADVANCE_FIELDS = ["position", "current_level", "current_school", "current_authority", "hold", "hold_note",
                   "step_since", "step_due", "updated_at"]
_CLOSE_FIELDS = [
    "status", "current_level", "current_school", "current_authority", "hold", "hold_note", "finished_at",
    "closed_by", "close_note", "step_due", "updated_at",
]
#: How many ids one ``IN (…)`` list carries (SQLite and PostgreSQL both take far more).
_ID_CHUNK = 5000


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def step_due(step: dict, since):
    """The deadline of ``step`` reached at ``since``: its working days (办理期限, from the
    configuration it came from; the default for chains resolved before deadlines)."""
    days = step.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        days = rules.DEFAULT_DEADLINE_DAYS
    return _due(since, days)


@functools.lru_cache(maxsize=64)
def _due(since, days: int):
    # a 全部审核 moves thousands of businesses into the same step at the same moment
    return rules.add_working_days(timezone.localtime(since), days)


def _business_type(kind: str) -> registry.BusinessType:
    btype = registry.find(kind)
    if btype is None:
        raise ValidationError(f"未知的业务类型:{kind}")
    return btype


def _lock(business: Business | int) -> Business:
    pk = business.pk if isinstance(business, Business) else business
    return (
        Business.objects.select_for_update(of=("self",))
        .select_related("school__supervisor")
        .get(pk=pk)
    )


def _chunks(ids: list[int]):
    return batches(ids, _ID_CHUNK)


def _snapshot(business: Business) -> dict:
    return {
        "kind": business.kind, "status": business.status, "position": business.position,
        "current_level": business.current_level, "current_school": business.current_school_id,
        "current_authority": business.current_authority_id, "hold": business.hold,
    }


# --- process configuration (业务流程配置, F-30) -----------------------------------------------
def _ministry() -> Authority | None:
    return Authority.objects.filter(level=0).order_by("pk").first()


def load_default_configs(actor=None) -> int:
    """Create the national default configuration (scope: the ministry) of every registered
    business type × 办学类型 × the type's 教育阶段 that has none yet. Idempotent; returns
    the number of rows created (0 when there is no ministry yet)."""
    ministry = _ministry()
    if ministry is None:
        return 0
    with transaction.atomic():
        existing = set(
            ProcessConfig.objects.filter(scope=ministry).values_list("business_type", "category", "stage")
        )
        rows = [
            ProcessConfig(business_type=btype.code, category=category, stage=stage, scope=ministry,
                          levels=list(btype.default_chain), updated_by=actor)
            for btype in registry.all_types()
            for category in SchoolCategory.values
            for stage in btype.stages
            if (btype.code, category, stage) not in existing
        ]
        if not rows:
            return 0
        ProcessConfig.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        record_event(
            action="workflow.configs_loaded", summary=f"加载全国默认业务流程配置{len(rows)}条",
            actor=actor, target=ministry, authority_prefix="",
            after={"created": len(rows)},
        )
    return len(rows)


def _check_config_values(business_type: str, category: str, stage: str, levels) -> list[str]:
    errors = []
    btype = registry.find(business_type)
    if btype is None:
        errors.append(f"未知的业务类型:{business_type}")
    if category not in SchoolCategory.values:
        errors.append("办学类型不正确")
    if stage not in Stage.values:
        errors.append("教育阶段不正确")
    elif btype is not None and stage not in btype.stages:
        errors.append(f"{btype.name}不适用于{Stage(stage).label}")
    errors.extend(rules.check_levels(levels))
    return errors


def _require_scope(actor, scope: Authority) -> None:
    if not rules.can_manage_configs(actor):
        raise PermissionDenied("只有省级及教育部学籍管理员可以维护业务流程配置")
    if not rules.can_edit_scope(actor, scope.prefix):
        raise PermissionDenied("只能维护本单位及下级单位范围内的业务流程配置")


def save_config(
    actor, *, business_type: str, category: str, stage: str, scope: Authority, levels,
    config: ProcessConfig | None = None, deadline_days: int | None = None, request=None,
) -> ProcessConfig:
    """Create a configuration, or change an existing one (``config``); ``deadline_days``
    is each step's 办理期限 in working days (None: keep it, or the default)."""
    _require_scope(actor, scope)
    if config is not None:
        _require_scope(actor, config.scope)
    errors = _check_config_values(business_type, category, stage, levels)
    if deadline_days is not None:
        errors.extend(rules.check_deadline_days(deadline_days))
    if errors:
        raise ValidationError(errors)
    levels = rules.normalise_levels(levels)
    before = None
    if config is None:
        config = ProcessConfig()
    else:
        before = {"business_type": config.business_type, "category": config.category, "stage": config.stage,
                  "scope": config.scope_id, "levels": config.levels, "deadline_days": config.deadline_days}
    config.business_type, config.category, config.stage = business_type, category, stage
    config.scope, config.levels, config.updated_by = scope, levels, actor
    if deadline_days is not None:
        config.deadline_days = deadline_days
    try:
        with transaction.atomic():
            config.save()
            record_event(
                action="workflow.config_saved",
                summary=f"{'修改' if before else '新增'}业务流程配置:{config.type_name} "
                f"{config.get_category_display()} {config.get_stage_display()} {scope.name} "
                f"{registry.chain_display(levels)}",
                actor=actor, request=request, target=config, authority_prefix=scope.prefix,
                before=before, after={"business_type": business_type, "category": category, "stage": stage,
                                      "scope": scope.pk, "levels": levels, "deadline_days": config.deadline_days},
            )
    except IntegrityError as error:
        raise ValidationError("该业务类型、办学类型、教育阶段和作用范围的流程配置已存在") from error
    return config


def save_configs(
    actor, *, business_types: Iterable[str], categories: Iterable[str], stages: Iterable[str],
    scope: Authority, levels, deadline_days: int | None = None, request=None,
) -> tuple[int, int]:
    """业务流程配置新增 as on the seed's page: several types × 办学类型 × 教育阶段 at once,
    for one scope. Existing rows of that scope get the new levels. Combinations a type
    does not apply to (小学毕业 × 高中) are left out. Returns (created, updated)."""
    _require_scope(actor, scope)
    business_types, categories, stages = list(business_types), list(categories), list(stages)
    errors = []
    if not business_types:
        errors.append("请选择业务类型")
    if not categories:
        errors.append("请选择办学类型")
    if not stages:
        errors.append("请选择教育阶段")
    errors.extend(rules.check_levels(levels))
    if deadline_days is not None:
        errors.extend(rules.check_deadline_days(deadline_days))
    unknown = [code for code in business_types if registry.find(code) is None]
    if unknown:
        errors.append("未知的业务类型:" + "、".join(unknown))
    if set(categories) - set(SchoolCategory.values):
        errors.append("办学类型不正确")
    if set(stages) - set(Stage.values):
        errors.append("教育阶段不正确")
    if errors:
        raise ValidationError(errors)
    levels = rules.normalise_levels(levels)
    wanted = {
        (code, category, stage)
        for code in business_types
        for category in categories
        for stage in stages
        if stage in registry.get(code).stages
    }
    if not wanted:
        raise ValidationError("所选业务类型不适用于所选教育阶段")
    with transaction.atomic():
        existing = list(
            ProcessConfig.objects.select_for_update()
            .filter(scope=scope, business_type__in=business_types, category__in=categories, stage__in=stages)
        )
        have = {(c.business_type, c.category, c.stage) for c in existing}
        to_update = [c for c in existing if (c.business_type, c.category, c.stage) in wanted]
        days = rules.DEFAULT_DEADLINE_DAYS if deadline_days is None else deadline_days
        for config in to_update:
            config.levels, config.updated_by = levels, actor
            if deadline_days is not None:
                config.deadline_days = deadline_days
        ProcessConfig.objects.bulk_update(to_update, ["levels", "updated_by", "deadline_days"])
        if to_update:
            ProcessConfig.objects.filter(pk__in=[c.pk for c in to_update]).update(updated_at=timezone.now())
        new = [
            ProcessConfig(business_type=code, category=category, stage=stage, scope=scope, levels=levels,
                          deadline_days=days, updated_by=actor)
            for code, category, stage in sorted(wanted - have)
        ]
        ProcessConfig.objects.bulk_create(new)
        record_event(
            action="workflow.config_saved",
            summary=f"业务流程配置:{scope.name} 新增{len(new)}条,修改{len(to_update)}条 "
            f"{registry.chain_display(levels)}",
            actor=actor, request=request, target=scope, authority_prefix=scope.prefix,
            after={"business_types": business_types, "categories": categories, "stages": stages,
                   "levels": levels, "deadline_days": deadline_days, "created": len(new),
                   "updated": len(to_update)},
        )
    return len(new), len(to_update)


def delete_config(actor, config: ProcessConfig, request=None) -> None:
    """Delete a configuration of the actor's scope; the next less specific one (at last
    the national default, or the type's built-in chain) applies again."""
    _require_scope(actor, config.scope)
    with transaction.atomic():
        before = {"business_type": config.business_type, "category": config.category, "stage": config.stage,
                  "scope": config.scope_id, "levels": config.levels}
        summary = (f"删除业务流程配置:{config.type_name} {config.get_category_display()} "
                   f"{config.get_stage_display()} {config.scope.name}")
        pk = config.pk
        config.delete()
        record_event(action="workflow.config_deleted", summary=summary, actor=actor, request=request,
                     target=("workflow.processconfig", pk), authority_prefix=config.scope.prefix, before=before)


def levels_for(school: School, kind: str, stage: str) -> list[str]:
    """The review levels configured for ``kind`` at ``school`` and ``stage`` (the type's
    built-in default when nothing is configured)."""
    return _levels_and_days(school, kind, stage)[0]


def _levels_and_days(school: School, kind: str, stage: str) -> tuple[list[str], int]:
    config = selectors.config_for_school(school, kind, stage)
    if config is not None:
        return list(config.levels), config.deadline_days or rules.DEFAULT_DEADLINE_DAYS
    return list(_business_type(kind).default_chain), rules.DEFAULT_DEADLINE_DAYS


def chain_for(school: School, kind: str, stage: str, party: str = registry.APPLICANT) -> list[rules.Step]:
    """The segment of ``school`` as the party ``party``, from its configuration of ``kind``
    (its review levels, and each step's 办理期限)."""
    levels, days = _levels_and_days(school, kind, stage)
    steps = rules.resolve_chain(levels, school.supervisor.ancestors(), school.name, school_id=school.pk,
                                party=party)
    return [replace(step, days=days) for step in steps]


def chain_for_parties(btype: registry.BusinessType, schools: dict, stage: str) -> list[rules.Step]:
    """The whole chain of a business: each party's segment from its school's configuration
    of the party's configuration type (most specific scope wins), joined in the parties'
    order; an authority in two segments reviews as ``btype.shared_steps`` says."""
    segments = [chain_for(schools[p.role], p.config_type, stage, p.role) for p in btype.all_parties]
    return rules.join_segments(segments, btype.shared_steps)


# --- business windows (业务时间控制, F-05) ----------------------------------------------------
def create_window(actor, *, business_types: Iterable[str], starts_at, ends_at, note: str = "",
                  request=None) -> BusinessWindow:
    """Suspend initiating ``business_types`` in the actor's province (or, for the ministry,
    nationwide) from ``starts_at`` to ``ends_at``."""
    if not rules.can_manage_windows(actor):
        raise PermissionDenied("只有省级及教育部学籍管理员可以设置业务时间控制")
    business_types = list(dict.fromkeys(business_types))
    errors = []
    if not business_types:
        errors.append("请选择要暂停的业务类型")
    unknown = [code for code in business_types if registry.find(code) is None]
    if unknown:
        errors.append("未知的业务类型:" + "、".join(unknown))
    if starts_at is None or ends_at is None:
        errors.append("请填写开始时间和结束时间")
    elif ends_at <= starts_at:
        errors.append("结束时间应晚于开始时间")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        window = BusinessWindow.objects.create(
            authority=actor.authority, business_types=business_types, starts_at=starts_at, ends_at=ends_at,
            note=note.strip()[:200], created_by=actor,
        )
        record_event(
            action="workflow.window_created",
            summary=f"业务时间控制:{_local(starts_at)}至{_local(ends_at)}暂停"
            + "、".join(registry.type_name(c) for c in business_types),
            actor=actor, request=request, target=window,
            after={"business_types": business_types, "starts_at": starts_at, "ends_at": ends_at, "note": note},
        )
    return window


def delete_window(actor, window: BusinessWindow, request=None) -> None:
    if not rules.can_manage_windows(actor) or window.authority_id != actor.authority_id:
        raise PermissionDenied("只能删除本单位设置的业务时间控制")
    with transaction.atomic():
        before = {"business_types": window.business_types, "starts_at": window.starts_at,
                  "ends_at": window.ends_at, "note": window.note}
        pk, prefix = window.pk, window.authority.prefix
        window.delete()
        record_event(action="workflow.window_deleted", summary="删除业务时间控制", actor=actor, request=request,
                     target=("workflow.businesswindow", pk), authority_prefix=prefix, before=before)


def close_window(window: BusinessWindow, *, at=None, actor=None) -> None:
    """End ``window`` at ``at`` (now): the operation that suspended the businesses while it
    ran (升级) has finished. A window already over is left alone."""
    at = at or timezone.now()
    if window.ends_at <= at:
        return
    with transaction.atomic():
        before = {"ends_at": window.ends_at}
        BusinessWindow.objects.filter(pk=window.pk).update(ends_at=max(at, window.starts_at + dt.timedelta(seconds=1)))
        record_event(action="workflow.window_closed", summary="业务时间控制提前结束", actor=actor, target=window,
                     authority_prefix=window.authority.prefix, before=before, after={"ends_at": at})


# --- initiating ------------------------------------------------------------------------------
NOT_OPEN_MESSAGE = "该业务尚未开放办理"


def _check_applicant(applicant, school: School) -> None:
    if applicant.is_school_user:
        if applicant.school_id != school.pk:
            raise PermissionDenied("只能为本校学生发起业务")
        return
    if applicant.is_authority_user and school.supervisor.prefix.startswith(applicant.authority.prefix):
        return
    raise PermissionDenied("您无权为该学校发起业务")


def _start(kind: str, school: School, applicant, hold: str, now) -> registry.BusinessType:
    """The checks before any business of ``kind`` starts at ``school``: a type with an
    effect, an applicant of the school, a known hold, no business window suspending it
    (the students' status: :func:`_check_status_allows`)."""
    btype = _business_type(kind)
    if not btype.has_effect:
        raise ValidationError(NOT_OPEN_MESSAGE)
    _check_applicant(applicant, school)
    if hold and registry.find_hold(hold) is None:
        raise ValidationError(f"未知的暂停原因:{hold}")
    window = rules.window_blocks(selectors.windows_for_school(school, now), kind, now)
    if window is not None:
        raise ValidationError(
            f"该业务在{_local(window.starts_at)}至{_local(window.ends_at)}期间暂停办理"
            + (f"({window.note})" if window.note else "")
        )
    return btype


def _check_status_allows(btype, students) -> None:
    """F-27: the students' 学籍状态 must allow a business of this type (the one table,
    ``students.rules.ALLOWED_BUSINESS``)."""
    refusals = business_refusals(btype.code, btype.name, students)
    if refusals:
        raise ValidationError(refusals)


def _check_stage(btype, stage: str) -> None:
    if stage not in btype.stages:
        label = Stage(stage).label if stage in Stage.values else stage
        raise ValidationError(f"{btype.name}不适用于{label}")


def _first_chain(btype, school: School, stage: str, chains: dict) -> list[dict]:
    """The chain in force for a new single-party business of ``btype`` at ``stage``
    (``chains`` caches it per stage for a batch); refuses a stage the type does not apply
    to and an empty chain."""
    _check_stage(btype, stage)
    if stage not in chains:
        chains[stage] = [step.as_dict() for step in chain_for(school, btype.code, stage)]
    chain = chains[stage]
    if not chain:
        raise ValidationError("业务流程配置没有适用于该学校的审核环节")
    return chain


def _party_schools(btype, school: School, student, parties: dict | None) -> dict:
    """{role: School} of every party: the applicant school, the student's school, or the
    one given in ``parties``. The parties must be different schools."""
    given = dict(parties or {})
    roles = {p.role for p in btype.all_parties}
    if set(given) - roles:
        raise ValidationError("业务当事方不正确")
    result = {}
    for party in btype.all_parties:
        chosen = given.get(party.role)
        if party.school_from == registry.FROM_APPLICANT:
            if chosen is not None and chosen.pk != school.pk:
                raise ValidationError(f"{party.name}应为发起业务的学校")
            chosen = school
        elif chosen is None and party.school_from == registry.FROM_STUDENT and student is not None:
            chosen = student.school
        if chosen is None:
            raise ValidationError(f"请指定{party.name}学校")
        result[party.role] = chosen
    if len({s.pk for s in result.values()}) != len(result):
        raise ValidationError("、".join(p.name for p in btype.all_parties) + "不能是同一所学校")
    return result


def _check_payload(btype, payload) -> dict:
    errors = payloads.check(btype.schema, payload)
    if errors:
        raise ValidationError(errors)
    return payload or {}


def _summary(text: str | None) -> str:
    summary = (text or "").strip()
    if not summary:
        raise ValidationError("请填写业务摘要")
    return summary[:200]


def _applicant_name(applicant) -> str:
    return (applicant.real_name or applicant.get_username())[:50]


def initiate(
    *, kind: str, school: School, applicant, payload: dict | None = None, student=None, stage: str,
    summary: str, hold: str = "", hold_note: str = "", parties: dict | None = None, request=None,
    business_id: int | None = None,
) -> Business:
    """发起业务: resolve the review chain in force and start the business at its first step.

    ``school`` is the applicant school. A multi-party type (转学: 转入方 → 转出方) takes the
    other parties' schools from ``parties`` (``{"sending": school}``) or, for a party
    that is the student's school, from ``student``; each party's segment comes from its
    own school's configuration. ``payload`` must fit the type's schema (:mod:`.payloads`).

    Refused for a type without an effect, while a business window of the school's
    province or the ministry suspends the type, and when the student already has a
    business in progress (enforced by the database, so it holds under races). ``hold``
    starts it on hold (e.g. 查重认证未完成). Joins the caller's transaction, so a feature
    can create its own rows with it. ``business_id``: a primary key the caller reserved
    in its transaction (:func:`xueji.common.bulk.allocate_ids`) to name the business
    first — a key change claims the new identity under it before anything else locks."""
    now = timezone.now()
    btype = _start(kind, school, applicant, hold, now)
    if student is not None:
        _check_status_allows(btype, [student])
    _check_stage(btype, stage)
    payload = _check_payload(btype, payload)
    schools = _party_schools(btype, school, student, parties)
    chain = [step.as_dict() for step in chain_for_parties(btype, schools, stage)]
    if not chain:
        raise ValidationError("业务流程配置没有适用于该学校的审核环节")
    first = chain[0]
    business = Business(
        pk=business_id, kind=btype.code, school=school, student=student, applicant=applicant,
        applicant_name=_applicant_name(applicant), category=school.category, stage=stage,
        summary=_summary(summary), payload=payload, chain=chain, position=0, status=BusinessStatus.OPEN,
        hold=hold, hold_note=(hold_note or "")[:200], current_level=first["level"],
        current_school_id=first["school_id"], current_authority_id=first["authority_id"],
        step_since=now, step_due=step_due(first, now),
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                business.save(force_insert=True)
        except IntegrityError as error:
            raise ValidationError("该学生已有在办业务") from error
        if btype.multi_party:
            BusinessParty.objects.bulk_create(
                [BusinessParty(business=business, school=s, role=role) for role, s in schools.items()]
            )
        record_event(
            action="workflow.initiated", summary=f"发起业务:{btype.name} {business.summary}",
            actor=applicant, request=request, target=business,
            after={"kind": kind, "stage": stage, "student": getattr(student, "pk", None),
                   "parties": {role: s.pk for role, s in schools.items()},
                   "chain": business.chain, "hold": hold, "payload": business.payload},
        )
    return business


_MANY_COLUMNS = (
    "id", "kind", "school_id", "student_id", "applicant_id", "applicant_name", "category", "stage", "summary",
    "payload", "chain", "position", "status", "hold", "hold_note", "current_level", "current_school_id",
    "current_authority_id", "step_since", "step_due",
)


def _extra_steps(chain: list[dict], extra) -> list[dict]:
    """Steps a feature adds after the configured chain by a fact of the item (招生录取: the
    graduating school's authority, across counties), those of an authority already in the
    chain left out (it reviews once)."""
    if not extra:
        return []
    seen = {step["authority_id"] for step in chain if step.get("authority_id")}
    steps = []
    for step in extra:
        if step.get("level") == registry.SCHOOL or not step.get("authority_id"):
            raise ValueError("an extra step is an authority's")
        if step["authority_id"] not in seen:
            seen.add(step["authority_id"])
            steps.append(dict(step))
    return steps


def initiate_many(*, kind: str, school: School, applicant, items: Iterable[dict], hold: str = "",
                  request=None, ids: list[int] | None = None) -> list[int]:
    """发起业务 for many at once (an Excel import) of a single-party type: ``items`` are
    dicts with ``stage``, ``summary`` and optionally ``payload`` (checked against the
    type's schema) or ``payload_json`` (the same already encoded by
    :func:`xueji.common.bulk.dumps` — the caller's own rules checked it: the registration
    import's rows passed the field rules of the 72-item catalogue), ``student`` (a pk),
    ``hold_note``, ``extra_steps`` (authority steps, as ``rules.Step.as_dict``, appended to
    the configured chain by a fact of the item — an authority already in it reviews once).
    Returns the new businesses' ids in the order of ``items``. ``ids``
    are primary keys the caller reserved with :func:`xueji.common.bulk.allocate_ids` (so
    rows naming the businesses can be written first); by default they are reserved here.

    Set-based and without model instances (:mod:`xueji.common.bulk`): one insert, one
    audit entry. All or nothing: a student with a business in progress refuses the
    whole batch. Runs in the caller's transaction if there is one."""
    items = list(items)
    if not items:
        return []
    if ids is not None and len(ids) != len(items):
        raise ValueError("one reserved id per item")
    now = timezone.now()
    btype = _start(kind, school, applicant, hold, now)
    if btype.multi_party:
        raise ValidationError(f"{btype.name}须逐项发起")
    chains: dict = {}
    chain_json: dict[str, str] = {}
    dues: dict[str, object] = {}
    connection = transaction.get_connection()
    since_field = Business._meta.get_field("step_since")
    since = since_field.get_db_prep_save(now, connection)
    name = _applicant_name(applicant)
    rows = []
    for item in items:
        stage = item["stage"]
        chain = _first_chain(btype, school, stage, chains)
        extra = _extra_steps(chain, item.get("extra_steps"))
        key = (stage, bulk.dumps(extra)) if extra else stage
        if key not in chain_json:
            chain_json[key] = bulk.dumps(chain + extra)
            dues[key] = since_field.get_db_prep_save(step_due(chain[0], now), connection)
        payload_json = item.get("payload_json")
        if not payload_json:
            payload_json = bulk.dumps(_check_payload(btype, item.get("payload")))
        rows.append((
            btype.code, school.pk, item.get("student"), applicant.pk, name, school.category, stage,
            _summary(item.get("summary")), payload_json, chain_json[key], 0,
            BusinessStatus.OPEN, hold, (item.get("hold_note") or "")[:200], chain[0]["level"],
            chain[0]["school_id"], chain[0]["authority_id"], since, dues[key],
        ))
    student_ids = [i.get("student") for i in items if i.get("student") is not None]
    if len(set(student_ids)) != len(student_ids):
        raise ValidationError("同一学生不能同时发起两项业务")
    if student_ids:
        busy = list(Business.objects.filter(student_id__in=student_ids, status=BusinessStatus.OPEN)
                    .values_list("student__name", flat=True)[:10])
        if busy:
            raise ValidationError("以下学生已有在办业务:" + "、".join(busy))
        _check_status_allows(btype, student_ids)
    with transaction.atomic():
        if ids is None:
            ids = bulk.allocate_ids(Business, len(rows))
        try:
            with transaction.atomic():
                bulk.insert_rows(Business, _MANY_COLUMNS, [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        except IntegrityError as error:
            raise ValidationError("该学生已有在办业务") from error
        record_event(
            action="workflow.initiated", summary=f"批量发起业务:{btype.name}{len(ids)}件",
            actor=applicant, request=request, school=school, target=("workflow.business", None),
            after={"kind": kind, "businesses": list(ids), "hold": hold},
        )
    return list(ids)


def discard_unstarted(businesses, actor=None, request=None, reason: str = "") -> int:
    """Remove businesses that never started: open, at their first step, with no decision
    and no material — e.g. registrations that lost an identity race inside the import
    that created them. No hook runs. Returns how many were removed."""
    ids = _ids_of(businesses)
    if not ids:
        return 0
    with transaction.atomic():
        doomed = list(
            Business.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status=BusinessStatus.OPEN, position=0, decisions__isnull=True,
                    materials__isnull=True)
            .values_list("pk", "school_id")
        )
        if not doomed:
            return 0
        pks = [pk for pk, _ in doomed]
        Business.objects.filter(pk__in=pks).delete()
        record_event(
            action="workflow.discarded", summary=f"撤回未开始的业务{len(pks)}件" + (f"({reason})" if reason else ""),
            actor=actor, request=request, target=("workflow.business", None),
            school=_only_school({school_id for _, school_id in doomed}),
            after={"discarded": pks, "reason": reason},
        )
    return len(pks)


# --- materials (证明材料) -----------------------------------------------------------------------
def _read_upload(uploaded_file) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > rules.MATERIAL_MAX_BYTES:
        raise ValidationError(rules.MATERIAL_SIZE_MESSAGE)
    chunks, total = [], 0
    for chunk in uploaded_file.chunks():
        total += len(chunk)
        if total > rules.MATERIAL_MAX_BYTES:
            raise ValidationError(rules.MATERIAL_SIZE_MESSAGE)
        chunks.append(chunk)
    return b"".join(chunks)


def attach_material(business: Business, user, uploaded_file, request=None) -> Material:
    """上传证明材料: a JPG/PNG image of at most 2 MB, checked by its content."""
    if not rules.can_attach(user, business):
        raise PermissionDenied("只有发起学校的学籍管理员可以上传证明材料")
    name = (getattr(uploaded_file, "name", "") or "证明材料").replace("\x00", "")
    name = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:MATERIAL_NAME_MAX_LENGTH]
    data = _read_upload(uploaded_file)
    check = rules.check_material(name, data)
    if not check.ok:
        raise ValidationError(check.errors)
    with transaction.atomic():
        business = _lock(business)
        if not business.is_open:
            raise ValidationError("业务已结束,不能上传证明材料")
        if business.materials.count() >= MATERIALS_PER_BUSINESS:
            raise ValidationError(f"每项业务最多上传{MATERIALS_PER_BUSINESS}份证明材料")
        material = Material(
            business=business, original_name=name, content_type=check.content_type, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), uploaded_by=user,
        )
        material.file.save(f"material.{check.extension}", ContentFile(data), save=False)
        try:
            material.save()
            record_event(
                action="workflow.material_added", summary=f"上传证明材料:{name}({business.kind_name})",
                actor=user, request=request, target=business,
                after={"material": material.pk, "name": name, "size": len(data), "sha256": material.sha256},
            )
        except BaseException:
            material.file.delete(save=False)
            raise
    return material


# --- 查看 (full ID numbers) --------------------------------------------------------------------
def reveal_identity(business: Business, user, request=None) -> None:
    """查看: the full ID and phone numbers of a business the user can open, for one page
    view — a permission-checked action with its audit entry (lists and the detail page
    show them masked)."""
    if not rules.can_reveal(user):
        raise PermissionDenied("您无权查看完整证件号")
    with transaction.atomic():
        record_event(action="workflow.revealed", summary=f"查看完整证件号:{business.kind_name} {business.summary}",
                     actor=user, request=request, target=business)


# --- deciding (审核) -------------------------------------------------------------------------
@dataclass
class BatchResult:
    """The outcome of 全部审核: ids decided, and (id, reason) of those left alone."""

    passed: bool
    decided: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _check_opinion(passed: bool, opinion: str) -> str:
    opinion = (opinion or "").strip()
    if not passed and not opinion:
        raise ValidationError("审核不通过时必须填写审核意见")
    if len(opinion) > OPINION_MAX_LENGTH:
        raise ValidationError(f"审核意见不能超过{OPINION_MAX_LENGTH}字")
    return opinion


def _refusal(business: Business, reviewer) -> tuple[str, str] | None:
    """(kind, message) why ``reviewer`` can't decide ``business`` now; kind is
    "closed", "permission" or "hold"."""
    if not business.is_open:
        return "closed", "该业务已结束,不能审核"
    reason = rules.refusal(reviewer, business)
    if reason:
        return "permission", reason
    if business.hold:
        return "hold", registry.hold_message(business.hold)
    return None


def _reviewer_name(reviewer) -> str:
    return (reviewer.real_name or reviewer.get_username())[:50]


_STEP_COLUMNS = ("position", "level", "authority_id", "unit_name")


def _step_values(business: Business) -> tuple:
    """What a decision records of the step it is made at, in ``_STEP_COLUMNS`` order."""
    step = business.chain[business.position]
    return business.position, step["level"], step["authority_id"], step["unit"][:100]


def _new_decision(business: Business, reviewer, passed: bool, opinion: str, now, batch: bool) -> Decision:
    return Decision(
        business=business, reviewer=reviewer, reviewer_name=_reviewer_name(reviewer), passed=passed,
        opinion=opinion, batch=batch, decided_at=now, **dict(zip(_STEP_COLUMNS, _step_values(business), strict=True)),
    )


def _move(business: Business, outcome: str, now) -> None:
    """Apply a decision's outcome to the business in memory."""
    btype = registry.find(business.kind)
    if outcome == rules.ADVANCE:
        leaving = business.chain[business.position]["level"]
        business.position += 1
        step = business.chain[business.position]
        business.current_level = step["level"]
        business.current_school_id = step.get("school_id")
        business.current_authority_id = step["authority_id"]
        business.step_since, business.step_due = now, step_due(step, now)
        if (btype is not None and btype.report_after_school and leaving == registry.SCHOOL
                and step["level"] != registry.SCHOOL and not business.hold):
            business.hold, business.hold_note = registry.REPORT_PENDING, ""
    else:
        business.status = BusinessStatus.PASSED if outcome == rules.PASSED else BusinessStatus.FAILED
        business.current_level, business.current_school_id, business.current_authority_id = "", None, None
        business.hold, business.hold_note = "", ""
        business.finished_at = now
        business.step_due = None
    business.updated_at = now


_HOOKS = {rules.ADVANCE: ("on_advance", None), rules.PASSED: ("on_complete", "on_complete_many"),
          rules.FAILED: ("on_end", "on_end_many")}


def _hooks_for(kind: str, outcome: str) -> tuple:
    """(one-by-one hook, set-based hook) of a type for a decision's outcome."""
    btype = registry.find(kind)
    if btype is None:
        return None, None
    single, many = _HOOKS[outcome]
    return getattr(btype, single), (getattr(btype, many) if many else None)


def _effect_audit(summary: str, after: dict, effects: Iterable) -> tuple[str, dict]:
    """The audit summary and details of a decision, with what its hooks did."""
    effects = [e for e in effects if isinstance(e, registry.Effect)]
    if effects:
        summary = summary + ";" + ";".join(e.summary for e in effects)
        after = {**after, "effects": [{"summary": e.summary, **e.detail} for e in effects]}
    return summary[:500], after


def _decide_one(business: Business, reviewer, passed: bool, opinion: str, now,
                batch: bool) -> tuple[Decision, str, object]:
    decision = _new_decision(business, reviewer, passed, opinion, now, batch)
    outcome = rules.transition(len(business.chain), business.position, passed)
    decision.save()
    _move(business, outcome, now)
    business.save(update_fields=_ADVANCE_FIELDS if outcome == rules.ADVANCE else _CLOSE_FIELDS)
    hook, _ = _hooks_for(business.kind, outcome)
    effect = hook(business, decision, reviewer) if hook is not None else None
    return decision, outcome, effect


def _decider_scope(reviewer, school) -> dict:
    """Whose audit log a decision goes to: the business's school's (the default) when the
    reviewer's unit is that school or covers it; otherwise — another party of a
    multi-party business (the sending school, the sending authority, perhaps in another
    province) — the reviewer's own unit, so each party's authorities find what their
    party decided."""
    if reviewer.is_school_user:
        return {} if school is not None and reviewer.school_id == school.pk else {"school": reviewer.school}
    if reviewer.is_authority_user:
        prefix = reviewer.authority.prefix
        if school is not None and school.supervisor.prefix.startswith(prefix):
            return {}
        return {"authority_prefix": prefix, "school": None if school is None else school}
    return {}


_OUTCOME_WORDS = {rules.ADVANCE: "审核通过,提交上级审核", rules.PASSED: "审核通过,业务办结", rules.FAILED: "审核不通过"}


def decide(business: Business, reviewer, passed: bool, opinion: str = "", request=None) -> Business:
    """审核通过 / 审核不通过 at the business's current step.

    The reviewer must be of that step (the leader of the step's school; a registrar of
    exactly the step's authority): PermissionDenied otherwise. Failing needs an opinion
    and ends the business (``on_end``); passing the last step completes it
    (``on_complete``), both in this transaction, with one audit entry."""
    opinion = _check_opinion(passed, opinion)
    now = timezone.now()
    given = business
    with transaction.atomic():
        business = _lock(business)
        refusal = _refusal(business, reviewer)
        if refusal is not None:
            kind, message = refusal
            if kind == "permission":
                raise PermissionDenied(message)
            raise ValidationError(message)
        before = _snapshot(business)
        decision, outcome, effect = _decide_one(business, reviewer, passed, opinion, now, batch=False)
        summary, after = _effect_audit(
            f"{decision.unit_name}{_OUTCOME_WORDS[outcome]}:{business.kind_name} {business.summary}",
            {**_snapshot(business), "decision": decision.pk, "passed": passed, "opinion": opinion,
             "level": decision.level}, [effect])
        record_event(action="workflow.decided", summary=summary, actor=reviewer, request=request, target=business,
                     before=before, after=after, **_decider_scope(reviewer, business.school))
    _copy_state(given, business)
    return business


def _ids_of(businesses) -> list[int]:
    if isinstance(businesses, QuerySet):
        return list(businesses.values_list("pk", flat=True))
    return [b.pk if isinstance(b, Business) else int(b) for b in businesses]


#: The state fields a service copies back onto the caller's instances.
_STATE_FIELDS = ("status", "position", "current_level", "current_school_id", "current_authority_id", "hold",
                 "hold_note", "finished_at", "updated_at", "closed_by_id", "close_note", "step_since", "step_due")


def _copy_state(target, source: Business) -> None:
    if isinstance(target, Business) and target is not source:
        for name in _STATE_FIELDS:
            setattr(target, name, getattr(source, name))
        for name in ("current_school", "current_authority", "closed_by"):
            relation = Business._meta.get_field(name)
            if relation.is_cached(target):
                relation.delete_cached_value(target)


_state_of = operator.attrgetter(*_STATE_FIELDS)
"""The state fields of a business, as a tuple (to :func:`_restore` it)."""


def _restore(business: Business, state: tuple) -> None:
    for name, value in zip(_STATE_FIELDS, state, strict=True):
        setattr(business, name, value)


def _refresh_given(businesses) -> None:
    """Bring the caller's Business instances up to date after a set-based write."""
    given = [b for b in businesses if isinstance(b, Business)]
    if not given:
        return
    fresh = {}
    for chunk in _chunks([b.pk for b in given]):
        fresh.update({row["pk"]: row for row in Business.objects.filter(pk__in=chunk).values("pk", *_STATE_FIELDS)})
    for business in given:
        row = fresh.get(business.pk)
        if row is not None:
            for name in _STATE_FIELDS:
                setattr(business, name, row[name])


_DECISION_COLUMNS = ("id", "business_id", *_STEP_COLUMNS, "reviewer_id", "reviewer_name", "passed", "opinion",
                     "batch", "decided_at")


def _update_set(businesses: list[Business], fields: list[str]) -> None:
    """Write ``fields`` of businesses whose new values coincide in a few groups (every
    business leaving one step for the same next step, every one closing): one UPDATE per
    group of equal values, not one per business."""
    attnames = [Business._meta.get_field(name).attname for name in fields]
    values_of = operator.attrgetter(*attnames)  # a tuple: the fields are several
    groups: dict[tuple, list[int]] = {}
    for business in businesses:
        groups.setdefault(values_of(business), []).append(business.pk)
    for values, pks in groups.items():
        changes = dict(zip(attnames, values, strict=True))
        for chunk in _chunks(pks):
            Business.objects.filter(pk__in=chunk).update(**changes)


class _Decisions(Mapping):
    """``{business id: Decision}`` of a set-based decision, as the hooks receive it: the
    rows are written without model instances, and an instance (saved, with its business)
    is built only for the businesses a hook asks about — most hooks never do, and 100,000
    instances cost seconds (bench/admission.py --cprofile)."""

    def __init__(self, rows: dict[int, tuple], businesses: dict[int, Business], reviewer):
        self._rows, self._businesses, self._reviewer = rows, businesses, reviewer
        self._made: dict[int, Decision] = {}

    def __getitem__(self, business_id: int) -> Decision:
        decision = self._made.get(business_id)
        if decision is None:
            row = dict(zip(_DECISION_COLUMNS, self._rows[business_id], strict=True))
            decision = Decision(**row)
            decision._state.adding = False
            decision.business = self._businesses[business_id]
            decision.reviewer = self._reviewer
            self._made[business_id] = decision
        return decision

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _decide_set(businesses: list[Business], outcome: str, reviewer, passed: bool, opinion: str,
                now) -> Mapping[int, Decision]:
    """One decision for each of ``businesses`` (all at a step of the reviewer, all with the
    same ``outcome``), written set-based: one insert of the decisions, one update per group
    of equal new states. The decisions are what :func:`_new_decision` would make."""
    ids = bulk.allocate_ids(Decision, len(businesses))
    connection = transaction.get_connection()
    decided_at = Decision._meta.get_field("decided_at").get_db_prep_save(now, connection)
    name = _reviewer_name(reviewer)
    rows, kept = [], {}
    for pk, business in zip(ids, businesses, strict=True):
        values = (pk, business.pk, *_step_values(business), reviewer.pk, name, passed, opinion, True)
        rows.append((*values, decided_at))
        kept[business.pk] = (*values, now)
    bulk.insert_rows(Decision, _DECISION_COLUMNS, rows)
    for business in businesses:
        _move(business, outcome, now)
    _update_set(businesses, _ADVANCE_FIELDS if outcome == rules.ADVANCE else _CLOSE_FIELDS)
    return _Decisions(kept, {b.pk: b for b in businesses}, reviewer)


#: The columns :func:`_lock_many` reads as they are; ``chain`` and ``payload`` come as JSON text.
_LOCK_ATTNAMES = tuple(f.attname for f in Business._meta.concrete_fields if f.name not in ("chain", "payload"))


def _lock_many(ids: list[int]) -> list[Business]:
    """Lock the businesses, and give them their schools read once (5,000 businesses of
    one school share one School, not 5,000 copies from a join).

    Built for 100,000 businesses at once (招生录取 of a county, bench/peak.py): the rows
    are read as values and made instances by ``bulk.instances`` (no ``Model.__init__``
    per row), and each distinct ``chain`` text is decoded once — the businesses of one
    school and type share their chain, which nothing changes in place (a business's
    chain is fixed when it starts). Every ``payload`` is decoded on its own: hooks may
    change theirs."""
    rows = []
    for chunk in _chunks(ids):
        rows.extend(Business.objects.select_for_update(of=("self",)).filter(pk__in=chunk).order_by("pk")
                    .values_list(*_LOCK_ATTNAMES, Cast("chain", TextField()), Cast("payload", TextField())))
    chains: dict[str, list] = {}
    decoded = []
    for *values, chain_text, payload_text in rows:
        chain = chains.get(chain_text)
        if chain is None:
            chain = chains[chain_text] = orjson.loads(chain_text)
        decoded.append((*values, chain, orjson.loads(payload_text)))
    locked = bulk.instances(Business, (*_LOCK_ATTNAMES, "chain", "payload"), decoded)
    schools = School.objects.select_related("supervisor").in_bulk({b.school_id for b in locked})
    cache_school = Business.school.field.set_cached_value
    for business in locked:
        cache_school(business, schools[business.school_id])
    return locked


def decide_many(businesses, reviewer, passed: bool, opinion: str = "", request=None) -> BatchResult:
    """全部审核: decide many businesses at once (a selection, or everything pending at the
    reviewer's step in one school: ``selectors.decidable_queue_for(user).filter(school=…)``).

    Each business gets its own decision row; those the reviewer can't decide now (another
    step, on hold, already finished) are skipped with the reason. The rest is decided in
    groups of one type and outcome, each group set-based — one insert of the decisions,
    a few updates of the businesses — when the type has no hook for the outcome or a
    set-based one (``on_complete_many``/``on_end_many``: one call for the group, in one
    savepoint). Only a type with just a one-by-one hook is decided business by business,
    each in a savepoint, so a hook refusing one business (ValidationError) skips that one
    only; a set-based hook that refuses falls back to that. One audit entry lists the ids
    and the hooks' effects."""
    opinion = _check_opinion(passed, opinion)
    if not isinstance(businesses, QuerySet):
        businesses = list(businesses)
    ids = sorted(set(_ids_of(businesses)))
    result = BatchResult(passed=passed)
    if not ids:
        return result
    now = timezone.now()
    effects: list = []
    with transaction.atomic():
        locked = _lock_many(ids)
        found = {b.pk for b in locked}
        result.skipped.extend((pk, "业务不存在") for pk in ids if pk not in found)
        groups: dict[tuple[str, str], list[Business]] = {}
        for business in locked:
            refusal = _refusal(business, reviewer)
            if refusal is not None:
                result.skipped.append((business.pk, refusal[1]))
                continue
            outcome = rules.transition(len(business.chain), business.position, passed)
            groups.setdefault((business.kind, outcome), []).append(business)
        for (kind, outcome), members in groups.items():
            single, many = _hooks_for(kind, outcome)
            if many is not None or single is None:
                states = [_state_of(b) for b in members]
                try:
                    with transaction.atomic():
                        decisions = _decide_set(members, outcome, reviewer, passed, opinion, now)
                        if many is not None:
                            effects.append(many(members, decisions, reviewer))
                except ValidationError as error:
                    for business, state in zip(members, states, strict=True):
                        _restore(business, state)
                    if single is None:
                        result.skipped.extend((b.pk, "; ".join(error.messages)) for b in members)
                        continue
                else:
                    result.decided.extend(b.pk for b in members)
                    continue
            for business in members:  # one by one, each in a savepoint
                try:
                    with transaction.atomic():
                        _, _, effect = _decide_one(business, reviewer, passed, opinion, now, batch=True)
                except ValidationError as error:
                    result.skipped.append((business.pk, "; ".join(error.messages)))
                else:
                    result.decided.append(business.pk)
                    effects.append(effect)
        result.decided.sort()
        if result.decided:
            decided = set(result.decided)
            schools = {b.school_id for b in locked if b.pk in decided}
            school = next(b.school for b in locked if b.pk == result.decided[0]) if len(schools) == 1 else None
            summary, after = _effect_audit(
                f"全部审核:{'审核通过' if passed else '审核不通过'}{len(result.decided)}件业务"
                + (f",跳过{len(result.skipped)}件" if result.skipped else ""),
                {"decided": result.decided, "skipped": [list(s) for s in result.skipped], "passed": passed,
                 "opinion": opinion}, effects)
            scope = {"school": school, **_decider_scope(reviewer, school)}
            record_event(action="workflow.batch_decided", summary=summary, actor=reviewer, request=request,
                         target=("workflow.business", None), after=after, **scope)
    if not isinstance(businesses, QuerySet):
        _refresh_given(businesses)
    return result


# --- ending without a decision ---------------------------------------------------------------
def _close(business: Business, status: str, actor, note: str, now) -> None:
    business.status = status
    business.current_level, business.current_school_id, business.current_authority_id = "", None, None
    business.hold, business.hold_note = "", ""
    business.finished_at = now
    business.closed_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    business.close_note = (note or "")[:200]
    business.step_due = None
    business.updated_at = now


def _acting(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _run_on_end(businesses: list[Business], user) -> list:
    """on_end of closed businesses (no decision): set-based per type where the type has
    ``on_end_many``, else one by one. Returns the effects."""
    effects = []
    by_kind: dict[str, list[Business]] = {}
    for business in businesses:
        by_kind.setdefault(business.kind, []).append(business)
    for kind, members in by_kind.items():
        btype = registry.find(kind)
        if btype is None:
            continue
        if btype.on_end_many is not None:
            effects.append(btype.on_end_many(members, {}, _acting(user)))
        elif btype.on_end is not None:
            effects.extend(btype.on_end(b, None, _acting(user)) for b in members)
    return effects


def withdraw(business: Business, user, request=None, note: str = "") -> Business:
    """撤销 (F-32): the applicant, or a registrar of the applicant's school, withdraws a
    business that has not finished. Runs ``on_end``."""
    now = timezone.now()
    given = business
    with transaction.atomic():
        business = _lock(business)
        if not rules.can_withdraw(user, business):
            raise PermissionDenied("只有发起学校的学籍管理员可以撤销该业务")
        if not business.is_open:
            raise ValidationError("该业务已结束,不能撤销")
        before = _snapshot(business)
        _close(business, BusinessStatus.WITHDRAWN, user, note or "申请人撤销", now)
        business.save(update_fields=_CLOSE_FIELDS)
        summary, after = _effect_audit(f"撤销业务:{business.kind_name} {business.summary}", _snapshot(business),
                                       _run_on_end([business], user))
        record_event(action="workflow.withdrawn", summary=summary, actor=user, request=request, target=business,
                     before=before, after=after)
    _copy_state(given, business)
    return business


def terminate(business: Business, *, reason: str, actor=None, request=None) -> Business:
    """End an open business as failed without a reviewer — for system processes (查重不通过
    的注册由系统结束业务), never for a page. Runs ``on_end``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请说明结束业务的原因")
    now = timezone.now()
    given = business
    with transaction.atomic():
        business = _lock(business)
        if not business.is_open:
            raise ValidationError("该业务已结束")
        before = _snapshot(business)
        _close(business, BusinessStatus.FAILED, actor, reason, now)
        business.save(update_fields=_CLOSE_FIELDS)
        summary, after = _effect_audit(
            f"系统结束业务:{business.kind_name} {business.summary}({reason})", _snapshot(business),
            _run_on_end([business], actor))
        record_event(action="workflow.terminated", summary=summary, actor=actor, request=request, target=business,
                     before=before, after=after)
    _copy_state(given, business)
    return business


def clear_open_businesses(school: School, actor, request=None, kinds: Iterable[str] | None = None,
                          note: str = "在办业务清理") -> int:
    """在办业务清理 (F-32): withdraw every open business of a school (optionally only some
    types) — by its registrar, or an authority registrar whose scope covers it. Returns
    how many were withdrawn."""
    if not rules.can_clear(actor, school):
        raise PermissionDenied("只有本校学籍管理员或其主管教育部门学籍管理员可以清理在办业务")
    now = timezone.now()
    with transaction.atomic():
        queryset = Business.objects.select_for_update(of=("self",)).filter(
            school=school, status=BusinessStatus.OPEN
        )
        if kinds is not None:
            queryset = queryset.filter(kind__in=list(kinds))
        locked = list(queryset.order_by("pk"))
        if not locked:
            return 0
        for business in locked:
            _close(business, BusinessStatus.WITHDRAWN, actor, note, now)
        _update_set(locked, _CLOSE_FIELDS)
        effects = _run_on_end(locked, actor)
        ids = [b.pk for b in locked]
        summary, after = _effect_audit(
            f"在办业务清理:{school.name}撤销{len(ids)}件在办业务",
            {"withdrawn": ids, "kinds": sorted(kinds) if kinds is not None else None, "note": note}, effects)
        record_event(action="workflow.cleared", summary=summary, actor=actor, request=request, target=school,
                     after=after)
    return len(locked)


# --- holds ---------------------------------------------------------------------------------
def set_hold(business: Business, hold: str, note: str = "", actor=None, request=None) -> Business:
    """Put an open business on hold (reviewers can't decide it meanwhile)."""
    if registry.find_hold(hold) is None:
        raise ValidationError(f"未知的暂停原因:{hold}")
    with transaction.atomic():
        business = _lock(business)
        if not business.is_open:
            raise ValidationError("该业务已结束")
        before = _snapshot(business)
        business.hold, business.hold_note = hold, (note or "")[:200]
        business.save(update_fields=["hold", "hold_note", "updated_at"])
        record_event(
            action="workflow.hold_set", summary=f"业务暂停审核:{registry.get_hold(hold).name} {business.summary}",
            actor=actor, request=request, target=business, before=before, after=_snapshot(business),
        )
    return business


def set_hold_many(businesses, hold: str, note: str = "", actor=None, request=None) -> int:
    """Put many open businesses on ``hold`` at once (set-based, one audit entry); finished
    ones are left alone. Returns how many were put on hold."""
    if registry.find_hold(hold) is None:
        raise ValidationError(f"未知的暂停原因:{hold}")
    ids = _ids_of(businesses)
    if not ids:
        return 0
    with transaction.atomic():
        locked = list(
            Business.objects.select_for_update(of=("self",)).filter(pk__in=ids, status=BusinessStatus.OPEN)
            .exclude(hold=hold).values_list("pk", "school_id")
        )
        if not locked:
            return 0
        pks = [pk for pk, _ in locked]
        Business.objects.filter(pk__in=pks).update(hold=hold, hold_note=(note or "")[:200], updated_at=timezone.now())
        record_event(
            action="workflow.hold_set", summary=f"业务暂停审核({registry.get_hold(hold).name}):{len(pks)}件业务",
            actor=actor, request=request, school=_only_school({school_id for _, school_id in locked}),
            target=("workflow.business", None), after={"held": pks, "hold": hold, "note": note},
        )
    return len(pks)


def release_hold(business: Business, actor=None, request=None, hold: str | None = None) -> bool:
    """Release the business's hold (only when it is ``hold``, if given). False when there
    was nothing to release."""
    released = release_hold_many([business], hold=hold, actor=actor, request=request) == 1
    if released and isinstance(business, Business):
        business.hold, business.hold_note = "", ""
    return released


def release_hold_many(businesses, hold: str | None = None, actor=None, request=None) -> int:
    """Release the holds of many open businesses at once (学校上报 / 全部上报, 查重认证完成),
    set-based, one audit entry. Only businesses on ``hold`` (any hold when None)."""
    ids = _ids_of(businesses)
    if not ids:
        return 0
    with transaction.atomic():
        queryset = Business.objects.select_for_update(of=("self",)).filter(pk__in=ids, status=BusinessStatus.OPEN)
        queryset = queryset.filter(hold=hold) if hold else queryset.exclude(hold="")
        locked = list(queryset.values_list("pk", "school_id", "hold"))
        if not locked:
            return 0
        pks = [pk for pk, _, _ in locked]
        Business.objects.filter(pk__in=pks).update(hold="", hold_note="", updated_at=timezone.now())
        holds = sorted({h for _, _, h in locked})
        names = [registry.find_hold(h).name if registry.find_hold(h) else h for h in holds]
        record_event(
            action="workflow.hold_released", summary=f"解除业务暂停({'、'.join(names)}):{len(pks)}件业务",
            actor=actor, request=request, school=_only_school({school_id for _, school_id, _ in locked}),
            target=("workflow.business", None), after={"released": pks, "holds": holds},
        )
    return len(pks)


def _only_school(school_ids: set) -> School | None:
    """The school when all the businesses of a set-based write are of one school."""
    if len(school_ids) != 1:
        return None
    return School.objects.select_related("supervisor").get(pk=next(iter(school_ids)))
