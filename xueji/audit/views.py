"""系统管理 → 审计日志: the search page and an entry's detail (F-15). Authority users only,
each within their scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from xueji.common.lists import paginate_sorted

from . import display, services
from .forms import AuditSearchForm
from .models import AuditEntry
from .selectors import can_read_audit_log, entries_visible_to, search_entries
from .services import record_event

SORTABLE = {
    "id": "id",
    "occurred_at": "occurred_at",
    "actor": "actor_username",
    "action": "action",
    "ip": "ip_address",
}


def _refuse(request, summary: str, pk: int | None = None) -> None:
    """Refusals are audited (F-11)."""
    record_event(
        action="scope.denied", summary=summary, request=request,
        target=("audit.auditentry", pk) if pk is not None else None,
    )


@login_required
def entry_list(request):
    if not can_read_audit_log(request.user):
        _refuse(request, "无权查询审计日志")
        raise PermissionDenied("只有教育行政部门用户可以查询审计日志")
    form = AuditSearchForm(request.GET or None)
    entries = entries_visible_to(request.user).defer("before", "after")
    if form.is_bound:
        if form.is_valid():
            entries = search_entries(entries, **form.cleaned_data)
        else:
            entries = entries.none()
    result = paginate_sorted(request, entries, sortable=SORTABLE, default_sort="-id")
    return render(request, "audit/entry_list.html", {
        "form": form,
        "result": result,
    })


@login_required
def entry_detail(request, pk: int):
    if not can_read_audit_log(request.user):
        _refuse(request, f"无权查看审计日志编号 {pk}", pk)
        raise PermissionDenied("只有教育行政部门用户可以查看审计日志")
    entry = entries_visible_to(request.user).filter(pk=pk).first()
    if entry is None:
        if AuditEntry.objects.filter(pk=pk).exists():
            _refuse(request, f"试图查看数据范围外的审计日志编号 {pk}", pk)
        raise Http404("审计日志记录不存在或不在您的数据范围内")
    rows = [
        ("编号", entry.pk),
        ("时间", display.format_time(entry.occurred_at)),
        ("操作人", entry.actor_display),
        ("操作人角色", entry.actor_role_display or "—"),
        ("操作人单位", entry.unit_name or "—"),
        ("学校", entry.school if entry.school_id else "—"),
        ("数据范围", display.scope_label(entry.authority_prefix)),
        ("IP 地址", entry.ip_address or "—"),
        ("操作类型", entry.action_display),
        ("对象", entry.object_display),
        ("摘要", entry.summary),
    ]
    changes, tabular = display.changes(entry.object_type, entry.before, entry.after)
    return render(request, "audit/entry_detail.html", {
        "entry": entry,
        "rows": rows,
        "chain_label": services.chain_label(entry.chain),
        "changes": changes if (entry.before is not None or entry.after is not None) else [],
        "tabular": tabular,
        "hash_is_valid": entry.hash_is_valid,
    })
