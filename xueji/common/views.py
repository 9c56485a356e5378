from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "common/home.html", {})


def permission_denied(request, exception=None):
    return render(request, "common/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "common/404.html", status=404)
