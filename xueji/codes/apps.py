from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "xueji.codes"
    label = "codes"
    verbose_name = "代码表"
