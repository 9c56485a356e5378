"""后台任务 pages: the progress page (its own script polls the status), the JSON status,
取消 and 重新执行, and the user's list of jobs. Thin: scope in the selector, writes in the
services; an out-of-scope job is a 404 with an audit entry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.common.lists import paginate_sorted
from xueji.org.selectors import get_in_scope

from . import selectors, services

WHAT = "后台任务"


def _job(request, pk: int):
    job = get_in_scope(request, selectors.jobs_for(request.user), WHAT, pk=pk)
    return services.reap_if_dead(job)


@login_required
def job_list(request):
    """我的后台任务: the jobs the user may follow, newest first."""
    result = paginate_sorted(request, selectors.jobs_for(request.user), {"created": "created_at"}, "-created")
    rows = [(job, selectors.status_of(job)) for job in result.objects]
    return render(request, "jobs/list.html", {"result": result, "rows": rows})


@login_required
def job_detail(request, pk: int):
    """进度: a progress bar that updates itself; once the job is done, its result page."""
    job = _job(request, pk)
    status = selectors.status_of(job)
    if job.status == "done" and job.result_url and request.GET.get("stay") != "1":
        return redirect(job.result_url)
    return render(request, "jobs/detail.html", {
        "job": job, "status": status, **selectors.allowed_actions(job, request.user),
    })


@login_required
def job_status(request, pk: int):
    """The job's state as JSON, for the progress page's script."""
    job = _job(request, pk)
    return JsonResponse(selectors.status_of(job), json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def job_cancel(request, pk: int):
    job = _job(request, pk)
    try:
        services.cancel_job(job, request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied:
        raise
    else:
        messages.success(request, "已取消该任务")
    return redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def job_rerun(request, pk: int):
    job = _job(request, pk)
    try:
        new = services.rerun_job(job, request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("jobs:detail", pk=job.pk)
    return redirect("jobs:detail", pk=new.pk)


@login_required
def job_download(request, pk: int):
    """The file a finished job produced (an export)."""
    job = _job(request, pk)
    if job.status != "done" or not job.output_file:
        raise Http404("该任务没有可下载的文件")
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=job.output_name or "result.xlsx")
