from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "xueji.common"
    label = "common"
    verbose_name = "公共"
