"""The shell: home page and error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .todos import overview_for, todos_for


@login_required
def home(request):
    """首页: the user's unit, their to-do counts and an overview of their scope."""
    return render(request, "portal/home.html", {
        "todos": todos_for(request.user), "overview": overview_for(request.user),
    })


def permission_denied(request, exception=None):
    return render(request, "portal/403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)
