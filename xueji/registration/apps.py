from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "xueji.registration"
    label = "registration"
    verbose_name = "学籍注册"

    def ready(self) -> None:
        from xueji.workflow.registry import set_handlers

        from . import services

        for code in services.ENTRY_BUSINESS.values():
            set_handlers(code, on_complete=services.complete_registration, on_end=services.end_registration)
