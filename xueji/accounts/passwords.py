"""Password policy validators (SPEC F-12), used by Django's password validation."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from .rules import character_classes

#: How many earlier passwords may not be reused.
HISTORY_DEPTH = 5


class CharacterClassValidator:
    """At least three of: upper-case, lower-case, digit, other character."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字和特殊字符中的至少%(n)d类。",
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字和特殊字符中的至少{self.min_classes}类。"


class NotReusedValidator:
    """Not the current password nor one of the last few."""

    def validate(self, password: str, user=None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        hashes = [user.password] + list(
            user.password_history.values_list("password", flat=True)[:HISTORY_DEPTH]
        )
        if any(h and check_password(password, h) for h in hashes):
            raise ValidationError(
                "新密码不能与最近%(n)d次使用过的密码相同。",
                code="password_reused",
                params={"n": HISTORY_DEPTH},
            )

    def get_help_text(self) -> str:
        return f"新密码不能与最近{HISTORY_DEPTH}次使用过的密码相同。"
