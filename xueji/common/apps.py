from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xueji.common"
    label = "common"
    verbose_name = "公共"

    def ready(self) -> None:
        from . import lookups

        lookups.install()
