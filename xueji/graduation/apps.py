from django.apps import AppConfig

#: Audit actions of 毕业 (their Chinese names in the audit log).
ACTION_LABELS = {
    "graduation.destination_set": "维护毕业去向",
    "graduation.destinations_imported": "导入毕业去向",
    "graduation.returned": "毕业生退回",
    "graduation.admission_export": "导出招生Excel",
    "graduation.destinations_exported": "导出毕业去向模板",
    "graduation.settings_saved": "毕业设置",
}


class GraduationConfig(AppConfig):
    """毕业升级: 毕业, 往届生毕业, 毕业生信息维护, 毕业生退回 (SPEC F-60, F-61)."""

    name = "xueji.graduation"
    label = "graduation"
    verbose_name = "毕业"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules

        from . import services

        services.register()
        for code, label in ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
