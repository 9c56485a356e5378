from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xueji.accounts"
    label = "accounts"
    verbose_name = "账号与安全"

    def ready(self) -> None:
        from xueji.audit import rules

        from . import signals  # noqa: F401

        rules.register_field_labels({"second_username": "第二账号", "second_name": "第二账号姓名",
                                     "username": "用户名", "unit": "单位"})
