"""python manage.py reverify_numbers [--user USERNAME] [--school CODE] [--limit N]

重新认证 (F-26): students holding a temporary L number with a resident ID are verified
again against the population registry; a verified one gets the official G number (the L
keeps resolving) and its 身份证件号错误 problem group is resolved. With ``--user`` (an
authority or school registrar) only the students in that user's data scope, and the run
is audited under that user; ``--school`` narrows to one school. Without ``--user``: every
student (cron), audited without an actor.
"""

from django.core.management.base import BaseCommand, CommandError

from xueji.accounts.models import Role, User
from xueji.org.models import School
from xueji.org.selectors import schools_for
from xueji.registration.services import reverify_temporary_numbers
from xueji.students.models import Student
from xueji.students.selectors import students_for


class Command(BaseCommand):
    help = "重新认证临时学籍号学生:认证通过的转为正式学籍号(G字头),原临时学籍号仍可查询。"

    def add_arguments(self, parser):
        parser.add_argument("--user", help="以该用户的数据范围运行(教育部门或学校学籍管理员的用户名)")
        parser.add_argument("--school", help="只处理该学校(学校标识码)")
        parser.add_argument("--limit", type=int, default=None, help="最多处理的学生数")

    def handle(self, *args, user=None, school=None, limit=None, **options):
        actor = None
        students = Student.objects.all()
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户{user}不存在")
            if actor.role not in (Role.SCHOOL_REGISTRAR, Role.AUTHORITY_REGISTRAR):
                raise CommandError("重新认证只能由学籍管理员办理")
            students = students_for(actor)
        if school:
            school_obj = School.objects.filter(code=school).first()
            if school_obj is None:
                raise CommandError(f"学校标识码{school}不存在")
            if actor is not None and not schools_for(actor).filter(pk=school_obj.pk).exists():
                raise CommandError("该学校不在您的数据范围内")
            students = students.filter(school=school_obj)
        result = reverify_temporary_numbers(students, actor=actor, limit=limit)
        for message in result.messages:
            (self.stderr if result.unreachable else self.stdout).write(message)
        if result.unreachable:
            raise CommandError("人口信息库暂时无法访问")
