from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xueji.accounts"
    label = "accounts"
    verbose_name = "账号与安全"

    def ready(self) -> None:
        from . import signals  # noqa: F401
