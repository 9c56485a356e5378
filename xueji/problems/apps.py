from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "xueji.problems"
    label = "problems"
    verbose_name = "问题学籍"
