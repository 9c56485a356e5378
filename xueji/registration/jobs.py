"""The background jobs of 学籍注册 (registered in ``apps.ready`` with
:mod:`xueji.jobs.registry`): what each runs in the task worker, what it undoes when its
run does not finish, where its result is shown and how it is run again.

- ``registration.import``       学籍注册Excel导入 (:func:`services.process_upload`)
- ``registration.collection``   首次数据采集 (:func:`collection.collect`)
- ``registration.preschool_import`` / ``registration.preschool_export`` 学前调档名单导入 / 调档学生导出
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from xueji.common.masking import mask_id_number
from xueji.jobs import registry
from xueji.jobs.services import start_job
from xueji.org.models import School

from . import collection, preschool, services
from .models import CollectionRun, PreschoolRequest, Upload

COLLECTION_JOB = "registration.collection"
PRESCHOOL_IMPORT_JOB = "registration.preschool_import"
PRESCHOOL_EXPORT_JOB = "registration.preschool_export"
#: Failed rows kept in a job's result (the page shows them; the command prints them all).
SHOWN_FAILURES = 500


def _failures(failed) -> list[dict]:
    return [{"row": f.row, "name": f.name, "id_number": mask_id_number(f.id_number), "messages": list(f.messages)}
            for f in failed[:SHOWN_FAILURES]]


# --- 学籍注册Excel导入 ----------------------------------------------------------------------------

def _upload_of(job) -> Upload:
    return Upload.objects.select_related("school", "user").get(pk=job.params["upload"])


def run_import(job, progress):
    services.process_upload(_upload_of(job), progress=progress)


def undo_import(job, reason: str) -> str:
    upload = Upload.objects.filter(pk=job.params.get("upload")).first()
    if upload is None:
        return ""
    undone = services.undo_unfinished_upload(upload, reason)
    return "本次导入已撤回" + (f"(撤回{undone}条注册申请)" if undone else "") + ",请重新执行"


def import_result_url(job) -> str:
    return reverse("registration:upload_detail", args=[job.params["upload"]])


def rerun_import(job, user, request=None):
    return services.resubmit_upload(_upload_of(job), user, request=request, rerun_of=job)


# --- 首次数据采集 -----------------------------------------------------------------------------------

def submit_collection(school: School, user, uploaded_file, *, create_classes: bool = True, request=None):
    """首次数据采集 as the page starts it: the checks now (who may, which school), the load
    in the worker."""
    collection.check_collector(user, school)
    return start_job(COLLECTION_JOB, user=user, authority=user.authority, input_file=uploaded_file, request=request,
                     title=f"首次数据采集:{school.name}({school.code}) {uploaded_file.name}"[:200],
                     params={"school": school.pk, "create_classes": bool(create_classes),
                             "filename": uploaded_file.name[:200]})


def _collection_result(report: collection.CollectionReport) -> dict:
    return {
        "school_code": report.school_code, "school_name": report.school_name, "filename": report.filename,
        "rows": report.rows, "created": report.created, "failed_count": len(report.failed),
        "failures": _failures(report.failed), "warnings": [[r, m] for r, m in report.warnings[:SHOWN_FAILURES]],
        "warning_count": len(report.warnings), "numbers": {k: report.numbers.get(k, 0) for k in ("G", "J", "L")},
        "groups": report.groups_by_label, "classes_created": report.classes_created,
        "summary": [f"共{report.rows}行,建立学籍{report.created}条,未通过{len(report.failed)}行"],
    }


def run_collection(job, progress):
    """The load, noted on a :class:`CollectionRun` of this job; its last transaction also
    marks the job done, so a finished load is never taken back."""
    school = School.objects.get(pk=job.params["school"])
    filename = job.params.get("filename", "")
    run = collection.start_run(school, job.owner, filename, job=job)
    with job.input_file.open("rb") as handle:
        collection.collect(school, job.owner, handle, filename=filename,
                           create_classes=job.params.get("create_classes", True), progress=progress, run=run,
                           finish=lambda report: progress.finish(_collection_result(report)))


def undo_collection(job, reason: str) -> str:
    """What the job's load created is taken back exactly (:func:`collection.withdraw_run`):
    records, their problem groups, the classes it created; records that got a business
    or another reference meanwhile are kept and named."""
    notes = [collection.withdraw_run(run, reason) for run in CollectionRun.objects.filter(job=job).order_by("pk")]
    notes = [n for n in notes if n]
    return ";".join(notes) + ",请重新执行" if notes else ""


def collection_result_url(job) -> str:
    return reverse("registration:initial_collection") + f"?job={job.pk}"


# --- 学前调档名单导入 / 调档学生导出 ----------------------------------------------------------------

def submit_preschool_import(school: School, user, uploaded_file, request=None):
    preschool.check_actor(user, school)
    return start_job(PRESCHOOL_IMPORT_JOB, user=user, school=school, input_file=uploaded_file, request=request,
                     title=f"学前调档名单导入:{uploaded_file.name}"[:200],
                     params={"school": school.pk, "filename": uploaded_file.name[:200]})


def run_preschool_import(job, progress):
    school = School.objects.get(pk=job.params["school"])
    with job.input_file.open("rb") as handle:
        outcome = preschool.import_children(school, job.owner, handle, progress=progress,
                                            source_name=job.params.get("filename", ""), job=job)
    counts = outcome.counts
    return {
        "created": len(outcome.created), "failed_count": len(outcome.failed), "failures": _failures(outcome.failed),
        "counts": [[preschool.PreschoolStatus(k).label, v] for k, v in counts.items()],
        "summary": [f"导入成功{len(outcome.created)}人,未通过{len(outcome.failed)}行"],
    }


def undo_preschool_import(job, reason: str) -> str:
    removed = preschool.undo_import(job, reason)
    return f"已撤回本次导入的{removed}名学生,请重新执行" if removed else ""


def preschool_import_result_url(job) -> str:
    return reverse("registration:preschool_import") + f"?job={job.pk}"


def submit_preschool_export(requests: list[PreschoolRequest], user, request=None, *, second):
    """调档学生导出: refused now when the selection can't be exported; the workbook is
    written by the worker and downloaded from the job page. ``second``: the other account
    of the unit that verified the export (F-14), named in the job and its audit entries."""
    preschool.check_export(requests, user)
    school = requests[0].school
    return start_job(PRESCHOOL_EXPORT_JOB, user=user, school=school, request=request,
                     title=f"调档学生导出:{len(requests)}人",
                     params={"requests": [r.pk for r in requests], "second_username": second.username,
                             "second_name": second.real_name})


def run_preschool_export(job, progress):
    chosen = list(PreschoolRequest.objects.filter(pk__in=job.params["requests"]).select_related("school"))
    progress.set_total(len(chosen))
    with transaction.atomic():
        content, filename = preschool.export_workbook(
            chosen, job.owner, verified_by=(job.params.get("second_name", ""), job.params.get("second_username", "")))
        progress.attach_file(filename, content)
        progress.done = len(chosen)
        progress.finish({"summary": [f"已导出{len(chosen)}名学生:{filename}"]})


def register_kinds() -> None:
    registry.register(services.IMPORT_JOB, name="学籍注册Excel导入", run=run_import, on_failure=undo_import,
                      result_url=import_result_url, rerun=rerun_import)
    registry.register(COLLECTION_JOB, name="首次数据采集", run=run_collection, on_failure=undo_collection,
                      result_url=collection_result_url)
    registry.register(PRESCHOOL_IMPORT_JOB, name="学前调档名单导入", run=run_preschool_import,
                      on_failure=undo_preschool_import, result_url=preschool_import_result_url)
    registry.register(PRESCHOOL_EXPORT_JOB, name="调档学生导出", run=run_preschool_export)
