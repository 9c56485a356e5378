"""升级 rules (pure, no database): the moment, who may do what, and the plan of one school."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xueji.org import rules as org_rules
from xueji.org.roles import Role

#: The national default when neither the province nor the ministry set a moment:
#: 8/10 24:00 (seed 001: graduation by 30 July, promotion in August, admission 1 September).
DEFAULT_MOMENT = (8, 10, 24, 0)
#: The transfers a running promotion suspends (F-05 business window).
SUSPENDED_TYPES = ("transfer_in_province", "transfer_in_province_out", "transfer_on_promotion",
                   "transfer_cross_province")
#: How long the window is set for at the start; closed when the run finishes.
WINDOW_HOURS = 72


def check_moment(month, day, hour, minute) -> list[str]:
    """A moment between school years: July–September, a real day, 00:00–24:00."""
    errors = []
    try:
        month, day, hour, minute = int(month), int(day), int(hour), int(minute)
    except (TypeError, ValueError):
        return ["升级时间应为数字"]
    if month not in (7, 8, 9):
        errors.append("升级时间应在7月至9月之间(学年之间)")
    else:
        try:
            dt.date(2024, month, day)
        except ValueError:
            errors.append(f"{month}月没有{day}日")
    if not 0 <= hour <= 24 or not 0 <= minute <= 59 or (hour == 24 and minute):
        errors.append("时间应在00:00至24:00之间")
    return errors


def moment_in(year: int, month: int, day: int, hour: int, minute: int, tz) -> dt.datetime:
    """The moment of ``year`` (aware, in ``tz``); 24:00 is the end of the day."""
    start = dt.datetime(year, month, day, tzinfo=tz)
    return start + dt.timedelta(hours=hour, minutes=minute)


def moment_label(month: int, day: int, hour: int, minute: int) -> str:
    return f"{month}月{day}日 {hour:02d}:{minute:02d}"


def school_year_at(moment: dt.datetime) -> int:
    """The school year a promotion at ``moment`` moves into (by its first calendar year)."""
    return moment.year


def can_configure(user) -> bool:
    """The province's and the ministry's (national default) registrars set the moment."""
    return (user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None
            and user.authority.level in (0, 1))


def can_start(user) -> bool:
    """Only a province's registrar promotes (its province)."""
    return (user.is_authenticated and user.role == Role.AUTHORITY_REGISTRAR and user.authority is not None
            and user.authority.level == 1)


#: Who reads a school's report: its registrar and leader, and the authorities above.
REPORT_SCHOOL_ROLES = frozenset({Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER})


def can_read_reports(user) -> bool:
    return user.is_authenticated and (user.role in REPORT_SCHOOL_ROLES or user.role == Role.AUTHORITY_REGISTRAR)


@dataclass(frozen=True)
class GradeRow:
    grade_id: int
    stage: str
    entry_year: int
    in_school: int      # 在校 records not yet promoted into the year
    others: int         # records of other statuses (休学 …): not promoted


@dataclass
class SchoolPlan:
    promote: list[int] = field(default_factory=list)
    blockers: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)


def plan_school(school_year: int, years: dict[str, int | None], grades: list[GradeRow]) -> SchoolPlan:
    """What the promotion into ``school_year`` does at one school (its 学制 ``years`` by
    stage; a 九年一贯制 / 十二年一贯制 school has one per stage): every grade in a
    non-final year of its stage moves up; a final grade with 在校 students (not
    graduated) blocks the school — nothing of it moves, so that a school is never half
    promoted; a grade past its stage's years with 在校 students and records of other
    statuses (休学 …, who return through 复学) are noted, not moved."""
    plan = SchoolPlan()
    ending = school_year - 1
    for g in sorted(grades, key=lambda g: (g.stage, -g.entry_year)):
        n = org_rules.year_in_stage(g.entry_year, ending)
        stage_years = years.get(g.stage) or max(org_rules.ALLOWED_YEARS[g.stage])
        name = org_rules.grade_name(g.stage, g.entry_year)
        if n < 1:
            continue
        if n == stage_years:
            if g.in_school:
                plan.blockers.append({"grade": name, "count": g.in_school})
        elif n > stage_years:
            if g.in_school:
                plan.notes.append({"grade": name, "count": g.in_school, "why": "已超过学制年限的年级仍有在校学生"})
        else:
            plan.promote.append(g.grade_id)
            if g.others:
                plan.notes.append({"grade": name, "count": g.others, "why": "休学等非在校学生不随年级升级"})
    return plan
