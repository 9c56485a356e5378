from django.apps import AppConfig

ACTION_LABELS = {
    "jobs.started": "提交后台任务",
    "jobs.finished": "后台任务完成",
    "jobs.failed": "后台任务失败",
    "jobs.cancelled": "取消后台任务",
    "jobs.rerun": "重新执行后台任务",
}


class JobsConfig(AppConfig):
    name = "xueji.jobs"
    label = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        from xueji.audit import rules

        for code, label in ACTION_LABELS.items():
            rules.ACTION_LABELS.setdefault(code, label)
        rules.ACTION_AREAS.setdefault("jobs", "后台任务")
