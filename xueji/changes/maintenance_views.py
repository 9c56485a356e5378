"""学籍数据维护 pages (F-23, F-44): the school's list of records to maintain and the record
page (基本信息 grouped as the 72-item template, 家庭成员, 学习简历, 奖励信息, 惩罚信息,
居住证信息, 照片, 历史记录). Scoped by ``students.selectors.students_for``: an
out-of-scope record is a 404 with an audit entry; only the record's own school registrar
and data-check account edit (``org.roles.may_maintain_record``), everyone else in scope
reads; a parent has no access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from xueji.codes import tables as codes
from xueji.common.lists import paginate_sorted
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.common.params import parse_id
from xueji.org.roles import Role, may_maintain_record
from xueji.org.selectors import (
    chosen_in_scope,
    classes_for,
    get_in_scope,
    record_personal_view,
    record_scope_violation,
)
from xueji.students import fields as F
from xueji.students import rules as student_rules
from xueji.students.selectors import division_names, history_of, parts_of, students_for

from . import maintenance_services as services

TABS = (("basic", "基本信息"), ("family", "家庭成员"), ("resume", "学习简历"), ("award", "奖励信息"),
        ("punishment", "惩罚信息"), ("residence", "居住证信息"), ("history", "历史记录"))
_TAB_KEYS = {key for key, _ in TABS}
MAX_MEMBERS = 10
_YES_NO = (("是", "是"), ("否", "否"))


def _no_parents(user) -> None:
    if user.role == Role.PARENT:
        raise PermissionDenied("家长不能查看学籍数据维护")


def _records(user):
    return students_for(user).exclude(status=student_rules.DELETED_STATUS)


@login_required
def maintenance(request):
    """学籍数据维护: the records in scope (not deleted), by class (a class of the scope, or
    待分班), name or number; each links to its record page."""
    user = request.user
    _no_parents(user)
    students = _records(user).select_related("school", "klass__grade", "klass__school", "grade")
    scope_classes = classes_for(user).select_related("grade", "school")
    # The class tree is the school's (a school user); an authority searches its whole scope.
    classes = list(scope_classes.order_by("code")) if user.school_id else []
    klass_param = request.GET.get("klass", "")[:30]
    chosen = None
    if klass_param == "none":
        students = students.filter(klass__isnull=True)
    elif klass_param:
        klass_id = parse_id(klass_param)
        chosen = scope_classes.filter(pk=klass_id).first() if klass_id is not None else None
        if chosen is None:
            record_scope_violation(request, "班级", {"klass": klass_param[:20]})
            refusal = PermissionDenied("所选班级不存在或不在您的数据范围内")
            refusal.audited = True
            raise refusal
        students = students.filter(klass=chosen)
    placing = user.role == Role.SCHOOL_REGISTRAR and bool(classes)
    if request.method == "POST":
        if not placing:
            raise PermissionDenied("只有本校学籍管理员可以分班")
        target = parse_id(request.POST.get("to_klass"))
        to_klass = next((k for k in classes if k.pk == target), None)
        if to_klass is None:
            record_scope_violation(request, "班级", {"to_klass": request.POST.get("to_klass", "")[:20]})
            refusal = PermissionDenied("所选班级不存在或不在您的数据范围内")
            refusal.audited = True
            raise refusal
        try:
            chosen_students = chosen_in_scope(request, _records(user), request.POST.getlist("student"), "学生")
            moved = services.place_students(user, list(chosen_students), to_klass, request=request)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"已将{moved}名学生分到{to_klass.label}")
        return redirect(request.get_full_path())
    status = request.GET.get("status", "")
    statuses = [(code, name) for code, name in student_rules.STATUS_NAMES.items() if code != student_rules.DELETED_STATUS]
    if status in dict(statuses):
        students = students.filter(status=status)
    else:
        status = ""  # anything else: every status
    q = request.GET.get("q", "").strip()[:50]
    if q:
        # A name (foreign names are Latin letters too) or a part of the 全国学籍号.
        students = students.filter(name__icontains=q) if not q.isascii() else students.filter(
            Q(national_number__icontains=q) | Q(name__icontains=q))
    result = paginate_sorted(request, students, {"name": "name", "number": "national_number", "klass": "klass__code"},
                             "klass")
    return render(request, "changes/maintenance.html", {
        "result": result, "classes": classes, "chosen": chosen, "klass_param": klass_param, "q": q,
        "placing": placing, "status": status, "statuses": statuses,
    })


def _show(f, value, names: dict[str, str]) -> str:
    """A stored value as a person reads it: codes with their names, 是/否, divisions named."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if f.kind == "code":
        return codes.label(f.code_table, value)
    if f.options:
        return next((f"{c}-{n}" for c, n in f.options if c == value), str(value))
    if f.kind == "division":
        return names.get(value, value)
    if f.kind == "date":
        return value.strftime("%Y-%m-%d")
    return str(value)


def _input_value(f, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _options(f) -> list[tuple[str, str]] | None:
    if f.kind == "bool":
        return list(_YES_NO)
    if f.kind == "code":
        return codes.choices(f.code_table, only=f.only)
    if f.options:
        return [(c, f"{c}-{n}") for c, n in f.options]
    return None


def _groups(student, *, editable: bool, submitted: dict | None, full: bool) -> list[dict]:
    """The record's items grouped as the template groups them (``fields.GROUPS``)."""
    values = {f.attr: getattr(student, f.attr) for f in F.STUDENT_FIELDS if not f.is_lookup}
    names = division_names({v for f in F.STUDENT_FIELDS if f.kind == "division" and (v := values.get(f.attr))})
    groups = []
    for key, label in F.GROUPS:
        if key == "family":
            continue
        items = []
        for f in F.STUDENT_FIELDS:
            if f.group != key:
                continue
            if f.attr == "school_code":
                shown = f"{student.school.code}({student.school.name})"
            elif f.attr == "class_code":
                shown = student.klass.label if student.klass else "待分班"
            elif f.attr == "id_number" and not full:
                shown = mask_id_number(values["id_number"])
            else:
                shown = _show(f, values.get(f.attr), names)
            edit = editable and f.attr in student_rules.EDITABLE_ATTRS
            current = submitted.get(f.attr) if submitted is not None and f.attr in submitted else _input_value(
                f, values.get(f.attr))
            items.append({"header": f.header, "attr": f.attr, "shown": shown, "key": f.key, "edit": edit,
                          "options": _options(f) if edit else None, "value": current, "help": f.help,
                          "required": f.required == "always"})
        groups.append({"label": label, "items": items})
    return groups


_MEMBER_FIELDS = F.MEMBER_FIELDS[1]


def _member_rows(student, submitted: list[dict] | None, *, full: bool, editable: bool) -> list[dict]:
    """The family members as rows of cells; an editor gets two empty rows to add members."""
    members = submitted if submitted is not None else [
        {f.attr: getattr(m, f.attr) for f in _MEMBER_FIELDS} for m in student.family.order_by("seq")]
    if submitted is None and editable:
        members = [*members, {}, {}][:MAX_MEMBERS]
    rows = []
    for index, member in enumerate(members):
        cells = []
        for f in _MEMBER_FIELDS:
            value = member.get(f.attr)
            if f.attr == "id_number" and not full:
                value = mask_id_number(value or "")
            cells.append({"attr": f.attr, "header": f.header[3:], "value": _input_value(f, value),
                          "shown": _show(f, member.get(f.attr), {}) if f.attr != "id_number" else (value or ""),
                          "options": _options(f)})
        rows.append({"index": index, "cells": cells})
    return rows


def _key_change_url(student) -> str | None:
    try:
        return reverse("changes:key_change_apply") + f"?student={student.pk}"
    except NoReverseMatch:
        return None


@login_required
def record(request, pk: int):
    """学籍信息维护: one record. GET shows the tab asked for (``?tab=``); POST saves one
    part of it (``action``: fields, family, part_add, part_remove, photo)."""
    user = request.user
    _no_parents(user)
    student = get_in_scope(request, _records(user).select_related("school", "grade", "klass__grade", "klass__school"),
                           "学籍", pk=pk)
    editable = may_maintain_record(user.role, user.school_id, student.school_id)
    tab = request.GET.get("tab", "basic")
    if tab not in _TAB_KEYS:
        tab = "basic"
    errors: list[str] = []
    submitted_fields = None
    submitted_members = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "fields":
                tab = "basic"
                # Every item of the record posted, key data too: the writer refuses those by name
                # (a crafted form is told to use 关键数据变更, not silently ignored).
                submitted_fields = {attr: request.POST.get(attr, "")[:300] for attr in F.BY_ATTR
                                    if attr in request.POST}
                update = services.update_fields(user, student, submitted_fields, request=request)
                messages.success(request, f"已保存,修改了{len(update.after)}项信息" if update else "没有需要保存的修改")
            elif action == "family":
                tab = "family"
                submitted_members = _posted_members(request.POST)
                changed = services.update_family(user, student, submitted_members, request=request)
                messages.success(request, "已保存家庭成员" if changed else "没有需要保存的修改")
            elif action == "part_add":
                tab = request.POST.get("kind", "")
                if tab not in student_rules.PARTS:
                    raise ValidationError("不是学籍信息的页签")
                raw = {pf.attr: request.POST.get(pf.attr, "")[:300] for pf in student_rules.PARTS[tab][1]}
                services.add_part(user, student, tab, raw, request=request)
                messages.success(request, f"已增加{student_rules.PARTS[tab][0]}")
            elif action == "part_remove":
                tab = request.POST.get("kind", "")
                if tab not in student_rules.PARTS:
                    raise ValidationError("不是学籍信息的页签")
                part_id = parse_id(request.POST.get("part"))
                if part_id is None:
                    raise ValidationError("要删除的记录不存在")
                services.remove_part(user, student, tab, part_id, request=request)
                messages.success(request, f"已删除一条{student_rules.PARTS[tab][0]}")
            elif action == "photo":
                tab = "basic"
                services.set_photo(user, student, request.FILES.get("photo"), request=request)
                messages.success(request, "已更换照片")
            else:
                raise ValidationError("未知的操作")
        except ValidationError as error:
            errors = list(error.messages)
            student.refresh_from_db()
        else:
            return redirect(f"{reverse('changes:record', args=[student.pk])}?tab={tab}")
        if tab not in _TAB_KEYS:
            tab = "basic"
    full = editable
    if full and request.method == "GET" and tab in ("basic", "family"):  # the tabs with full ID numbers
        record_personal_view(request, "学籍数据维护", student, school=student.school,
                             summary=f"查看学籍信息:{student.name}")
    context = {
        "student": student, "editable": editable, "tab": tab, "tabs": TABS, "errors": errors,
        "key_change_url": _key_change_url(student),
        "number": student.national_number if full else mask_national_number(student.national_number),
    }
    if tab == "basic":
        context["groups"] = _groups(student, editable=editable, submitted=submitted_fields, full=full)
    elif tab == "family":
        context["member_headers"] = [f.header[3:] for f in _MEMBER_FIELDS]
        context["members"] = _member_rows(student, submitted_members, full=full, editable=editable)
    elif tab == "history":
        context["history"] = history_of(student)
    else:
        context["part_label"] = student_rules.PARTS[tab][0]
        context["part_fields"] = student_rules.PARTS[tab][1]
        context["parts"] = parts_of(student, tab)
    return render(request, "changes/record.html", context, status=400 if errors else 200)


def _posted_members(post) -> list[dict]:
    count = parse_id(post.get("members", "")) or 0
    members = []
    for index in range(min(count, MAX_MEMBERS)):
        members.append({f.attr: post.get(f"m{index}-{f.attr}", "")[:300] for f in _MEMBER_FIELDS})
    return members


@login_required
def record_photo(request, pk: int):
    """The record's photo, only to users who may see the record (never from MEDIA_URL)."""
    user = request.user
    _no_parents(user)
    student = get_in_scope(request, _records(user), "学籍", pk=pk)
    if not student.photo:
        raise Http404("没有照片")
    try:
        handle = student.photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("没有照片") from None
    content_type = "image/png" if student.photo.name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
