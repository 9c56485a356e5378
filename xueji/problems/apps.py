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
        audit_rules.ACTION_AREAS.setdefault("problems", "问题学籍")
