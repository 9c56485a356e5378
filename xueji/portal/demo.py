"""Demo data (演示数据): one real province with its real cities and counties, schools of
every 办学类型 and stage with grades and classes, and an account for every role at every
level. Generated, never real people. Idempotent: a second run adds nothing.

Used by ``manage.py seed_demo`` (which ``make run`` calls) and by tests.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xueji.accounts import services as account_services
from xueji.accounts.models import Role, User
from xueji.admission.demo import seed_admission
from xueji.changes.demo import (
    seed_changes,
    seed_mistaken_deletions,
    seed_suspended_and_resumed,
    seed_waiting_for_registry,
)
from xueji.changes.maintenance_demo import seed_maintenance
from xueji.changes.transfer_demo import seed_transfers
from xueji.dupadmission.demo import seed_duplicate_admission
from xueji.enrolplans.demo import seed_plans
from xueji.graduation.demo import seed_graduation
from xueji.org import rules
from xueji.org.models import (
    Authority,
    Campus,
    Division,
    Grade,
    School,
    SchoolCategory,
    SchoolClass,
    Term,
)
from xueji.problems.demo import seed_problems
from xueji.promotion.demo import seed_promotion_moment
from xueji.registration.demo import seed_pupils

DEMO_PASSWORD = "Xueji@2026"
PROVINCE = "440000000000"  # 广东省
CITY = "440100000000"  # 广州市
COUNTY = "440106000000"  # 天河区
SIBLING_COUNTY = "440105000000"  # 海珠区
OTHER_PROVINCE = "450000000000"  # 广西壮族自治区: the other side of a cross-province problem record
OTHER_COUNTY = "450103000000"  # 南宁市青秀区


@dataclass(frozen=True)
class SchoolPlan:
    code: str
    name: str
    category: str
    school_type: str
    stages: dict  # stage -> years
    division: str
    supervisor: str
    account_prefix: str = ""


SCHOOLS = [
    SchoolPlan("3440106001", "天河区示范小学", SchoolCategory.ORDINARY, "211", {"1": 6}, COUNTY, COUNTY, "school1"),
    SchoolPlan("3440106002", "天河区第一初级中学", SchoolCategory.ORDINARY, "311", {"2": 3}, COUNTY, COUNTY),
    SchoolPlan("3440106003", "天河区九年一贯制学校", SchoolCategory.ORDINARY, "312", {"1": 6, "2": 3}, COUNTY, COUNTY),
    SchoolPlan("3440106004", "天河区完全中学", SchoolCategory.ORDINARY, "341", {"2": 3, "3": 3}, COUNTY, COUNTY),
    SchoolPlan("3440106005", "天河区十二年一贯制学校", SchoolCategory.ORDINARY, "345", {"1": 5, "2": 4, "3": 3}, COUNTY, COUNTY),
    SchoolPlan("3440106006", "天河区特殊教育学校", SchoolCategory.SPECIAL, "514", {"1": 6, "2": 3}, COUNTY, COUNTY),
    SchoolPlan("3440106007", "天河区工读学校", SchoolCategory.WORK_STUDY, "371", {"2": 3}, COUNTY, COUNTY),
    SchoolPlan("3440104001", "广州市第一高级中学", SchoolCategory.ORDINARY, "342", {"3": 3}, "440104000000", CITY, "cityschool"),
    SchoolPlan("3440103001", "广东省实验中学", SchoolCategory.ORDINARY, "341", {"2": 3, "3": 3}, "440103000000", PROVINCE, "provschool"),
    SchoolPlan("3440105001", "海珠区示范小学", SchoolCategory.ORDINARY, "211", {"1": 6}, SIBLING_COUNTY, SIBLING_COUNTY, "school2"),
    SchoolPlan("3450103001", "南宁市青秀区示范小学", SchoolCategory.ORDINARY, "211", {"1": 6}, OTHER_COUNTY, OTHER_COUNTY,
               "gxschool"),
]

AUTHORITY_ACCOUNTS = [
    ("moe", "000000000000"),
    ("gd", PROVINCE),
    ("gz", CITY),
    ("th", COUNTY),
    ("hz", SIBLING_COUNTY),
    ("qx", OTHER_COUNTY),
]

SIZES = {"small": 0, "medium": 5, "large": 40}
#: Pupils registered in every class of the core demo schools, by size.
PUPILS_PER_CLASS = {"small": 4, "medium": 10, "large": 30}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def _person_name(i: int) -> str:
    """A generated person's name: a different one for each ``i`` below 20 × 21 × 21."""
    rest, surname = divmod(i, len(_SURNAMES))
    rest, first = divmod(rest, len(_GIVEN))
    return _SURNAMES[surname] + _GIVEN[first] + _GIVEN[(rest + 5 * first + 3) % len(_GIVEN)]


def _phone(i: int) -> str:
    return f"139{i:08d}"[-11:]


@dataclass
class DemoAccount:
    username: str
    role: str
    unit: str


def seed_demo(size: str = "small", today: dt.date | None = None) -> list[DemoAccount]:
    """Create the demo organisation and accounts (needs ``load_divisions`` first)."""
    if not Division.objects.filter(code=PROVINCE).exists():
        raise RuntimeError("行政区划尚未加载:请先运行 manage.py load_divisions")
    today = today or timezone.localdate()
    accounts: list[DemoAccount] = []
    with transaction.atomic():
        for prefix, code in AUTHORITY_ACCOUNTS:
            authority = Authority.objects.get(code=code)
            for suffix, role, title in (("registrar", Role.AUTHORITY_REGISTRAR, "学籍管理员"),
                                        ("admin", Role.AUTHORITY_ADMIN, "系统管理员")):
                accounts.append(_account(f"{prefix}_{suffix}", role, f"{authority.name}{title}",
                                         authority=authority))
        _terms(today)
        plans = list(SCHOOLS) + _extra_schools(SIZES[size])
        core = {plan.code for plan in SCHOOLS}
        for n, plan in enumerate(plans):
            school = _school(plan, n)
            _grades_and_classes(school, plan, today)
            if plan.code not in core:
                continue
            prefix = plan.account_prefix
            registrar = f"{prefix}_registrar" if prefix else f"reg_{plan.code}"
            leader = f"{prefix}_leader" if prefix else f"lead_{plan.code}"
            accounts.append(_account(registrar, Role.SCHOOL_REGISTRAR, "学籍管理员", school=school))
            accounts.append(_account(leader, Role.SCHOOL_LEADER, "学籍主管校长", school=school))
            if prefix == "school1":
                accounts.append(_account("school1_checker", Role.DATA_CHECKER, "数据核查", school=school))
                accounts.append(_account("school1_teacher", Role.CLASS_TEACHER, "班主任", school=school))
                first = SchoolClass.objects.filter(school=school).order_by("-grade__entry_year", "code").first()
                if first and first.head_teacher_id is None:
                    first.head_teacher = User.objects.get(username="school1_teacher")
                    first.save(update_fields=["head_teacher"])
            seed_pupils(school, User.objects.get(username=registrar), User.objects.get(username=leader),
                        PUPILS_PER_CLASS[size] + (2 if prefix == "school1" else 0), today, offset=n * 1000,
                        showcase=prefix == "school1")
            if prefix == "school1":  # 日常管理 businesses waiting (xueji/changes/demo.py), a maintained record
                seed_maintenance(school, User.objects.get(username=registrar), today)
                seed_changes(school, User.objects.get(username=registrar), today)
                seed_waiting_for_registry(school, User.objects.get(username=registrar))
                seed_mistaken_deletions(school, User.objects.get(username=registrar), User.objects.get(username=leader))
                county = User.objects.filter(role=Role.AUTHORITY_REGISTRAR, authority=school.supervisor).first()
                if county is not None:
                    seed_suspended_and_resumed(school, User.objects.get(username=registrar),
                                               User.objects.get(username=leader), county, today)
        seed_transfers()
        seed_problems()
        seed_graduation()
        seed_promotion_moment()
        seed_plans()
    # 招生入学 runs its import as a job (its own transactions, as on the page)
    seed_admission()
    seed_duplicate_admission()
    return accounts


def _account(username: str, role: str, title: str, *, authority=None, school=None) -> DemoAccount:
    """A demo account with a generated person's name (the unit is shown beside it, so the
    name does not repeat it). Accounts of older demo databases, named "<unit><title>",
    get a person's name too."""
    unit = authority.name if authority else school.name
    seed = zlib.crc32(username.encode())
    user = User.objects.filter(username=username).first()
    # a name no other account has: two people of one name in one 处理记录 would confuse a reader
    taken = set(User.objects.exclude(username=username).values_list("real_name", flat=True))
    real_name = next((name for name in (_person_name((seed + k) % 9973) for k in range(8000)) if name not in taken),
                     _person_name(seed % 9973))
    if user is None:
        account_services.create_user(
            None, None, username=username, password=DEMO_PASSWORD,
            real_name=real_name, role=role, authority=authority, school=school,
            phone=_phone(seed % 10**8), must_change=False,
        )
    elif user.real_name == f"{unit}{title}"[-50:]:
        User.objects.filter(pk=user.pk).update(real_name=real_name)
    return DemoAccount(username, str(Role(role).label), unit)


def _terms(today: dt.date) -> None:
    for code in (PROVINCE, OTHER_PROVINCE):
        _province_terms(Authority.objects.get(code=code), today)


def _province_terms(province: Authority, today: dt.date) -> None:
    year = rules.school_year_of(today)
    for y in (year - 1, year):
        Term.objects.get_or_create(authority=province, school_year=y, semester="1", defaults={
            "start_date": dt.date(y, 9, 1), "end_date": dt.date(y + 1, 1, 31)})
        Term.objects.get_or_create(authority=province, school_year=y, semester="2", defaults={
            "start_date": dt.date(y + 1, 2, 1), "end_date": dt.date(y + 1, 8, 31)})


def _extra_schools(per_county: int) -> list[SchoolPlan]:
    """``per_county`` more ordinary schools in every county of the demo province."""
    if not per_county:
        return []
    plans = []
    kinds = [("211", {"1": 6}, "小学"), ("311", {"2": 3}, "初级中学"), ("312", {"1": 6, "2": 3}, "九年一贯制学校"),
             ("342", {"3": 3}, "高级中学")]
    for county in Division.objects.filter(code__startswith=PROVINCE[:2], level=3).order_by("code"):
        for i in range(per_county):
            school_type, stages, label = kinds[i % len(kinds)]
            plans.append(SchoolPlan(f"3{county.code[:6]}{101 + i:03d}", f"{county.name}第{i + 1}{label}",
                                    SchoolCategory.ORDINARY, school_type, stages, county.code, county.code))
    return plans


def _school(plan: SchoolPlan, n: int) -> School:
    school = School.objects.filter(code=plan.code).first()
    if school is not None:
        return school
    division = Division.objects.get(code=plan.division)
    supervisor = Authority.objects.get(code=plan.supervisor)
    school = School.objects.create(
        code=plan.code, name=plan.name, division=division,
        supervisor=supervisor, category=plan.category, school_type=plan.school_type,
        # 学校举办者类型: 省级/地级/县级教育部门 by the supervising authority's level.
        sponsor_type={1: "211", 2: "212", 3: "213"}[supervisor.level],
        has_primary="1" in plan.stages, has_junior="2" in plan.stages, has_senior="3" in plan.stages,
        primary_years=plan.stages.get("1"), junior_years=plan.stages.get("2"),
        senior_years=plan.stages.get("3"), address_code=division.code,
        address=f"{division.full_name}教育路{n + 1}号", urban_rural_type="111",
        principal=_person_name(n), principal_phone=_phone(n + 1000),
        office_phone=f"020{88000000 + n}", postcode="510000", boarding_type="3",
        email=f"school{plan.code}@example.edu.cn", founded_year=1950 + n,
    )
    Campus.objects.create(school=school, name=f"{school.name}(主校区)", address_code=division.code,
                          address=school.address, is_main=True)
    return school


def _grades_and_classes(school: School, plan: SchoolPlan, today: dt.date, per_grade: int = 2) -> None:
    year = rules.school_year_of(today)
    grades, classes = [], []
    for stage, years in plan.stages.items():
        for k in range(years):
            grades.append(Grade(school=school, stage=stage, entry_year=year - k))
    Grade.objects.bulk_create(grades, ignore_conflicts=True)
    for grade in Grade.objects.filter(school=school):
        for number in range(1, per_grade + 1):
            classes.append(SchoolClass(grade=grade, school=school, name=f"{number}班",
                                       code=rules.class_code(grade.entry_year, grade.stage, number)))
    SchoolClass.objects.bulk_create(classes, ignore_conflicts=True)
