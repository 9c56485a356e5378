"""The shell: home page and error pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.org.selectors import classes_for
from xueji.students.selectors import students_for

from .todos import overview_for, todos_for


@login_required
def home(request):
    """首页: the user's unit, their to-do counts and an overview of their scope."""
    return render(request, "portal/home.html", {
        "todos": todos_for(request.user), "overview": overview_for(request.user),
    })


@login_required
def my_classes(request):
    """我的班级: a class teacher's classes and their pupils (masked ID numbers)."""
    if request.user.role != Role.CLASS_TEACHER:
        raise PermissionDenied("只有班主任可以查看本人所带班级")
    classes = list(classes_for(request.user).select_related("grade", "school").order_by("code"))
    pupils: dict[int, list] = {k.pk: [] for k in classes}
    for student in students_for(request.user).order_by("klass_id", "name"):
        pupils.setdefault(student.klass_id, []).append(student)
    return render(request, "portal/my_classes.html", {
        "classes": [{"klass": k, "students": pupils.get(k.pk, [])} for k in classes],
    })


def permission_denied(request, exception=None):
    """403: every refusal of a role (``PermissionDenied`` raised by a view or a service)
    reaches this one place, which audits it (``auth.permission_denied``), unless it was
    audited already (a refusal that carries ``audited = True``)."""
    reason = str(exception or "")
    if not getattr(exception, "audited", False):
        record_refusal(request, reason)
    return render(request, "portal/403.html", {"reason": reason}, status=403)


def record_refusal(request, reason: str) -> None:
    """One audit entry for a refused request: who, what was asked, why."""
    user = getattr(request, "user", None)
    record_event(
        action="auth.permission_denied",
        summary=f"无权操作被拒绝:{reason or '无权访问'} {request.method} {request.path}"[:500],
        actor=user if user is not None and user.is_authenticated else None, request=request,
        after={"path": request.path[:300], "method": request.method, "reason": reason[:200]},
    )


def page_not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)


def server_error(request):
    """500: rendered without the request's context (no menu, no user, no database), so it
    shows even when the database is what failed."""
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("portal/500.html").render({}))
