from django.apps import AppConfig

ACTION_LABELS = {
    "reports.exported": "综合查询导出Excel",
    "reports.photos_exported": "综合查询导出照片",
}
ACTION_AREAS = {"reports": "综合查询"}
FIELD_LABELS = {
    "count": "人数", "columns": "信息项", "query": "查询条件", "missing": "缺失照片数",
    "second_username": "第二账号", "second_name": "第二账号姓名",
}


class ReportsConfig(AppConfig):
    """综合查询 and 统计报表: 在校生查询, 学生信息查询, exports (SPEC F-80 … F-82)."""

    name = "xueji.reports"
    label = "reports"
    verbose_name = "综合查询"

    def ready(self) -> None:
        from xueji.audit import rules

        from . import jobs

        jobs.register_kinds()
        for code, label in ACTION_LABELS.items():
            rules.ACTION_LABELS.setdefault(code, label)
        for code, label in ACTION_AREAS.items():
            rules.ACTION_AREAS.setdefault(code, label)
        rules.register_field_labels(FIELD_LABELS)
