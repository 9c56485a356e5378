"""Reads of the 问题学籍 lists, query, overview and API, always in the user's data scope.

A list's row is one problem record (a :class:`ProblemMember` of the user's scope) with
its group: the seed's lists show records (问题学籍类型, 年级, 班级, 学生姓名 …), and the
counterpart of another school or province is summarised on the row (对方), never listed
as a row of someone who may not see it.

- 省内/跨省问题学籍处理 (school registrar): the school's records whose turn it is
  (``must_act``, states PENDING / FAILED) in an open group;
- 省内/跨省问题学籍审核 (school leader, authority registrar): the records whose action (an
  engine business of the 问题学籍 group) waits at the user's step — the engine's queue
  (``workflow.selectors.queue_for``), so what waits here is exactly what waits there;
- 省内/跨省问题学籍仲裁 (authority registrar): the records of groups in ARBITRATION whose
  arbiter is the user's authority;
- 问题学籍查询: every record of a group in scope, any state (resolved and deleted too),
  the new groups unless the historical ones (首次数据采集) are asked for.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from xueji.accounts.models import Role
from xueji.codes import tables
from xueji.org.models import School
from xueji.org.selectors import classes_for, grades_for, schools_for
from xueji.workflow import registry as workflow_registry
from xueji.workflow.selectors import queue_for

from . import list_rules
from .models import (
    GroupState,
    MemberState,
    ProblemGroup,
    ProblemKind,
    ProblemMember,
    ProblemReminder,
)


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    kind: str  # handle | review | arbitration | query
    cross: bool | None  # None: both (the query)
    roles: tuple[str, ...]


_AUTH_REG = (Role.AUTHORITY_REGISTRAR,)
PAGES: dict[str, Page] = {p.key: p for p in (
    Page("handle", "省内问题学籍处理", "handle", False, (Role.SCHOOL_REGISTRAR,)),
    Page("review", "省内问题学籍审核", "review", False, (Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)),
    Page("arbitration", "省内问题学籍仲裁", "arbitration", False, _AUTH_REG),
    Page("xp_handle", "跨省问题学籍处理", "handle", True, (Role.SCHOOL_REGISTRAR,)),
    Page("xp_review", "跨省问题学籍审核", "review", True, (Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR)),
    Page("xp_arbitration", "跨省问题学籍仲裁", "arbitration", True, _AUTH_REG),
    Page("query", "问题学籍查询", "query", None, (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER, Role.DATA_CHECKER,
                                                  Role.CLASS_TEACHER, Role.AUTHORITY_REGISTRAR,
                                                  Role.AUTHORITY_ADMIN)),
)}

#: The sort keys a list offers (``?sort=``), mapping to the ORM ordering.
SORTABLE = {
    "kind": "group__kind", "name": "student__name", "grade": "student__grade__entry_year",
    "school": "student__school__code", "waited": "group__turn_since", "created": "group__created_at",
    "state": "group__state", "number": "student__national_number",
}
DEFAULT_SORT = {"handle": "waited", "review": "waited", "arbitration": "waited", "query": "-created"}


class FilterRefused(Exception):
    """A condition names a school, grade or class outside the user's scope (403 + audit)."""

    def __init__(self, what: str, lookup: dict) -> None:
        super().__init__(what)
        self.what, self.lookup = what, lookup


def problem_business_kinds() -> list[str]:
    """The engine's business types of 问题学籍 (变更 / 佐证 / 删除, in and across provinces)."""
    return [t.code for t in workflow_registry.all_types() if t.group == "问题学籍"]


def members_in_scope(user) -> QuerySet[ProblemMember]:
    """Every problem record ``user`` may see (any state): a school's own, a class
    teacher's class, an authority's schools (the ministry: all)."""
    if not user.is_authenticated or user.role == Role.PARENT:
        return ProblemMember.objects.none()
    if user.role == Role.CLASS_TEACHER:
        return ProblemMember.objects.filter(student__klass__head_teacher=user)
    if user.is_school_user:
        return ProblemMember.objects.filter(student__school_id=user.school_id)
    if user.is_authority_user:
        prefix = user.authority.prefix
        if not prefix:
            return ProblemMember.objects.all()
        return ProblemMember.objects.filter(
            student__school_id__in=School.objects.filter(supervisor__prefix__startswith=prefix).values("pk"))
    return ProblemMember.objects.none()


def may_open(user, page: Page) -> bool:
    return user.is_authenticated and user.role in page.roles


def rows_for(user, page: Page) -> QuerySet[ProblemMember]:
    """The records of ``page`` for ``user`` before the conditions (see the module text)."""
    if not may_open(user, page):
        return ProblemMember.objects.none()
    if page.kind == "handle":
        rows = members_in_scope(user).filter(must_act=True, state__in=list_rules.TURN_STATES, group__resolved=False)
    elif page.kind == "review":
        queue = queue_for(user).filter(kind__in=problem_business_kinds())
        rows = ProblemMember.objects.filter(business_id__in=queue.order_by().values("pk"),
                                            state=MemberState.ACTING)
    elif page.kind == "arbitration":
        rows = members_in_scope(user).filter(group__state=GroupState.ARBITRATION,
                                             group__arbiter_id=user.authority_id)
    else:
        rows = members_in_scope(user)
    if page.cross is not None:
        rows = rows.filter(group__cross_province=page.cross)
    return rows


def apply_conditions(user, rows: QuerySet[ProblemMember], data: dict, now: dt.datetime | None = None
                     ) -> QuerySet[ProblemMember]:
    """The user's conditions (``ListQueryForm.cleaned_data``) on ``rows``. A school, grade
    or class outside the user's scope raises :class:`FilterRefused`."""
    now = now or timezone.now()
    exact = {"kind": "group__kind", "method": "method", "state": "group__state", "member_state": "state",
             "id_number": "student__id_number", "number": "student__national_number"}
    for key, lookup in exact.items():
        if data.get(key):
            rows = rows.filter(**{lookup: data[key]})
    if data.get("note"):
        rows = rows.filter(group__note__contains=data["note"].strip())
    if data.get("name"):
        rows = rows.filter(student__name__contains=data["name"].strip())
    if data.get("school_name"):
        rows = rows.filter(student__school__name__contains=data["school_name"].strip())
    if data.get("locked") in ("1", "0"):
        rows = rows.filter(group__locked=data["locked"] == "1")
    if data.get("overdue") == "1":
        rows = rows.filter(group__resolved=False, group__turn_due__lt=now)
    elif data.get("overdue") == "0":
        rows = rows.exclude(group__resolved=False, group__turn_due__lt=now)
    origin = data.get("origin") or "new"
    if "origin" in data and origin != "all":
        rows = rows.filter(group__historical=origin == "historical")
    if data.get("range"):
        rows = rows.filter(group__cross_province=data["range"] == "cross")
    if data.get("school"):
        school = schools_for(user).filter(code=data["school"]).values_list("pk", flat=True).first()
        if school is None:
            raise FilterRefused("学校", {"school": data["school"]})
        rows = rows.filter(student__school_id=school)
    if data.get("grade") is not None:
        if not grades_for(user).filter(pk=data["grade"]).exists():
            raise FilterRefused("年级", {"grade": data["grade"]})
        rows = rows.filter(student__grade_id=data["grade"])
    if data.get("klass") is not None:
        if not classes_for(user).filter(pk=data["klass"]).exists():
            raise FilterRefused("班级", {"klass": data["klass"]})
        rows = rows.filter(student__klass_id=data["klass"])
    return rows


def with_relations(rows: QuerySet[ProblemMember]) -> QuerySet[ProblemMember]:
    return rows.select_related("group", "group__arbiter", "student", "student__school", "student__grade",
                               "student__klass", "business")


@dataclass
class Row:
    """One row of a list, everything it shows already decided."""

    member: ProblemMember
    kind: str
    state: str
    member_state: str
    method: str
    gender: str
    id_type: str
    waited: int | None
    overdue: bool
    waiting_for: str
    counterpart: str

    @property
    def group(self) -> ProblemGroup:
        return self.member.group

    @property
    def student(self):
        return self.member.student


def _siblings(group_ids) -> dict[int, list[list_rules.Sibling]]:
    """Every member of the groups (one query), as what the rules need."""
    by_group: dict[int, list[list_rules.Sibling]] = defaultdict(list)
    members = (ProblemMember.objects.filter(group_id__in=list(group_ids))
               .select_related("student__school", "business__current_school", "business__current_authority")
               .order_by("group_id", "-rank", "-student_id"))
    for m in members:
        reviewing = ""
        if m.business is not None:
            unit = m.business.current_school or m.business.current_authority
            reviewing = unit.name if unit is not None else ""
        by_group[m.group_id].append(list_rules.Sibling(m.pk, m.state, m.must_act, m.student.school.name, reviewing))
    return by_group


def decorate(members, user, now: dt.datetime | None = None) -> list[Row]:
    """The rows of a page of ``members`` (loaded ``with_relations``): two more queries in
    all (the groups' members; the user's own among them)."""
    now = now or timezone.now()
    members = list(members)
    group_ids = {m.group_id for m in members}
    siblings = _siblings(group_ids)
    own = set(members_in_scope(user).filter(group_id__in=list(group_ids)).values_list("pk", flat=True))
    labels = dict(MemberState.choices)
    rows = []
    for m in members:
        g, s = m.group, m.student
        rows.append(Row(
            member=m, kind=g.get_kind_display(), state=g.get_state_display(), member_state=m.get_state_display(),
            method=m.get_method_display() or "—",
            gender=tables.name_of("gender", s.gender) or s.gender, id_type=tables.label("id_type", s.id_type),
            waited=list_rules.waited_days(g.turn_since, now) if not g.resolved else None,
            overdue=list_rules.is_overdue(g.turn_due, now, g.state),
            waiting_for=list_rules.waiting_for(g.state, siblings.get(g.pk, []), g.arbiter.name if g.arbiter else ""),
            counterpart=list_rules.counterpart(siblings.get(g.pk, []), own, labels),
        ))
    return rows


# --- to-dos, overview -------------------------------------------------------------------------
def turn_of_school(school_id: int) -> QuerySet[ProblemMember]:
    """The school's records whose turn it is (the school registrar's 处理 lists)."""
    return ProblemMember.objects.filter(student__school_id=school_id, must_act=True,
                                        state__in=list_rules.TURN_STATES, group__resolved=False)


def overdue_groups_of_school(school_id: int, now: dt.datetime | None = None, *,
                             cross_province: bool | None = None) -> int:
    """超期: the groups waiting for the school past their turn's deadline (only those across
    provinces, or only those within, when ``cross_province`` says so)."""
    waiting = turn_of_school(school_id).filter(group__turn_due__lt=now or timezone.now())
    if cross_province is not None:
        waiting = waiting.filter(group__cross_province=cross_province)
    return waiting.values("group_id").distinct().count()


def unread_reminders(user) -> QuerySet[ProblemReminder]:
    if not user.is_authenticated or not user.is_school_user or user.school_id is None:
        return ProblemReminder.objects.none()
    return ProblemReminder.objects.filter(school_id=user.school_id, read_at__isnull=True)


def reminders_for(user) -> QuerySet[ProblemReminder]:
    """The school's 催办 (unread first, newest first)."""
    if not user.is_authenticated or not user.is_school_user or user.school_id is None:
        return ProblemReminder.objects.none()
    return (ProblemReminder.objects.filter(school_id=user.school_id).select_related("group")
            .order_by(F("read_at").asc(nulls_first=True), "-sent_at"))


def overdue_in_scope(user, now: dt.datetime | None = None) -> int:
    """超期问题学籍 of an authority's scope: open groups waiting for a school of its scope
    past the turn's deadline."""
    return (members_in_scope(user).filter(must_act=True, state__in=list_rules.TURN_STATES, group__resolved=False,
                                          group__turn_due__lt=now or timezone.now())
            .values("group_id").distinct().count())


@dataclass
class Overview:
    kinds: list[dict]  # {"kind": label, "buckets": [n …], "total": n}
    buckets: list[str]
    totals: list[int]
    open_total: int
    resolved_month: int
    schools: list[dict]  # {"school": School, "open", "waiting", "overdue", "resolved_month"}


def overview_for(user, now: dt.datetime | None = None) -> Overview:
    """问题学籍概况 (an authority): open groups of its scope by type and age (working days
    since opened), those resolved this month, and per school: open, waiting for the
    school, overdue, resolved this month. A group of two schools counts for each school,
    once in the totals. A handful of grouped queries, whatever the number of groups."""
    now = timezone.localtime(now or timezone.now())
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    scope = members_in_scope(user)
    groups = ProblemGroup.objects.filter(pk__in=scope.values("group_id"))
    bounds = list_rules.bucket_bounds(now)
    aggregates = {}
    for i, (_label, after, before) in enumerate(bounds):
        q = Q()
        if after is not None:
            q &= Q(created_at__gt=after)
        if before is not None:
            q &= Q(created_at__lte=before)
        aggregates[f"b{i}"] = Count("pk", filter=q)
    by_kind = {r["kind"]: r for r in groups.filter(resolved=False).values("kind").annotate(
        total=Count("pk"), **aggregates).order_by()}
    kinds = []
    totals = [0] * len(bounds)
    for code, label in ProblemKind.choices:
        r = by_kind.get(code)
        counts = [r[f"b{i}"] if r else 0 for i in range(len(bounds))]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        kinds.append({"kind": label, "buckets": counts, "total": r["total"] if r else 0})
    resolved_month = groups.filter(resolved=True, resolved_at__gte=month_start).count()
    per_school = (scope.values("student__school_id").annotate(
        open=Count("group_id", filter=Q(group__resolved=False), distinct=True),
        waiting=Count("group_id", filter=Q(group__resolved=False, must_act=True,
                                           state__in=list_rules.TURN_STATES), distinct=True),
        overdue=Count("group_id", filter=Q(group__resolved=False, must_act=True, state__in=list_rules.TURN_STATES,
                                           group__turn_due__lt=now), distinct=True),
        resolved_month=Count("group_id", filter=Q(group__resolved=True, group__resolved_at__gte=month_start),
                             distinct=True),
    ).order_by())
    counts = {r["student__school_id"]: r for r in per_school}
    schools = {s.pk: s for s in School.objects.filter(pk__in=list(counts)).only("pk", "code", "name")}
    school_rows = sorted(
        ({"school": schools[pk], **{k: r[k] for k in ("open", "waiting", "overdue", "resolved_month")}}
         for pk, r in counts.items() if pk in schools and (r["open"] or r["resolved_month"])),
        key=lambda r: (-r["overdue"], -r["open"], r["school"].code))
    return Overview(kinds=kinds, buckets=[b[0] for b in bounds], totals=totals,
                    open_total=sum(k["total"] for k in kinds), resolved_month=resolved_month, schools=school_rows)
