"""python manage.py registration_import --entry ENTRY --school CODE --user USERNAME FILE

Runs the same import as the web page (学籍注册 → Excel导入) and prints one JSON object:
{"upload": id, "rows": N, "passed": N, "failed": N, "errors": [{"row": R, "messages": [...]}]}
where R is the sheet's row number.
"""

import json

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

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
        upload = services.process_upload(upload)
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
