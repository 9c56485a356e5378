"""学籍注册: the six entries, uploads and their row errors, pending registrations with
their 查重认证 state, 学前调档 lists, entry-age settings, and the local simulated
registries the adapters answer from."""

from __future__ import annotations

from django.db import models


class Entry(models.TextChoices):
    """The six entries of 学籍注册 (SPEC F-40)."""

    PRIMARY_RESIDENT = "primary-resident", "居民身份证小学新生注册"
    PRIMARY_FOREIGN = "primary-foreign", "港澳台和外籍小学新生注册"
    PRIMARY_NO_ID = "primary-no-id", "无身份证件小学新生注册"
    OTHER_RESIDENT = "other-resident", "居民身份证非小学新生注册"
    OTHER_FOREIGN = "other-foreign", "港澳台和外籍非小学新生注册"
    OTHER_NO_ID = "other-no-id", "无身份证件非小学新生注册"


class UploadStatus(models.TextChoices):
    PROCESSING = "processing", "处理中"
    DONE = "done", "已完成"
    FAILED = "failed", "导入失败"


class Upload(models.Model):
    """导入记录: one uploaded registration sheet and its outcome."""

    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="registration_uploads")
    entry = models.CharField("注册类型", max_length=20, choices=Entry.choices)
    user = models.ForeignKey("accounts.User", verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    file = models.FileField("文件", upload_to="registration/%Y/%m/")
    filename = models.CharField("导入Excel名称", max_length=200)
    status = models.CharField("状态", max_length=12, choices=UploadStatus.choices, default=UploadStatus.PROCESSING)
    message = models.CharField("说明", max_length=300, blank=True)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    passed_rows = models.PositiveIntegerField("通过行数", default=0)
    failed_rows = models.PositiveIntegerField("未通过行数", default=0)
    uploaded_at = models.DateTimeField("导入时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename}({self.get_entry_display()})"


class RowError(models.Model):
    """A failing row of an upload, with every reason."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField("行号")
    name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)
    messages = models.JSONField("错误原因", default=list)
    #: The row as it was read ({header: cell text}), for 导出未通过行.
    raw = models.JSONField("原始数据", default=dict, blank=True)

    class Meta:
        verbose_name = "导入错误行"
        verbose_name_plural = "导入错误行"
        ordering = ["upload", "row"]

    def __str__(self) -> str:
        return f"{self.row}: {';'.join(self.messages)}"


class DedupStatus(models.TextChoices):
    PENDING = "pending", "未查重认证"
    PASSED = "passed", "查重通过"
    DUPLICATE = "duplicate", "查重不通过"


class VerifyStatus(models.TextChoices):
    PENDING = "pending", "未认证"
    PASSED = "passed", "认证通过"
    FAILED = "failed", "认证不通过"
    NOT_APPLICABLE = "na", "无需认证"


class Registration(models.Model):
    """A pending registration: the business that, when its chain passes, creates the
    record. The row's cleaned data lives in the business payload; the columns here are
    what lists, 查重 and reviewers need."""

    business = models.OneToOneField("workflow.Business", on_delete=models.CASCADE, related_name="registration")
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="registrations",
                               db_index=False)  # first column of registration_school_entry
    entry = models.CharField("注册类型", max_length=20, choices=Entry.choices)
    upload = models.ForeignKey(Upload, verbose_name="导入记录", null=True, blank=True, on_delete=models.SET_NULL, related_name="registrations")
    row = models.PositiveIntegerField("行号", null=True, blank=True)
    klass = models.ForeignKey("org.SchoolClass", verbose_name="班级", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)
    dedup_status = models.CharField("查重状态", max_length=10, choices=DedupStatus.choices, default=DedupStatus.PENDING)
    verify_status = models.CharField("认证状态", max_length=10, choices=VerifyStatus.choices, default=VerifyStatus.PENDING)
    verify_note = models.CharField("认证说明", max_length=200, blank=True)
    similar = models.JSONField("姓名性别出生日期相同的学籍", default=list, blank=True)
    student = models.OneToOneField("students.Student", verbose_name="学籍", null=True, blank=True, on_delete=models.SET_NULL, related_name="registration")
    created_at = models.DateTimeField("录入日期", auto_now_add=True)

    class Meta:
        verbose_name = "注册申请"
        verbose_name_plural = "注册申请"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["school", "entry"], name="registration_school_entry"),
            models.Index(fields=["name", "gender", "birth_date"], name="registration_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.get_entry_display()})"


class EntryAgeRule(models.Model):
    """入学年龄: a province's window for first-grade entry (default: six full years old by
    31 August of the entry year)."""

    authority = models.OneToOneField("org.Authority", verbose_name="省级教育行政部门", on_delete=models.CASCADE, related_name="entry_age_rule")
    min_age = models.PositiveSmallIntegerField("最小年龄(周岁)", default=6)
    max_age = models.PositiveSmallIntegerField("最大年龄(周岁)", null=True, blank=True)
    cutoff_month = models.PositiveSmallIntegerField("截止月", default=8)
    cutoff_day = models.PositiveSmallIntegerField("截止日", default=31)

    class Meta:
        verbose_name = "入学年龄设置"
        verbose_name_plural = "入学年龄设置"

    def __str__(self) -> str:
        return f"{self.authority}: {self.min_age}周岁({self.cutoff_month}月{self.cutoff_day}日前)"


class PreschoolStatus(models.TextChoices):
    MATCHED = "matched", "已匹配学前学籍"
    NOT_FOUND = "not_found", "未查到学前学籍"
    TO_CONFIRM = "to_confirm", "待确认学前学籍"


class PreschoolRequest(models.Model):
    """学前调档名单: a child the school asked the preschool registry about."""

    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="preschool_requests")
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)
    status = models.CharField("处理状态", max_length=12, choices=PreschoolStatus.choices)
    matches = models.JSONField("学前学籍", default=list, blank=True)
    chosen = models.JSONField("确认的学前学籍", null=True, blank=True)
    supplement_done = models.BooleanField("是否完成补录", default=False)
    registration = models.OneToOneField(Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="preschool_request")
    source_name = models.CharField("导入Excel名称", max_length=200, blank=True)
    #: The import job that added the request (none for one entered by the form): an
    #: import that does not finish removes exactly its own.
    job = models.ForeignKey("jobs.Job", verbose_name="导入任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入日期", auto_now_add=True)

    class Meta:
        verbose_name = "学前调档名单"
        verbose_name_plural = "学前调档名单"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "id_number"], condition=models.Q(id_type="1"),
                name="preschool_request_id_unique_in_school",
                violation_error_message="身份证号已经录入,不允许重复录入",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SimulatedResident(models.Model):
    """The local simulated population registry (模拟人口信息库): people it knows by name
    (another name is 姓名与人口信息库不一致) and, marked ``not_found``, numbers it answers
    as unknown. Numbers it does not hold verify when well-formed (adapters)."""

    id_number = models.CharField("身份证件号", max_length=18, primary_key=True)
    name = models.CharField("姓名", max_length=50, blank=True)
    not_found = models.BooleanField("模拟查无此人", default=False,
                                    help_text="认证时答复“人口信息库中无此身份证件号”")

    class Meta:
        verbose_name = "模拟人口信息"
        verbose_name_plural = "模拟人口信息"

    def __str__(self) -> str:
        return self.name


class SimulatedPreschoolRecord(models.Model):
    """The local simulated preschool registry (模拟幼儿园学籍)."""

    ref = models.CharField("学前学籍号", max_length=30, primary_key=True)
    name = models.CharField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1)
    id_number = models.CharField("身份证件号", max_length=30, blank=True, db_index=True)
    kindergarten = models.CharField("幼儿园", max_length=100)
    data = models.JSONField("其他信息", default=dict, blank=True)

    class Meta:
        verbose_name = "模拟幼儿园学籍"
        verbose_name_plural = "模拟幼儿园学籍"

    def __str__(self) -> str:
        return self.name


class CollectionStatus(models.TextChoices):
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    WITHDRAWN = "withdrawn", "已撤回"


class CollectionRun(models.Model):
    """一次首次数据采集: who loaded which file into which school, from the page (its job)
    or the command, and how it ended. What each committed batch created is a
    :class:`CollectionBatch` of it, so a run that does not finish is withdrawn exactly."""

    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("accounts.User", verbose_name="采集人", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey("jobs.Job", verbose_name="后台任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    filename = models.CharField("文件名", max_length=200, blank=True)
    status = models.CharField("状态", max_length=12, choices=CollectionStatus.choices, default=CollectionStatus.RUNNING)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    message = models.CharField("说明", max_length=500, blank=True)
    #: Records kept when the run was withdrawn: [[student id, number, name, why], …].
    kept = models.JSONField("撤回时保留的学籍", default=list, blank=True)

    class Meta:
        verbose_name = "首次数据采集记录"
        verbose_name_plural = "首次数据采集记录"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.filename}({self.get_status_display()})"


class CollectionBatch(models.Model):
    """What one committed batch of a :class:`CollectionRun` created (written in the
    batch's own transaction, one row per batch): the records, the problem groups opened
    and every membership written, the classes and grades created. Deleted when the run
    finishes (nothing left to take back) or is withdrawn (taken back)."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="batches")
    first_row = models.PositiveIntegerField("首行")
    last_row = models.PositiveIntegerField("末行")
    students = models.JSONField("建立的学籍", default=list)
    groups = models.JSONField("产生的问题学籍", default=list, blank=True)
    members = models.JSONField("问题学籍成员", default=list, blank=True)
    classes = models.JSONField("新建班级", default=list, blank=True)
    grades = models.JSONField("新建年级", default=list, blank=True)

    class Meta:
        verbose_name = "首次数据采集批次"
        verbose_name_plural = "首次数据采集批次"
        ordering = ["run", "first_row"]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.first_row}-{self.last_row}"
