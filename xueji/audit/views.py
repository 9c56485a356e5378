"""系统管理 → 审计日志: the search page and an entry's detail (F-15). Authority users only,
each within their scope."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from xueji.common.lists import paginate_sorted

from . import rules
from .forms import AuditSearchForm
from .models import AuditEntry
from .selectors import can_read_audit_log, entries_visible_to, search_entries
from .services import record_event

SORTABLE = {
    "seq": "seq",
    "occurred_at": "occurred_at",
    "actor": "actor_username",
    "action": "action",
    "ip": "ip_address",
}


def _refuse(request, summary: str, seq: int | None = None) -> None:
    """Refusals are audited (F-11)."""
    record_event(
        action="scope.denied", summary=summary, request=request,
        target=("audit.auditentry", seq) if seq is not None else None,
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
    result = paginate_sorted(request, entries, sortable=SORTABLE, default_sort="-seq")
    return render(request, "audit/entry_list.html", {
        "form": form,
        "result": result,
        "action_choices": AuditSearchForm.action_choices(),
    })


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 80 else json.dumps(value, ensure_ascii=False, indent=1)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _changes(before, after) -> tuple[list[dict], bool]:
    """(rows, tabular): a row per key when both sides are mappings (or absent)."""
    before = rules.strip_secrets(before)
    after = rules.strip_secrets(after)
    if all(v is None or isinstance(v, dict) for v in (before, after)):
        before, after = before or {}, after or {}
        keys = list(before) + [k for k in after if k not in before]
        return [
            {
                "field": key,
                "before": _display(before.get(key)) if key in before else "",
                "after": _display(after.get(key)) if key in after else "",
                "changed": before.get(key) != after.get(key),
            }
            for key in keys
        ], True
    return [{"field": "", "before": _display(before), "after": _display(after),
             "changed": before != after}], False


@login_required
def entry_detail(request, seq: int):
    if not can_read_audit_log(request.user):
        _refuse(request, f"无权查看审计日志第 {seq} 条", seq)
        raise PermissionDenied("只有教育行政部门用户可以查看审计日志")
    entry = entries_visible_to(request.user).filter(seq=seq).first()
    if entry is None:
        if AuditEntry.objects.filter(seq=seq).exists():
            _refuse(request, f"试图查看数据范围外的审计日志第 {seq} 条", seq)
        raise Http404("审计日志记录不存在或不在您的数据范围内")
    rows = [
        ("序号", entry.seq),
        ("时间", timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M:%S.%f")),
        ("操作人", entry.actor_display),
        ("操作人角色", entry.actor_role_display),
        ("操作人单位", entry.unit_name),
        ("学校", entry.school if entry.school_id else ""),
        ("范围前缀", entry.authority_prefix or "(全国)"),
        ("IP 地址", entry.ip_address),
        ("操作类型", f"{entry.action_display}({entry.action})"
         if entry.action_display != entry.action else entry.action),
        ("对象", f"{entry.object_type} {entry.object_id}".strip()),
        ("摘要", entry.summary),
    ]
    changes, tabular = _changes(entry.before, entry.after)
    return render(request, "audit/entry_detail.html", {
        "entry": entry,
        "rows": rows,
        "changes": changes if (entry.before is not None or entry.after is not None) else [],
        "tabular": tabular,
        "hash_is_valid": entry.hash_is_valid,
    })
