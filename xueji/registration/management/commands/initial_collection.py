"""python manage.py initial_collection --school CODE --user USERNAME FILE

首次数据采集 (F-46) of FILE (the 72-item template, or a provincial export with the same
headers plus the optional 全国学籍号 and 学籍状态 columns) into the school CODE, as the
authority registrar USERNAME (the school's supervising authority or its province: the
same check as the page). Prints one JSON object:

    {"school": CODE, "file": NAME, "rows": N, "created": N, "failed": N,
     "errors": [{"row": R, "name": ..., "messages": [...]}],
     "warnings": [{"row": R, "message": ...}],
     "problem_groups": {"身份证件号重复": N, ...}, "numbers": {"G": N, "J": N, "L": N},
     "classes_created": ["2019101", ...]}

where R is the sheet's row number. ``--no-create-classes`` refuses rows whose 班号 the
school does not have instead of creating the class.

The load runs here, in the command's process (no background job). If it does not finish
— the file breaks off, an error, Ctrl-C — what its committed batches created is taken
back exactly as for the page's job (``collection.withdraw_run``) before the command exits
non-zero, saying what it took back.
"""

import json
import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from xueji.registration import collection

from ._arguments import school_user_file


class Command(BaseCommand):
    help = "首次数据采集:将72项模板或省级导出文件中的已有学籍一次性导入一所学校,输出JSON结果。"

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="学校标识码")
        parser.add_argument("--user", required=True, help="教育部门学籍管理员的用户名(学校主管部门或省级)")
        parser.add_argument("--no-create-classes", action="store_true",
                            help="班号在本校不存在的行不导入(默认自动建立班级)")
        parser.add_argument("file")

    def handle(self, *args, school, user, file, no_create_classes=False, **options):
        school_obj, user_obj, path = school_user_file(school, user, file)
        try:
            run = collection.start_run(school_obj, user_obj, path.name)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        try:
            report = collection.collect(school_obj, user_obj, path, filename=path.name,
                                        create_classes=not no_create_classes, run=run)
        except BaseException as error:  # noqa: BLE001 - every way out takes the load back
            if isinstance(error, PermissionDenied | ValidationError):
                reason = ";".join(getattr(error, "messages", None) or [str(error)])
            elif isinstance(error, KeyboardInterrupt):
                reason = "首次数据采集被中断"
            else:
                reason = "首次数据采集出错"
            note = collection.withdraw_run(run, reason)
            message = reason + (f";{note}" if note else "")
            if isinstance(error, PermissionDenied | ValidationError):
                raise CommandError(message) from error
            sys.stderr.write(message + "\n")
            raise
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
