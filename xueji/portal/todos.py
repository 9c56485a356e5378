"""The home page's to-do list (待办事项) and unit overview.

The to-do list counts every step that waits for this user, each item linking to the page
where it is done: the school registrar's 上报 and what waits in 查重认证, reviews waiting at
a leader's or an authority's step (``xueji.workflow.selectors.pending_review_count``),
uploads whose rows did not all pass, 学前调档 matches to confirm and files to complete,
accounts to unlock, the password about to expire. A provider returns its items; the list
shows those with something waiting. Later features add a provider here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from xueji.accounts.models import Role

#: How far back an upload with failing rows stays on the list.
RECENT_UPLOAD_DAYS = 7


@dataclass
class Todo:
    label: str
    count: int
    url: str = ""


def _url(name: str, query: str = "", *args) -> str:
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


def locked_accounts(user) -> list[Todo]:
    if user.role != Role.AUTHORITY_ADMIN:
        return []
    from xueji.accounts.selectors import users_for

    count = users_for(user).filter(locked_at__isnull=False).count()
    return [Todo("待解锁账号", count, _url("accounts:user_list", "?locked=1"))]


def password_expiry(user) -> list[Todo]:
    from django.conf import settings

    from xueji.accounts.rules import password_days_left

    days = password_days_left(user.password_changed_at, settings.XUEJI_PASSWORD_MAX_AGE_DAYS)
    if days is not None and days <= 7:
        # Shown even at 0 days: the count is the days left, not a number of items.
        return [Todo("天后密码过期,请及时修改", max(days, 0), _url("accounts:password_change"))]
    return []


def pending_reviews(user) -> list[Todo]:
    """待审核业务: businesses waiting at the user's review step (xueji.workflow)."""
    from xueji.workflow.selectors import pending_review_count

    if user.role not in {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR}:
        return []
    return [Todo("待审核业务", pending_review_count(user), _url("workflow:queue"))]


def registrations_waiting(user) -> list[Todo]:
    """The school's registrations waiting for its registrar: 上报 of what the leader
    passed, and those still in 查重认证 (the registry could not be reached)."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from xueji.registration.selectors import pending_for_school

    return [
        Todo("待上报的注册申请", pending_for_school(user.school, "report").count(),
             _url("registration:pending", "?state=report")),
        Todo("查重认证中的注册申请", pending_for_school(user.school, "dedup").count(),
             _url("registration:pending", "?state=dedup")),
    ]


def uploads_with_failures(user, now: dt.datetime | None = None) -> list[Todo]:
    """The registrar's recent imports that failed or left rows to correct (导出未通过行,
    correct, import again): the one upload's result page, or the list when several."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from django.db.models import Q

    from xueji.registration.models import Upload, UploadStatus

    since = (now or timezone.now()) - dt.timedelta(days=RECENT_UPLOAD_DAYS)
    uploads = Upload.objects.filter(school_id=user.school_id, uploaded_at__gte=since).filter(
        Q(status=UploadStatus.FAILED) | Q(failed_rows__gt=0))
    count = uploads.count()
    if not count:
        return []
    url = (_url("registration:upload_detail", "", uploads.values_list("pk", flat=True).first()) if count == 1
           else _url("registration:index"))
    return [Todo(f"近{RECENT_UPLOAD_DAYS}日有未通过行的导入", count, url)]


def preschool_waiting(user) -> list[Todo]:
    """学前调档: matches to confirm, matched files to complete (学前档案信息补录)."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from xueji.registration.models import PreschoolRequest, PreschoolStatus

    mine = PreschoolRequest.objects.filter(school_id=user.school_id)
    return [
        Todo("待确认的学前学籍", mine.filter(status=PreschoolStatus.TO_CONFIRM).count(),
             _url("registration:preschool_list", f"?status={PreschoolStatus.TO_CONFIRM}")),
        Todo("待补录的学前档案", mine.filter(status=PreschoolStatus.MATCHED, supplement_done=False).count(),
             _url("registration:preschool_supplement_list")),
    ]


def problems_to_handle(user) -> list[Todo]:
    """问题学籍 whose turn is the school's (省内 and 跨省), those past the turn's deadline,
    and the unread 催办 of authorities."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from xueji.problems import list_selectors

    mine = list_selectors.turn_of_school(user.school_id)
    return [
        Todo("待处理的省内问题学籍", mine.filter(group__cross_province=False).values("group_id").distinct().count(),
             _url("problems:handle_list")),
        Todo("待处理的跨省问题学籍", mine.filter(group__cross_province=True).values("group_id").distinct().count(),
             _url("problems:cross_province_list")),
        Todo("超期未处理的省内问题学籍",
             list_selectors.overdue_groups_of_school(user.school_id, cross_province=False),
             _url("problems:handle_list", "?overdue=1")),
        Todo("超期未处理的跨省问题学籍",
             list_selectors.overdue_groups_of_school(user.school_id, cross_province=True),
             _url("problems:cross_province_list", "?overdue=1")),
    ]


def problem_reminders(user) -> list[Todo]:
    """未读的问题学籍催办 (school registrar and leader)."""
    if user.role not in {Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER} or user.school_id is None:
        return []
    from xueji.problems.list_selectors import unread_reminders

    return [Todo("未读的问题学籍催办", unread_reminders(user).count(), _url("problems:reminders"))]


def problems_to_arbitrate(user) -> list[Todo]:
    """问题学籍 waiting for this authority's arbitration (省内 and 跨省)."""
    if user.role != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        return []
    from xueji.problems.models import GroupState, ProblemGroup

    waiting = ProblemGroup.objects.filter(state=GroupState.ARBITRATION, arbiter_id=user.authority_id)
    return [
        Todo("待仲裁的省内问题学籍", waiting.filter(cross_province=False).count(), _url("problems:arbitration_list")),
        Todo("待仲裁的跨省问题学籍", waiting.filter(cross_province=True).count(),
             _url("problems:cross_province_arbitration_list")),
    ]


def overdue_reviews(user) -> list[Todo]:
    """超期未审核的业务: steps waiting at the user's unit past their deadline (办理期限)."""
    from xueji.workflow.selectors import overdue_queue_for

    if user.role not in {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR}:
        return []
    return [Todo("超期未审核的业务", overdue_queue_for(user).count(), _url("workflow:queue", "?overdue=1"))]


def transfers_waiting(user) -> list[Todo]:
    """省内转学 and 学籍转移: transferred students waiting for a class (待分班), record
    transfers waiting for the school's confirmation."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from xueji.changes import transfer_selectors

    return [
        Todo("转入待分班的学生", transfer_selectors.waiting_placements_for(user).count(),
             _url("changes:transfer_placement")),
        Todo("待确认的学籍转入", transfer_selectors.waiting_confirmations_for(user).count(),
             _url("changes:record_transfer_confirm")),
    ]


def plan_changes_waiting(user) -> list[Todo]:
    """招生计划数变更 requests waiting at the user's authority (招生计划数变更核办)."""
    if user.role != Role.AUTHORITY_REGISTRAR or user.authority_id is None:
        return []
    from xueji.enrolplans.selectors import changes_waiting_for

    return [Todo("待核办的招生计划数变更", changes_waiting_for(user).count(), _url("enrolplans:changes"))]


def admissions_waiting(user) -> list[Todo]:
    """招生入学 at the admitting school: results to admit (录取新生), approved admissions to
    retrieve (调取新生档案), retrieved students to place (分班) — one query. The reviews of
    admissions are the authorities' and leaders' 待审核业务."""
    if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
        return []
    from xueji.admission.selectors import school_todo_counts

    counts = school_todo_counts(user)
    return [
        Todo("待录取的新生", counts["waiting"], _url("admission:admit")),
        Todo("待调档的新生", counts["approved"], _url("admission:retrieve")),
        Todo("待分班的新生", counts["retrieved"], _url("admission:placement")),
    ]


def duplicate_admissions(user) -> list[Todo]:
    """重复招生: the school's admissions waiting for its 佐证 or 放弃录取; an authority's
    evidence to review (核办) and duplicates to arbitrate (xueji.dupadmission)."""
    from xueji.dupadmission import selectors as dup

    if user.role == Role.SCHOOL_REGISTRAR and user.school_id is not None:
        return [Todo("待处理的重复招生", dup.schools_to_act(user).count(), _url("dupadmission:list"))]
    if user.role == Role.AUTHORITY_REGISTRAR and user.authority_id is not None:
        return [Todo("待核办的重复招生佐证", dup.review_queue_for(user).count(), _url("dupadmission:review_list")),
                Todo("待仲裁的重复招生", dup.arbitration_queue_for(user).count(), _url("dupadmission:arbitration_list"))]
    return []


PROVIDERS = [
    pending_reviews, plan_changes_waiting, overdue_reviews, transfers_waiting, registrations_waiting, uploads_with_failures, preschool_waiting, problems_to_handle,
    problem_reminders, problems_to_arbitrate, admissions_waiting, duplicate_admissions,
    locked_accounts, password_expiry,
]


def problem_overview(user) -> list[Todo]:
    """An authority's 问题学籍: the groups of its scope past the turn's deadline (counts per
    school on 问题学籍概况)."""
    from xueji.problems.list_selectors import overdue_in_scope as problems_overdue

    return [Todo("辖区超期未处理的问题学籍", problems_overdue(user), _url("problems:overview"))]


def todos_for(user) -> list[Todo]:
    """What waits for ``user``: every provider's items with something waiting (the
    password notice always)."""
    items: list[Todo] = []
    for provider in PROVIDERS:
        items.extend(t for t in provider(user) if t.count > 0 or provider is password_expiry)
    return items


def overview_for(user) -> list[Todo]:
    """Counts of the organisation in the user's scope."""
    from xueji.org import selectors

    if user.is_authority_user:
        from xueji.workflow.selectors import overdue_in_scope

        return [
            Todo("辖区学校", selectors.schools_for(user).count(), _url("org:school_list")),
            Todo("下级教育行政部门", selectors.authorities_for(user).count() - 1),
            Todo("辖区超期未办结业务", overdue_in_scope(user).count(), _url("workflow:open_businesses", "?overdue=on")),
            *problem_overview(user),
        ]
    if user.is_school_user:
        return [
            Todo("年级", selectors.grades_for(user).count(), _url("org:my_school_grades")),
            Todo("班级", selectors.classes_for(user).count(), _url("org:my_school_grades")),
        ]
    return []
