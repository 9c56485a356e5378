"""Workflow pages (业务审批): 业务流程配置, 待审核业务, 业务详情, 在办业务查询, 业务时间控制.
Thin: parse, call a service or a scoped selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from xueji.accounts.models import Role
from xueji.common.forms import add_validation_errors, error_messages
from xueji.common.lists import paginate_sorted
from xueji.common.params import content_disposition, local_url
from xueji.org import selectors as org_selectors

from . import batches, payloads, registry, rules, selectors, services
from .forms import (
    ConfigCreateForm,
    ConfigEditForm,
    ConfigFilterForm,
    DecisionForm,
    MaterialForm,
    OpenFilterForm,
    WindowForm,
)
from .models import Business

REVIEWERS = {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR}
OPEN_QUERY_ROLES = {Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN, Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER}


def _registry_order(field: str) -> Case:
    """Order business types as the registry lists them (the order of seed 004 §22)."""
    return Case(
        *[When(**{field: t.code}, then=Value(i)) for i, t in enumerate(registry.all_types())],
        default=Value(len(registry.all_types())), output_field=IntegerField(),
    )


def _back(request, fallback: str) -> str:
    return local_url(request.POST.get("next") or request.GET.get("next"), request, fallback)


# --- 业务流程配置 (F-30) ------------------------------------------------------------------------
@login_required
def config_list(request):
    """业务流程配置: the configurations that apply to the user's unit and those set in scope."""
    if not request.user.is_authority_user:
        raise PermissionDenied("只有教育部门用户可以查看业务流程配置")
    form = ConfigFilterForm(request.GET or None)
    configs = selectors.configs_for(request.user).annotate(type_order=_registry_order("business_type"))
    if form.is_valid():
        data = form.cleaned_data
        if data["business_type"]:
            configs = configs.filter(business_type=data["business_type"])
        if data["stage"]:
            configs = configs.filter(stage=data["stage"])
        if data["category"]:
            configs = configs.filter(category=data["category"])
    result = paginate_sorted(request, configs, {
        "type": "type_order", "category": "category", "stage": "stage", "scope": "scope__prefix",
    }, "type")
    rows = [
        {"config": c, "can_edit": rules.can_edit_scope(request.user, c.scope.prefix)} for c in result.objects
    ]
    return render(request, "workflow/config_list.html", {
        "form": form, "result": result, "rows": rows, "can_manage": rules.can_manage_configs(request.user),
    })


@login_required
def config_create(request):
    """业务流程配置新增."""
    if not rules.can_manage_configs(request.user):
        raise PermissionDenied("只有省级及教育部学籍管理员可以维护业务流程配置")
    scopes = selectors.config_scopes_for(request.user)
    form = ConfigCreateForm(request.POST or None, scopes=scopes,
                            initial={"scope": request.user.authority_id, "levels": list(registry.TO_SUPERVISOR),
                                     "deadline_days": rules.DEFAULT_DEADLINE_DAYS})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, updated = services.save_configs(
                request.user, business_types=data["business_types"], categories=data["categories"],
                stages=data["stages"], scope=data["scope"], levels=data["levels"],
                deadline_days=data["deadline_days"], request=request,
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"业务流程配置已保存:新增{created}条,修改{updated}条")
            return redirect("workflow:config_list")
    return render(request, "workflow/config_form.html", {"form": form, "creating": True})


@login_required
def config_edit(request, pk: int):
    """业务流程配置修改 (the levels), or 删除."""
    config = org_selectors.get_in_scope(request, selectors.editable_configs_for(request.user), "业务流程配置", pk=pk)
    form = ConfigEditForm(request.POST or None, initial={"levels": config.levels, "deadline_days": config.deadline_days})
    if request.method == "POST":
        if "delete" in request.POST:
            services.delete_config(request.user, config, request=request)
            messages.success(request, "业务流程配置已删除")
            return redirect("workflow:config_list")
        if form.is_valid():
            try:
                services.save_config(
                    request.user, business_type=config.business_type, category=config.category,
                    stage=config.stage, scope=config.scope, levels=form.cleaned_data["levels"], config=config,
                    deadline_days=form.cleaned_data["deadline_days"], request=request,
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, "业务流程配置已保存")
                return redirect("workflow:config_list")
    return render(request, "workflow/config_form.html", {"form": form, "config": config, "creating": False})


# --- 待审核业务 (F-31) ---------------------------------------------------------------------------
def _require_reviewer(user) -> None:
    if user.role not in REVIEWERS:
        raise PermissionDenied("只有学校学籍主管领导和教育部门学籍管理员可以审核业务")


def _groups() -> list[str]:
    """The groups that hold a type that can be handled now."""
    return list(dict.fromkeys(t.group for t in registry.all_types() if t.has_effect))


def _known_kinds(values) -> list[str]:
    """Known type codes of ``kind`` values (repeated, or several in one value joined by
    commas: the filter's option for a set such as 小学新生注册's three)."""
    codes = (code.strip() for value in values for code in str(value).split(","))
    return [kind for kind in dict.fromkeys(codes) if registry.find(kind) is not None]


def _of_types(businesses, kinds: list[str], group: str):
    """The businesses of some types (``kind``, repeatable: 小学新生注册 is three) or of one
    group of types (unknown values: no filter)."""
    kinds = _known_kinds(kinds)
    if kinds:
        businesses = businesses.filter(kind__in=kinds)
    if group in _groups():
        businesses = businesses.filter(kind__in=[t.code for t in registry.all_types() if t.group == group])
    return businesses


@login_required
def queue(request):
    """待审核业务: the one way in for reviewers — what waits at the user's step (every type:
    registrations with their 查重认证 results, changes, transfers …), with 审核 of a
    selection, 全部审核 of a school, and the batch operations waiting for them."""
    _require_reviewer(request.user)
    kinds = _known_kinds(request.GET.getlist("kind"))
    group = request.GET.get("group", "")
    group = group if group in _groups() else ""
    businesses = _of_types(selectors.queue_for(request.user), kinds, group)
    # 审核状态: those that can be decided now, or those on one hold (待查重认证) — seed 004 §6
    # "通过查询条件中的…查重认证状态查询目前可审核的申请".
    waiting = request.GET.get("waiting", "")
    holds = [(h.code, h.name) for h in (registry.find_hold(c) for c in (registry.DEDUP_PENDING,)) if h and h.in_queue]
    if waiting == "ready":
        businesses = businesses.filter(hold="")
    elif waiting in dict(holds):
        businesses = businesses.filter(hold=waiting)
    else:
        waiting = ""
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        businesses = businesses.filter(step_due__lt=timezone.now())
    q = request.GET.get("q", "").strip()[:50]
    if q:
        businesses = businesses.filter(Q(summary__icontains=q) | Q(student__national_number=q))
    school_id = request.GET.get("school", "")
    school = None
    if school_id.isdigit():
        school = org_selectors.get_in_scope(request, selectors.queue_schools_for(request.user), "学校", pk=school_id)
        businesses = businesses.filter(school=school)
    summary = (
        _of_types(selectors.queue_for(request.user), kinds, group).order_by()
        .values("school_id", "school__name", "school__code")
        .annotate(total=Count("pk"), held=Count("pk", filter=~Q(hold="")))
        .order_by("school__code")
    )
    result = paginate_sorted(request, businesses, {
        "created": "created_at", "kind": "kind", "school": "school__code", "summary": "summary",
    }, "created")
    page = list(result.objects)
    facts = selectors.facts_for(page)
    columns = selectors.fact_columns(page)
    rows = [{"business": b, "facts": [facts.get(b.pk, {}).get(c, "—") for c in columns]} for b in page]
    return render(request, "workflow/queue.html", {
        "result": result, "rows": rows, "fact_columns": columns, "summary": summary[:200], "school": school,
        "overdue": overdue,
        "kinds_chosen": kinds, "group": group, "groups": _groups(), "q": q, "waiting": waiting,
        "waiting_choices": [("ready", "可审核"), *holds],
        "filter_query": urlencode([("kind", k) for k in kinds] + ([("group", group)] if group else [])
                                  + ([("waiting", waiting)] if waiting else [])
                                  + ([("overdue", "1")] if overdue else [])),
        "kinds": registry.open_type_choices(), "decision_form": DecisionForm(),
        "kinds_set": (",".join(kinds), rules.kinds_label([registry.type_name(k) for k in kinds]))
        if len(kinds) > 1 else None,
        "pending_in_school": _of_types(selectors.decidable_queue_for(request.user).filter(school=school), kinds,
                                       group).count() if school else 0,
        "batches": selectors.batch_queue_for(request.user)[:50],
    })


@login_required
@require_POST
def queue_decide(request):
    """审核 a selection (``mode=selected``, ``ids``) or 全部审核 a school (``mode=school``)."""
    _require_reviewer(request.user)
    passed = request.POST.get("decision") == "pass"
    opinion = request.POST.get("opinion", "")
    back = _back(request, reverse("workflow:queue"))
    if request.POST.get("mode") == "school":
        school_pk = request.POST.get("school", "")
        school = org_selectors.get_in_scope(request, selectors.queue_schools_for(request.user), "学校",
                                            pk=int(school_pk) if school_pk.isdigit() else 0)
        targets = _of_types(selectors.decidable_queue_for(request.user).filter(school=school),
                            request.POST.getlist("kind"), request.POST.get("group", ""))
    else:
        try:  # every id must be in the user's queue: otherwise refused whole, and audited
            targets = org_selectors.chosen_in_scope(request, selectors.queue_for(request.user),
                                                    request.POST.getlist("ids"), "业务")
        except ValidationError as error:
            error_messages(request, error)
            return redirect(back)
    if not targets.exists():
        messages.warning(request, "没有选择可审核的业务")
        return redirect(back)
    try:
        outcome = services.decide_many(targets, request.user, passed, opinion, request=request)
    except ValidationError as error:
        error_messages(request, error)
        return redirect(back)
    word = "审核通过" if passed else "审核不通过"
    messages.success(request, f"{word}{len(outcome.decided)}件业务")
    skipped = len(outcome.skipped)
    if skipped:
        reasons = sorted({reason for _, reason in outcome.skipped})
        messages.warning(request, f"{skipped}件业务未审核" + (":" + ";".join(reasons) if reasons else ""))
    return redirect(back)


# --- 业务详情 -------------------------------------------------------------------------------------
def _chain_rows(business: Business) -> list[dict]:
    decided = {d.position: d for d in business.decisions.all()}
    btype = registry.find(business.kind)
    rows = []
    for position, step in enumerate(business.chain):
        decision = decided.get(position)
        rows.append({
            "party": rules.party_label(btype, step),
            "level": registry.LEVEL_NAMES.get(step.get("level"), "审核"), "unit": step.get("unit", ""),
            "state": rules.step_state(position, business.position, business.is_open, decision,
                                      business.hold_name if business.hold else ""),
            "current": business.is_open and position == business.position,
            "decision": decision,
        })
    return rows


def _detail(request, business: Business, *, reveal: bool = False):
    """The detail page of ``business`` (full ID numbers only when ``reveal``: the
    audited 查看 action)."""
    user = request.user
    btype = registry.find(business.kind)
    schema = btype.schema if btype else payloads.EMPTY
    names = selectors.division_names(payloads.division_codes(schema, business.payload))
    classes = selectors.class_labels(business.school, payloads.codes_of_kind(schema, business.payload, "class"))
    can_decide = business.is_open and rules.refusal(user, business) is None
    chain = _chain_rows(business)
    return render(request, "workflow/business_detail.html", {
        "business": business, "chain": chain, "description": schema.description,
        "payload": payloads.display_rows(schema, business.payload, reveal=reveal, division_names=names,
                                         class_labels=classes),
        "facts": list(selectors.facts_for([business]).get(business.pk, {}).items()),
        "parties": selectors.parties_of(business), "multi_party": bool(btype and btype.multi_party),
        "decisions": [row for row in chain if row["decision"] is not None],
        "materials": business.materials.all(),
        "can_decide": can_decide, "blocked": business.hold_message if can_decide and business.hold else "",
        "can_withdraw": business.is_open and rules.can_withdraw(user, business),
        "can_attach": business.is_open and rules.can_attach(user, business),
        "can_reveal": not reveal and rules.can_reveal(user) and payloads.has_sensitive(schema),
        "revealed": reveal,
        "decision_form": DecisionForm(), "material_form": MaterialForm(),
        "age": selectors.age_in_days(business),
    })


@login_required
def business_detail(request, pk: int):
    """业务详情: what the business changes (labelled, ID numbers masked), its parties, its
    chain and where it waits, the decisions and the proof materials."""
    return _detail(request, selectors.business_for(request, pk))


@login_required
@require_POST
def business_reveal(request, pk: int):
    """查看: the same page with the full ID and phone numbers, once, audited."""
    business = selectors.business_for(request, pk)
    services.reveal_identity(business, request.user, request=request)
    return _detail(request, business, reveal=True)


@login_required
@require_POST
def business_decide(request, pk: int):
    business = selectors.business_for(request, pk)
    passed = request.POST.get("decision") == "pass"
    try:
        services.decide(business, request.user, passed, request.POST.get("opinion", ""), request=request)
    except ValidationError as error:
        error_messages(request, error)
        return redirect("workflow:business_detail", pk=pk)
    messages.success(request, f"{'审核通过' if passed else '审核不通过'}:{business.kind_name} {business.summary}")
    return redirect(_back(request, reverse("workflow:queue")))


@login_required
@require_POST
def business_withdraw(request, pk: int):
    business = selectors.business_for(request, pk)
    try:
        services.withdraw(business, request.user, request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"已撤销业务:{business.kind_name} {business.summary}")
    return redirect("workflow:business_detail", pk=pk)


@login_required
@require_POST
def material_upload(request, pk: int):
    business = selectors.business_for(request, pk)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("workflow:business_detail", pk=pk)
    try:
        services.attach_material(business, request.user, form.cleaned_data["file"], request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, "证明材料已上传")
    return redirect("workflow:business_detail", pk=pk)


@login_required
def material(request, pk: int):
    """A proof material, only to users who may see its business (never from /media)."""
    return material_response(request, selectors.material_for(request, pk))


def material_response(request, item) -> FileResponse:
    """The response serving proof material ``item`` — the caller has checked the user may
    see it (here: its business; 问题学籍: the group it evidences)."""
    number = item.business.materials.filter(pk__lte=item.pk).count()
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    # A name the system gives it (never the uploaded file name, which is the uploader's
    # text and may carry anything): 证明材料-<业务编号>-<序号>.jpg, RFC 5987 encoded.
    response["Content-Disposition"] = content_disposition(
        rules.material_download_name(item.business_id, number, item.content_type),
        attachment=request.GET.get("download") == "1",
        fallback=rules.material_download_name(item.business_id, number, item.content_type, ascii=True),
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# --- 在办业务查询 (F-33) and 在办业务清理 (F-32) ------------------------------------------------
@login_required
def open_businesses(request):
    """异动在办业务查询: every open business in scope, with its age and the step it waits at."""
    user = request.user
    if user.role not in OPEN_QUERY_ROLES:
        raise PermissionDenied("您无权查询在办业务")
    form = OpenFilterForm(request.GET or None)
    businesses = selectors.open_businesses_for(user)
    school = user.school if user.is_school_user else None
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            businesses = businesses.filter(kind=data["kind"])
        if data["school"]:
            school = org_selectors.get_in_scope(request, org_selectors.schools_for(user), "学校",
                                                code=data["school"])
            businesses = businesses.filter(school=school)
        if data["level"]:
            businesses = businesses.filter(current_level=data["level"])
        if data["min_days"] is not None:
            businesses = businesses.filter(created_at__lte=timezone.now() - timezone.timedelta(days=data["min_days"]))
        if data["overdue"]:
            businesses = businesses.filter(step_due__lt=timezone.now())
    result = paginate_sorted(request, businesses, {
        "created": "created_at", "kind": "kind", "school": "school__code", "level": "current_level",
    }, "created")
    now = timezone.now()
    rows = [{"business": b, "age": selectors.age_in_days(b, now), "waiting": b.waiting_days(now),
             "overdue": b.is_overdue(now)} for b in result.objects]
    # 在办业务清理 (the menu's ?clear=1) is this page with the clearing form (an authority
    # registrar first names the school); the query alone never offers to withdraw anything.
    clearing = request.GET.get("clear") == "1"
    can_clear = clearing and school is not None and rules.can_clear(user, school)
    return render(request, "workflow/open_businesses.html", {
        "form": form, "result": result, "rows": rows, "school": school, "can_clear": can_clear,
        "heading": "在办业务清理" if clearing else "异动在办业务查询",
        "clear_hint": clearing and not can_clear and user.role == Role.AUTHORITY_REGISTRAR,
        "open_in_school": selectors.open_businesses_for(user).filter(school=school).count() if can_clear else 0,
    })


@login_required
@require_POST
def clear_school(request, school_pk: int):
    """在办业务清理: withdraw every open business of one school."""
    school = org_selectors.get_in_scope(request, org_selectors.schools_for(request.user), "学校", pk=school_pk)
    count = services.clear_open_businesses(school, request.user, request=request,
                                           note=request.POST.get("note", "").strip() or "在办业务清理")
    messages.success(request, f"已清理{school.name}的在办业务{count}件")
    return redirect(reverse("workflow:open_businesses") + f"?clear=1&school={school.code}")


# --- 业务时间控制 (F-05) -------------------------------------------------------------------------
@login_required
def window_list(request):
    """业务时间控制: the windows in force for the user's unit and those set in scope; the
    province's and the ministry's registrars add and remove their own."""
    if not request.user.is_authority_user:
        raise PermissionDenied("只有教育部门用户可以查看业务时间控制")
    can_manage = rules.can_manage_windows(request.user)
    form = WindowForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("只有省级及教育部学籍管理员可以设置业务时间控制")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_window(request.user, business_types=data["business_types"],
                                       starts_at=data["starts_at"], ends_at=data["ends_at"], note=data["note"],
                                       request=request)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, "业务时间控制已保存")
                return redirect("workflow:window_list")
    windows = selectors.windows_for(request.user)
    result = paginate_sorted(request, windows, {"starts": "starts_at", "ends": "ends_at"}, "-starts")
    now = timezone.now()
    rows = [
        {"window": w, "active": w.starts_at <= now <= w.ends_at,
         "can_delete": can_manage and w.authority_id == request.user.authority_id}
        for w in result.objects
    ]
    return render(request, "workflow/window_list.html", {"form": form, "result": result, "rows": rows})


@login_required
@require_POST
def window_delete(request, pk: int):
    window = org_selectors.get_in_scope(request, selectors.windows_for(request.user), "业务时间控制", pk=pk)
    services.delete_window(request.user, window, request=request)
    messages.success(request, "业务时间控制已删除")
    return redirect("workflow:window_list")



# --- 批量业务 ------------------------------------------------------------------------------------
@login_required
def batch_detail(request, pk: int):
    """批量业务详情: what it does to how many students, its review, its progress, and the
    students it could not change."""
    batch = selectors.batch_for(request, pk)
    kind = registry.find_batch_kind(batch.kind)
    chain = [{"level": registry.LEVEL_NAMES.get(s.get("level"), "审核"), "unit": s.get("unit", ""),
              "current": batch.current_step is not None and i == batch.position} for i, s in enumerate(batch.chain)]
    return render(request, "workflow/batch_detail.html", {
        "batch": batch, "chain": chain, "decisions": batch.decisions.order_by("position"),
        "criteria": kind.describe(batch.criteria) if kind and kind.describe else [],
        "failures": selectors.batch_failures(batch)[:200],
        "can_decide": batch.current_step is not None and rules.refusal(request.user, batch) is None,
        "decision_form": DecisionForm(),
    })


@login_required
@require_POST
def batch_decide(request, pk: int):
    batch = selectors.batch_for(request, pk)
    passed = request.POST.get("decision") == "pass"
    try:
        batches.decide_batch(batch, request.user, passed, request.POST.get("opinion", ""), request=request)
    except ValidationError as error:
        error_messages(request, error)
    else:
        messages.success(request, f"{'审核通过' if passed else '审核不通过'}:{batch.kind_name} {batch.summary}")
    return redirect("workflow:batch_detail", pk=pk)
