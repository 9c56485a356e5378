"""python manage.py registration_import --entry ENTRY --school CODE --user USERNAME FILE

Runs the same import as the web page (学籍注册 → Excel导入) and prints one JSON object:
{"upload": id, "rows": N, "passed": N, "failed": N, "errors": [{"row": R, "messages": [...]}]}
where R is the sheet's row number.

The import runs here, in the command's process (no background job). If it does not
finish — an error, Ctrl-C — every batch it committed is withdrawn as for the page's job
(``services.undo_unfinished_upload``) and the upload is marked 导入失败 before the command
exits non-zero.
"""

import json
import sys

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from xueji.registration import services
from xueji.registration.models import UploadStatus

from ._arguments import school_user_file


class Command(BaseCommand):
    help = "导入学籍注册Excel(与网页导入相同的流程),输出JSON结果。"

    def add_arguments(self, parser):
        parser.add_argument("--entry", required=True, choices=sorted(services.EXCEL_ENTRIES))
        parser.add_argument("--school", required=True, help="学校标识码")
        parser.add_argument("--user", required=True, help="本校学籍管理员的用户名")
        parser.add_argument("file")

    def handle(self, *args, entry, school, user, file, **options):
        school_obj, user_obj, path = school_user_file(school, user, file)
        with path.open("rb") as handle:
            try:
                upload = services.start_upload(school_obj, entry, user_obj, File(handle, name=path.name))
            except Exception as error:  # PermissionDenied, ValidationError
                raise CommandError(str(error)) from error
        try:
            upload = services.process_upload(upload)
        except BaseException as error:  # noqa: BLE001 - every way out withdraws the import
            if isinstance(error, KeyboardInterrupt):
                reason = "导入被中断"
            elif getattr(error, "messages", None):
                reason = ";".join(error.messages)
            else:
                reason = "导入出错"
            with transaction.atomic():
                undone = services.undo_unfinished_upload(upload, reason)
            message = f"{reason},本次导入已撤回" + (f"(撤回{undone}条注册申请)" if undone else "")
            if getattr(error, "messages", None):
                raise CommandError(message) from error
            sys.stderr.write(message + "\n")
            raise
        result = {
            "upload": upload.pk,
            "rows": upload.total_rows,
            "passed": upload.passed_rows,
            "failed": upload.failed_rows,
            "errors": [{"row": e.row, "messages": e.messages} for e in upload.row_errors.order_by("row")],
        }
        if upload.status == UploadStatus.FAILED:
            result["error"] = upload.message
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if upload.status == UploadStatus.FAILED:
            raise CommandError(upload.message)
