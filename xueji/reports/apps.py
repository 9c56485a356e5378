from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """综合查询 and 统计报表: 在校生查询, 学生信息查询, exports (SPEC F-80 … F-82)."""

    name = "xueji.reports"
    label = "reports"
    verbose_name = "综合查询"
