"""问题学籍 pages. Thin: scope through ``selectors``, writes through ``services``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from xueji.org.selectors import get_in_scope

from . import selectors


@login_required
def group_detail(request, pk: int):
    """问题学籍详情: the records of the group side by side, whose turn it is, the steps so far."""
    group = get_in_scope(request, selectors.groups_for(request.user), "问题学籍", pk=pk)
    return render(request, "problems/group.html", {
        "group": group, "members": selectors.members_of(group, request.user),
        "events": group.events.select_related("member__student"),
    })
