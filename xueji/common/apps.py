from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xueji.common"
    label = "common"
    verbose_name = "公共"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import lookups, pgtypes

        lookups.install()
        connection_created.connect(pgtypes.install, dispatch_uid="xueji.common.pgtypes")
