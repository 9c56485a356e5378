"""招生入学 data (F-63 import settings, F-64 admission): who imports the admission result
list of a stage (:class:`ImportSetting`), one admission result row per graduate and
admitting school (:class:`AdmissionResult`, its state from 待录取 to 已分班) and the
duplicates (:class:`DuplicateAdmission`: one graduate admitted by more than one school
in the same year and stage; F-65 resolves them). The record itself is written by
``students.services`` only; these rows are the admission's own facts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ImportLevel(models.TextChoices):
    """招生结果导入单位级别."""

    PROVINCE = "1", "省级"
    CITY = "2", "地市"
    COUNTY = "3", "区县"
    SCHOOL = "4", "学校"


class AdmissionStage(models.TextChoices):
    """The stages one is admitted into (小学 is 新生注册, not admission)."""

    JUNIOR = "2", "初中"
    SENIOR = "3", "高中"


class ImportSetting(models.Model):
    """招生结果导入设置 of one authority for one stage: the level that imports (``level``)
    and whether the authorities below may set their own (``delegate``, 下放). Set from the
    province down; a county's setting never delegates (区县级用户不需选择)."""

    authority = models.ForeignKey("org.Authority", verbose_name="设置单位", on_delete=models.CASCADE,
                                  related_name="admission_import_settings")
    stage = models.CharField("教育阶段", max_length=1, choices=AdmissionStage.choices)
    level = models.CharField("导入单位级别", max_length=1, choices=ImportLevel.choices)
    delegate = models.BooleanField("是否下放", default=False)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by_name = models.CharField("修改人", max_length=50, blank=True)

    class Meta:
        verbose_name = "招生结果导入设置"
        verbose_name_plural = "招生结果导入设置"
        constraints = [
            models.UniqueConstraint(fields=["authority", "stage"], name="admission_import_setting_once"),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}:{self.stage}:{self.level}{'+' if self.delegate else ''}"


class Source(models.TextChoices):
    """Where a result row came from."""

    IMPORT = "import", "Excel导入"
    HAND = "hand", "手工录入"
    API = "api", "接口导入"
    SCHOOL = "school", "学校录取(名单外)"


class State(models.TextChoices):
    """招生结果的状态 (docs/ADMISSION.md)."""

    WAITING = "waiting", "待录取"
    REVIEWING = "reviewing", "已录取(审核中)"
    APPROVED = "approved", "待调档"
    RETRIEVED = "retrieved", "已调档(待分班)"
    PLACED = "placed", "已分班"
    REFUSED = "refused", "审核未通过"
    WITHDRAWN = "withdrawn", "已撤销"


#: States of a row still alive (not refused, not withdrawn).
LIVE_STATES = (State.WAITING, State.REVIEWING, State.APPROVED, State.RETRIEVED, State.PLACED)
#: States in which a row counts as "admitted by the school" (for the duplicate check).
ADMITTED_STATES = (State.REVIEWING, State.APPROVED, State.RETRIEVED, State.PLACED)


class DuplicateAdmission(models.Model):
    """重复招生: a graduate admitted by more than one school in the same year and stage.
    Its members are the AdmissionResult rows pointing here (``duplicate_group``); while it
    is unresolved every member is held (no 调档). Resolved by
    ``services.confirm_admission`` (at most one passes) / ``services.withdraw_admission``."""

    student = models.ForeignKey("students.Student", verbose_name="学生", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("招生年度")
    stage = models.CharField("教育阶段", max_length=1, choices=AdmissionStage.choices)
    resolved = models.BooleanField("已处理", default=False)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by_name = models.CharField("处理人", max_length=50, blank=True)
    kept = models.ForeignKey("AdmissionResult", verbose_name="保留的录取", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    note = models.CharField("处理说明", max_length=200, blank=True)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "重复招生"
        verbose_name_plural = "重复招生"
        constraints = [
            models.UniqueConstraint(fields=["student", "year", "stage"], condition=Q(resolved=False),
                                    name="duplicate_admission_open_once"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}:{self.year}:{self.stage}"


class AdmissionResult(models.Model):
    """招生结果: one graduate (``student``, their Graduate row) to be admitted by one school
    into a stage in a year — imported (Excel / API), entered by hand, or admitted by the
    school directly (名单外). Its state climbs 待录取 → 已录取(审核中) → 待调档 → 已调档 →
    已分班, or ends 审核未通过 / 已撤销. ``business`` is the engine's review business of
    its admission; ``duplicate`` marks a row held by an unresolved DuplicateAdmission."""

    year = models.PositiveSmallIntegerField("招生年度")
    stage = models.CharField("教育阶段", max_length=1, choices=AdmissionStage.choices)
    # The record, the admitting school (the row's owner) and the review business keep their
    # database constraints; the other references are copies the services take, in the same
    # transaction, from rows they have just read and checked (the graduate row and its school,
    # the running job, the importing user's unit, the grade and class the record is put in),
    # so they have none (DECISIONS 194, 199): each would cost a check per row at COMMIT.
    # Deleting what they point at still goes through the ORM's PROTECT / SET_NULL.
    student = models.ForeignKey("students.Student", verbose_name="学生", on_delete=models.PROTECT,
                                related_name="admissions", db_index=False)
    graduate = models.ForeignKey("graduation.Graduate", verbose_name="毕业生记录", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    given_name = models.CharField("姓名(导入)", max_length=50)
    graduating_school = models.ForeignKey("org.School", verbose_name="毕业学校", on_delete=models.PROTECT,
                                          related_name="+", db_index=False, db_constraint=False)
    admitting_school = models.ForeignKey("org.School", verbose_name="录取学校", on_delete=models.PROTECT,
                                         related_name="admission_results", db_index=False)
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    job = models.ForeignKey("jobs.Job", verbose_name="导入任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", db_index=False, db_constraint=False)
    imported_by_school = models.ForeignKey("org.School", verbose_name="导入学校", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+", db_index=False,
                                           db_constraint=False)
    imported_by_authority = models.ForeignKey("org.Authority", verbose_name="导入单位", null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+", db_index=False,
                                              db_constraint=False)
    imported_by_name = models.CharField("导入人", max_length=50, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.WAITING)
    business = models.ForeignKey("workflow.Business", verbose_name="录取审核业务", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", db_index=False)
    #: The graduating school's authority reviews too (compulsory education across counties,
    #: high school across cities).
    cross_review = models.BooleanField("需毕业学校主管部门审核", default=False)
    duplicate = models.BooleanField("重复招生", default=False)
    duplicate_group = models.ForeignKey(DuplicateAdmission, verbose_name="重复招生", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="members", db_index=False)
    grade = models.ForeignKey("org.Grade", verbose_name="录取年级", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False, db_constraint=False)
    klass = models.ForeignKey("org.SchoolClass", verbose_name="班级", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    admitted_at = models.DateTimeField("录取时间", null=True, blank=True)
    admitted_by_name = models.CharField("录取人", max_length=50, blank=True)
    retrieved_at = models.DateTimeField("调档时间", null=True, blank=True)
    placed_at = models.DateTimeField("分班时间", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "招生结果"
        verbose_name_plural = "招生结果"
        indexes = [
            models.Index(fields=["student", "year", "stage"], name="admission_student_year_stage"),
            models.Index(fields=["admitting_school", "state"], name="admission_school_state"),
            models.Index(fields=["graduating_school", "year"], name="admission_graduating_year"),
            models.Index(fields=["updated_at"], name="admission_updated"),
            models.Index(fields=["duplicate_group"], name="admission_duplicate_group",
                         condition=Q(duplicate=True)),
            # The other foreign keys: an index only over the rows that have one (decision 177) —
            # a row's every UPDATE (录取, 审核, 调档 each touch state and updated_at, so none is
            # HOT) writes an entry into every index whose condition it meets.
            # (student, admitting_school and graduating_school lead the indexes above.) ``graduate``
            # and ``job`` have none (DECISIONS 198): no query looks rows up by them, and neither a
            # Graduate nor a Job is ever deleted (nothing for the database to look up either);
            # nor has ``imported_by_authority`` (DECISIONS 200): authorities are never deleted.
            *[models.Index(fields=[f], name=f"admission_{name}", condition=Q(**{f"{f}__isnull": False}))
              for f, name in (("imported_by_school", "by_school"), ("business", "business"),
                              ("duplicate_group", "group"), ("grade", "grade"), ("klass", "klass"))],
        ]
        constraints = [
            models.UniqueConstraint(fields=["student", "year", "stage", "admitting_school"],
                                    condition=Q(state__in=[s.value for s in LIVE_STATES]),
                                    name="admission_live_once_per_school"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}→{self.admitting_school_id}:{self.year}:{self.stage}:{self.state}"

    @property
    def held(self) -> bool:
        """Held by an unresolved duplicate: no 调档."""
        return self.duplicate
