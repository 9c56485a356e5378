from django.apps import AppConfig


class DupAdmissionConfig(AppConfig):
    name = "xueji.dupadmission"
    label = "dupadmission"
    verbose_name = "重复招生"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules

        from . import services

        # 重复招生佐证核办: the engine's business type, its effect and reviewer facts
        services.register()
        for code, label in services.ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
        audit_rules.ACTION_AREAS.setdefault("dupadmission", "重复招生")
