"""python manage.py initial_collection --school CODE --user USERNAME FILE

首次数据采集 (F-46) of FILE (the 72-item template, or a provincial export with the same
headers plus the optional 全国学籍号 and 学籍状态 columns) into the school CODE, as the
authority registrar USERNAME (the school's supervising authority or its province: the
same check as the page). Prints one JSON object:

    {"school": CODE, "file": NAME, "rows": N, "created": N, "failed": N,
     "errors": [{"row": R, "name": ..., "messages": [...]}],
     "warnings": [{"row": R, "message": ...}],
     "problem_groups": {"身份证件号重复": N, ...}, "numbers": {"G": N, "J": N, "L": N},
     "classes_created": ["2019101", ...], "run": ID}

where R is the sheet's row number and ID the load's record (采集记录). ``--no-create-classes``
refuses rows whose 班号 the school does not have instead of creating the class.

The load runs here, in the command's process (no background job). If it does not finish
— the file breaks off, an error, Ctrl-C — what its committed batches created is taken
back exactly as for the page's job (``collection.withdraw_run``) before the command exits
non-zero, saying what it took back. A command killed outright (SIGKILL) cannot do that:
its record stays 进行中 and ``--withdraw ID --user USERNAME`` takes it back.
"""

import json
import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from xueji.accounts.models import User
from xueji.registration import collection
from xueji.registration.models import CollectionRun, CollectionStatus

from ._arguments import school_user_file


class Command(BaseCommand):
    help = "首次数据采集:将72项模板或省级导出文件中的已有学籍一次性导入一所学校,输出JSON结果。"

    def add_arguments(self, parser):
        parser.add_argument("--school", help="学校标识码")
        parser.add_argument("--user", required=True, help="教育部门学籍管理员的用户名(学校主管部门或省级)")
        parser.add_argument("--no-create-classes", action="store_true",
                            help="班号在本校不存在的行不导入(默认自动建立班级)")
        parser.add_argument("--withdraw", type=int, metavar="ID",
                            help="撤回一次未完成(进行中)的采集:采集记录号,见采集出错时的提示")
        parser.add_argument("file", nargs="?")

    def handle(self, *args, school=None, user, file=None, no_create_classes=False, withdraw=None, **options):
        if withdraw is not None:
            return self._withdraw(withdraw, user)
        if not school or not file:
            raise CommandError("请给出 --school 学校标识码 和 文件")
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
        self.stdout.write(json.dumps({**report.as_dict(), "run": run.pk}, ensure_ascii=False))

    def _withdraw(self, pk: int, username: str) -> None:
        user = User.objects.filter(username=username).first()
        run = CollectionRun.objects.select_related("school").filter(pk=pk).first()
        if user is None:
            raise CommandError(f"用户{username}不存在")
        if run is None:
            raise CommandError(f"采集记录{pk}不存在")
        try:
            collection.check_collector(user, run.school)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        if run.status != CollectionStatus.RUNNING:
            raise CommandError(f"采集记录{pk}的状态为{run.get_status_display()},只能撤回进行中的采集")
        if run.job_id is not None:
            raise CommandError("该采集由后台任务执行,中断后由后台任务撤回,请在任务页查看")
        note = collection.withdraw_run(run, "命令行撤回未完成的采集", actor=user)
        self.stdout.write(json.dumps({"run": pk, "withdrawn": note or "没有需要撤回的学籍"}, ensure_ascii=False))
