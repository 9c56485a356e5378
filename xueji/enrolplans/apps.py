from django.apps import AppConfig


class EnrolplansConfig(AppConfig):
    """招生计划数 and 招生计划数变更核办 (SPEC F-63)."""

    name = "xueji.enrolplans"
    label = "enrolplans"
    verbose_name = "招生计划数"

    def ready(self) -> None:
        from . import services

        services.register()
