"""What the import commands share: the school, the user and the file named on the
command line, looked up or refused with a message (not a command itself: the leading
underscore keeps Django from listing it)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from xueji.accounts.models import User
from xueji.org.models import School


def school_user_file(school: str, user: str, file: str) -> tuple[School, User, Path]:
    school_obj = School.objects.filter(code=school).first()
    if school_obj is None:
        raise CommandError(f"学校标识码{school}不存在")
    user_obj = User.objects.filter(username=user).first()
    if user_obj is None:
        raise CommandError(f"用户{user}不存在")
    path = Path(file)
    if not path.is_file():
        raise CommandError(f"文件{file}不存在")
    return school_obj, user_obj, path
