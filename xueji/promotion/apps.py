from django.apps import AppConfig

#: Audit actions of 升级 (their Chinese names in the audit log).
ACTION_LABELS = {
    "promotion.moment_set": "设置升级时间",
    "promotion.started": "开始升级",
    "promotion.schools": "学校升级",
    "promotion.finished": "升级完成",
}
FIELD_LABELS = {
    "month": "月", "day": "日", "hour": "时", "minute": "分", "school_year": "升级学年", "moved": "升级人数",
    "blocked": "未升级学校数", "schools": "学校数", "promoted": "已升级学校", "blocked_schools": "未升级学校",
    "grades": "年级", "blockers": "未毕业的毕业年级",
}


class PromotionConfig(AppConfig):
    """升级 (F-62): the promotion moment per province, the set-based promotion as a
    resumable background job, and its report per school."""

    name = "xueji.promotion"
    label = "promotion"
    verbose_name = "升级"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules
        from xueji.jobs import registry

        from . import services

        for code, label in ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
        audit_rules.ACTION_AREAS.setdefault("promotion", "毕业升级")
        audit_rules.register_field_labels(FIELD_LABELS)
        registry.register(services.JOB_KIND, name="升级", run=services.run_job, on_failure=services.on_failure,
                          result_url=services.result_url)
