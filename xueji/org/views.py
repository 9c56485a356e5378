"""Organisation pages (学校管理, 学年学期设置, 行政区划). Thin: parse, call a service or a
scoped selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from xueji.codes import tables as codes
from xueji.common.forms import add_validation_errors
from xueji.common.lists import paginate_sorted
from xueji.common.masking import mask_phone
from xueji.org.roles import Role, sees_principal_phone

from . import rules, selectors, services
from .forms import CampusForm, ClassForm, GradeForm, SchoolForm, TermForm
from .models import Campus, School, SchoolCategory, Stage


def _require_authority(user) -> None:
    if not user.is_authority_user:
        raise PermissionDenied("只有教育部门用户可以访问该功能")


@login_required
def school_list(request):
    """学校列表: the schools in the authority user's scope, with query conditions."""
    _require_authority(request.user)
    schools = selectors.schools_for(request.user).select_related("division", "supervisor")
    q = request.GET.get("q", "").strip()
    if q:
        schools = schools.filter(Q(name__icontains=q) | Q(code__startswith=q))
    division = request.GET.get("division", "").strip()
    if division:
        if not selectors.divisions_for(request.user).filter(code=division).exists():
            selectors.get_in_scope(request, selectors.divisions_for(request.user), "行政区划", code=division)
        prefix = division[: {1: 2, 2: 4, 3: 6}.get(rules.division_level_of(division) or 3, 6)]
        schools = schools.filter(division__code__startswith=prefix)
    category = request.GET.get("category", "")
    if category:
        schools = schools.filter(category=category)
    stage = request.GET.get("stage", "")
    if stage in {"1", "2", "3"}:
        schools = schools.filter(**{{"1": "has_primary", "2": "has_junior", "3": "has_senior"}[stage]: True})
    result = paginate_sorted(request, schools, {
        "code": "code", "name": "name", "division": "division__code", "type": "school_type",
    }, "code")
    return render(request, "org/school_list.html", {
        "result": result, "q": q, "division": division, "category": category, "stage": stage,
        "categories": SchoolCategory.choices, "stages": Stage.choices,
        "counties": selectors.divisions_for(request.user).filter(level=3).order_by("code")[:500],
    })


@login_required
def school_detail(request, pk: int):
    school = selectors.get_in_scope(
        request, selectors.schools_for(request.user).select_related("division", "supervisor"),
        "学校", pk=pk,
    )
    return render(request, "org/school_detail.html", _school_context(request, school))


def _school_context(request, school: School) -> dict:
    """The school's fields, campuses, and the grades and classes the user may see (a class
    teacher: only their own classes); the principal's mobile masked for the roles that do
    not see it (``roles.sees_principal_phone``)."""
    user = request.user
    school_year = _school_year(school)
    years = {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}
    by_grade: dict[int, list] = {}
    for klass in (selectors.classes_for(user).filter(school=school).select_related("head_teacher")
                  .order_by("code")):
        by_grade.setdefault(klass.grade_id, []).append(klass)
    grades = []
    for grade in selectors.grades_for(user).filter(school=school).order_by("stage", "-entry_year"):
        grades.append({
            "grade": grade,
            "current": rules.current_year_label(grade.stage, grade.entry_year, school_year, years),
            "classes": by_grade.get(grade.pk, []),
        })
    principal_phone = (school.principal_phone if sees_principal_phone(user.role)
                       else mask_phone(school.principal_phone))
    rows = [
        ("学校标识码", school.code), ("学校名称", school.name), ("学校英文名称", school.english_name),
        ("办学类型(业务)", school.get_category_display()),
        ("学校办学类型", codes.label("school_type", school.school_type)),
        ("学校举办者类型", codes.label("sponsor_type", school.sponsor_type)),
        ("教育阶段与学制", "、".join(
            f"{rules.STAGE_NAMES[s]}{school.years_of(s)}年" for s in school.stages)),
        ("属地行政区划", f"{school.division.code} {school.division.full_name}"),
        ("主管教育行政部门", school.supervisor.name),
        ("学校地址代码", selectors.division_label(school.address_code)), ("学校地址", school.address),
        ("学校驻地城乡类型", codes.label("urban_rural", school.urban_rural_type)),
        ("校长姓名", school.principal), ("校长手机号码", principal_phone),
        ("办公电话", school.office_phone), ("传真电话", school.fax), ("邮政编码", school.postcode),
        ("电子信箱", school.email), ("主页地址", school.homepage),
        ("附设班类型", "、".join(codes.label("attached_class", c) for c in school.attached_classes.split(",") if c)),
        ("寄宿制形式", codes.label("boarding_type", school.boarding_type)),
        ("统一社会信用代码", school.credit_code), ("建校年份", school.founded_year),
    ]
    return {
        "school": school, "rows": rows, "grades": grades, "campuses": school.campuses.all(),
        "school_year": school_year, "can_edit": _can_edit(request.user, school),
    }


def _school_year(school: School) -> int:
    today = timezone.localdate()
    term = selectors.current_term(school.supervisor, today)
    return term.school_year if term else rules.school_year_of(today)


def _can_edit(user, school: School) -> bool:
    return user.role in services.SCHOOL_WRITERS and (
        user.school_id == school.pk or user.is_authority_user
    )


@login_required
def school_create(request):
    """新增学校 (authority users)."""
    _require_authority(request.user)
    form = SchoolForm(request.POST or None, authorities=selectors.authorities_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            school = services.create_school(request, request.user, form.save())
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"已新增学校{school.name}")
            return redirect("org:school_detail", pk=school.pk)
    return render(request, "org/school_form.html", {"form": form, "creating": True})


@login_required
def school_edit(request, pk: int):
    """学校基本信息维护: the school's registrar, or an authority in scope."""
    school = selectors.get_in_scope(request, selectors.schools_for(request.user), "学校", pk=pk)
    if not _can_edit(request.user, school):
        raise PermissionDenied("您无权修改该学校的信息")
    before = services.school_snapshot(school)
    form = SchoolForm(request.POST or None, instance=school,
                      authorities=selectors.authorities_for(request.user),
                      school_user=request.user.is_school_user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_school(request, request.user, form.save(), before)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "学校基本信息已保存")
            return redirect("org:school_detail", pk=school.pk)
    return render(request, "org/school_form.html", {"form": form, "school": school, "creating": False})


@login_required
def my_school(request):
    """学校基本信息管理: a school user's own school."""
    if not request.user.is_school_user:
        raise PermissionDenied("只有学校用户可以访问该功能")
    return redirect("org:school_detail", pk=request.user.school_id)


@login_required
def campus_create(request, pk: int):
    school = selectors.get_in_scope(request, selectors.schools_for(request.user), "学校", pk=pk)
    form = CampusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campus: Campus = form.save(commit=False)
        campus.school = school
        try:
            services.save_campus(request, request.user, campus)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"已保存校区{campus.name}")
            return redirect("org:school_detail", pk=school.pk)
    return render(request, "org/campus_form.html", {"form": form, "school": school})


@login_required
def my_school_grades(request):
    """年级班级管理 for a school's registrar (and leader, read-only)."""
    if not request.user.is_school_user:
        raise PermissionDenied("只有学校用户可以访问该功能")
    school = request.user.school
    grade_form = GradeForm(prefix="grade")
    class_form = ClassForm(prefix="class")
    if request.method == "POST":
        try:
            if "grade-stage" in request.POST:
                grade_form = GradeForm(request.POST, prefix="grade")
                if grade_form.is_valid():
                    grade = services.create_grade(request, request.user, school,
                                                  grade_form.cleaned_data["stage"],
                                                  grade_form.cleaned_data["entry_year"])
                    messages.success(request, f"已新增年级{grade.name}")
                    return redirect("org:my_school_grades")
            else:
                class_form = ClassForm(request.POST, prefix="class")
                if class_form.is_valid():
                    grade = selectors.get_in_scope(request, selectors.grades_for(request.user), "年级",
                                                   pk=class_form.cleaned_data["grade"])
                    klass = services.create_class(request, request.user, grade,
                                                  class_form.cleaned_data["code"], class_form.cleaned_data["name"])
                    messages.success(request, f"已新增班级{klass.name}({klass.code})")
                    return redirect("org:my_school_grades")
        except ValidationError as error:
            target = grade_form if "grade-stage" in request.POST else class_form
            add_validation_errors(target, error)
    context = _school_context(request, school)
    context.update({"grade_form": grade_form, "class_form": class_form,
                    "can_write": request.user.role == Role.SCHOOL_REGISTRAR})
    return render(request, "org/grades.html", context)


@login_required
def term_list(request):
    """学年学期设置."""
    _require_authority(request.user)
    form = TermForm(request.POST or None, authorities=selectors.authorities_for(request.user),
                    initial={"authority": request.user.authority_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.create_term(request, request.user, form.save(commit=False))
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, "学年学期已保存")
            return redirect("org:term_list")
    terms = selectors.terms_for(request.user).select_related("authority")
    result = paginate_sorted(request, terms, {"school_year": "school_year", "start": "start_date"}, "-school_year")
    current = selectors.current_term(request.user.authority, timezone.localdate())
    return render(request, "org/term_list.html", {"form": form, "result": result, "current": current})


@login_required
def division_list(request):
    """行政区划: browse the divisions in scope, level by level."""
    _require_authority(request.user)
    divisions = selectors.divisions_for(request.user)
    parent_code = request.GET.get("parent", "").strip()
    parent = None
    if parent_code:
        parent = selectors.get_in_scope(request, divisions, "行政区划", code=parent_code)
        divisions = divisions.filter(parent=parent)
    else:
        top = request.user.authority.division
        divisions = divisions.filter(parent=top) if top else divisions.filter(level=1)
    q = request.GET.get("q", "").strip()
    if q:
        divisions = selectors.divisions_for(request.user).filter(Q(name__contains=q) | Q(code__startswith=q))
    divisions = divisions.annotate(n_children=Count("children"))
    result = paginate_sorted(request, divisions, {"code": "code", "name": "name"}, "code")
    return render(request, "org/division_list.html", {"result": result, "parent": parent, "q": q})


@login_required
def division_children(request):
    """The divisions under ``parent`` (the provinces without one), as JSON for the province
    → city → county picker of the forms: ``{"items": [{"code", "name", "leaf"}]}``. Public
    reference data (the whole national list, not the user's scope); the placeholder
    counties 市辖区 are left out; ``leaf``: nothing below (a county, or a city without
    counties such as 东莞市)."""
    parent = request.GET.get("parent", "").strip()
    if parent and not rules.division_level_of(parent):
        return JsonResponse({"items": []})
    return JsonResponse({"items": selectors.division_children(parent)})
