from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "xueji.problems"
    label = "problems"
    verbose_name = "问题学籍"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules

        from . import jobs

        jobs.register_kinds()  # the lists' Excel export (problems/jobs.py)
        audit_rules.ACTION_LABELS.setdefault("problems.exported", "问题学籍导出Excel")
        audit_rules.ACTION_LABELS.setdefault("problems.reminders_read", "问题学籍催办标记已读")

        from . import handling

        # 问题学籍 变更/佐证/删除 (F-51, F-52): their effects, content and reviewer facts on the engine's types
        handling.register()
        for code, label in handling.ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
        audit_rules.ACTION_AREAS.setdefault("problems", "问题学籍")
        audit_rules.register_field_labels(handling.FIELD_LABELS)
