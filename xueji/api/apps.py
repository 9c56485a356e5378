from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xueji.api"
    label = "api"
    verbose_name = "接口"
