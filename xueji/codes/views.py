"""代码表 pages (系统管理 → 代码表): read-only views of ``tables.TABLES``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from . import tables


@login_required
def table_list(request):
    """All code tables with their standard, source and number of items."""
    return render(request, "codes/table_list.html", {"tables": list(tables.TABLES.values())})


@login_required
def table_detail(request, key: str):
    """One table's items (code + name), with the further spellings an import accepts."""
    if key not in tables.TABLES:
        raise Http404("代码表不存在")
    table = tables.get(key)
    aliases = tables.aliases_of(key)
    q = request.GET.get("q", "").strip()
    items = [
        {"code": code, "name": name, "aliases": aliases.get(code, [])}
        for code, name in table.items
        if not q or q.upper() in code.upper() or q in name
    ]
    return render(request, "codes/table_detail.html", {"table": table, "items": items, "q": q})
