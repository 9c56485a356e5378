"""后台任务: one row per piece of long work (an import, a collection, an export …) that
runs in the task worker while the page shows its progress.

The work itself is queued through Django's tasks API (``django-tasks``): one generic task
``xueji.jobs.tasks.run_job`` takes the job's id. What the job does is its *kind*,
registered by the feature app (:mod:`xueji.jobs.registry`)."""

from __future__ import annotations

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


#: States a job does not leave.
FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(models.Model):
    """后台任务: who started what, for which unit, how far it got and how it ended."""

    kind = models.CharField("任务类型", max_length=60)
    owner = models.ForeignKey("accounts.User", verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("org.School", verbose_name="学校", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    authority = models.ForeignKey("org.Authority", verbose_name="教育行政部门", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    title = models.CharField("任务名称", max_length=200)
    status = models.CharField("状态", max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField("参数", default=dict, blank=True)
    input_file = models.FileField("输入文件", upload_to="jobs/in/%Y/%m/", blank=True)
    output_file = models.FileField("结果文件", upload_to="jobs/out/%Y/%m/", blank=True)
    output_name = models.CharField("结果文件名", max_length=200, blank=True)
    total = models.PositiveIntegerField("总数", null=True, blank=True)
    done = models.PositiveIntegerField("已处理", default=0)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    worker_host = models.CharField("执行主机", max_length=100, blank=True)
    worker_pid = models.PositiveIntegerField("执行进程号", null=True, blank=True)
    cancel_requested = models.BooleanField("已请求取消", default=False)
    message = models.CharField("说明", max_length=500, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    result_url = models.CharField("结果页面", max_length=300, blank=True)
    task_id = models.CharField("队列任务标识", max_length=64, blank=True)
    rerun_of = models.ForeignKey("self", verbose_name="重新执行自", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reruns")

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="jobs_status_heartbeat"),
            models.Index(fields=["owner", "created_at"], name="jobs_owner_created"),
        ]

    def __str__(self) -> str:
        return f"{self.title}({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
