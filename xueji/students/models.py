"""The student record (学籍): one person, one record, for life (一人一籍、终身不变).

Which fields are key data (关键数据) and which columns of the 72-item template map to
which field is defined once, in ``fields.py``; the rules in ``rules.py``. This module
holds data and the constraints the database enforces: national student numbers are
unique and never reused, and an identity (resident ID, or document type + number) is
claimed by at most one record or pending registration nationwide.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    """学籍状态 (SPEC F-27)."""

    IN_SCHOOL = "10", "在校"
    SUSPENDED = "11", "休学"
    TRANSFERRING_OUT = "12", "转出"
    GRADUATED = "20", "毕业"
    COMPLETED = "21", "结业"
    INCOMPLETE = "22", "肄业"
    DROPPED_OUT = "30", "辍学"
    DECEASED = "31", "死亡"
    MISSING = "32", "失踪"
    EXPELLED = "33", "开除"
    WITHDRAWN = "34", "退学"
    ABROAD = "35", "出境"
    VOCATIONAL = "36", "去中职就读"
    OTHER_LEFT = "39", "其他离校"
    DELETED = "99", "已删除"


class NumberKind(models.TextChoices):
    """全国学籍号的种类 (SPEC F-26)."""

    OFFICIAL_ID = "G", "正式学籍号(居民身份证)"
    OFFICIAL_OTHER = "J", "正式学籍号(无居民身份证)"
    TEMPORARY = "L", "临时学籍号"


class Student(models.Model):
    """学籍: the lifelong record of one pupil."""

    national_number = models.CharField("全国学籍号", max_length=19, unique=True)
    number_kind = models.CharField("学籍号类型", max_length=1, choices=NumberKind.choices)
    #: indexed only over the rare statuses (``student_rare_status``): 在校 and 毕业 are most rows
    status = models.CharField("学籍状态", max_length=2, choices=Status.choices, default=Status.IN_SCHOOL)
    suspected_dropout = models.BooleanField("疑似辍学", default=False)

    # --- key data (关键数据, F-20) ---
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)
    nationality = models.CharField("国籍/地区", max_length=3, default="CHN")
    hmt = models.CharField("港澳台侨外", max_length=2, default="00")
    #: no index of its own: ``student_school_status`` (and the reports app's school/class/name
    #: index) lead with it — every index costs each UPDATE a new entry (students 0006).
    school = models.ForeignKey("org.School", verbose_name="学校", on_delete=models.PROTECT, related_name="students",
                               db_index=False)
    grade = models.ForeignKey("org.Grade", verbose_name="年级", on_delete=models.PROTECT, related_name="students")
    #: None: 待分班 (placed in a grade of the school, not yet in a class — after a transfer in,
    #: or before 分班).
    klass = models.ForeignKey("org.SchoolClass", verbose_name="班级", on_delete=models.PROTECT, related_name="students",
                              null=True, blank=True)
    #: 升级学年: the school year (by its first calendar year) the record's 年级 was last
    #: promoted into by 升级 (F-62); None: never promoted. The grade (stage + entry year)
    #: and the 班号 do not change on promotion; this marks that the record has moved up
    #: for that year, so a second run of the same year moves nobody twice.
    promoted_year = models.PositiveSmallIntegerField("升级学年", null=True, blank=True)

    # --- basic data (F-21) ---
    name_pinyin = models.CharField("姓名拼音", max_length=100, blank=True)
    former_name = models.CharField("曾用名", max_length=50, blank=True)
    birthplace_code = models.CharField("出生地行政区划代码", max_length=12, blank=True)
    native_place_code = models.CharField("籍贯", max_length=12, blank=True)
    ethnicity = models.CharField("民族", max_length=2, blank=True)
    health = models.CharField("健康状况", max_length=2, blank=True)
    political = models.CharField("政治面貌", max_length=2, blank=True)
    household_type = models.CharField("户口性质", max_length=1, blank=True)
    household_code = models.CharField("户口所在地行政区划", max_length=12, blank=True)
    id_valid_until = models.CharField("身份证件有效期", max_length=20, blank=True)
    blood_type = models.CharField("血型", max_length=1, blank=True)
    speciality = models.CharField("特长", max_length=100, blank=True)
    photo = models.FileField("照片", upload_to="photos/%Y/", blank=True)
    # enrolment
    entry_month = models.CharField("入学年月", max_length=6, blank=True)
    entry_mode = models.CharField("入学方式", max_length=2, blank=True)
    study_mode = models.CharField("就读方式", max_length=1, blank=True)
    student_source = models.CharField("学生来源", max_length=1, blank=True)
    aux_number = models.CharField("学籍辅号", max_length=30, blank=True)
    class_seat_number = models.CharField("班内学号", max_length=20, blank=True)
    government_funded_place = models.BooleanField("是否由政府购买学位", null=True, blank=True)
    # contact
    current_address = models.CharField("现住址", max_length=200, blank=True)
    postal_address = models.CharField("通信地址", max_length=200, blank=True)
    home_address = models.CharField("家庭地址", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    email = models.CharField("电子信箱", max_length=100, blank=True)
    homepage = models.CharField("主页地址", max_length=200, blank=True)
    # flags
    only_child = models.BooleanField("是否独生子女", null=True, blank=True)
    preschool_educated = models.BooleanField("是否受过学前教育", null=True, blank=True)
    left_behind = models.BooleanField("是否留守儿童", null=True, blank=True)
    migrant_worker_child = models.BooleanField("是否进城务工人员随迁子女", null=True, blank=True)
    needs_aid = models.BooleanField("是否需要申请资助", null=True, blank=True)
    one_subsidy = models.BooleanField("是否享受一补", null=True, blank=True)
    orphan = models.BooleanField("是否孤儿", null=True, blank=True)
    martyr_child = models.BooleanField("是否烈士或优抚子女", null=True, blank=True)
    disability_type = models.CharField("残疾类型", max_length=1, blank=True)
    inclusive_education = models.CharField("随班就读", max_length=2, blank=True)
    # commute
    commute_distance = models.DecimalField("上下学距离(公里)", max_digits=5, decimal_places=1, null=True, blank=True)
    commute_mode = models.CharField("上下学方式", max_length=1, blank=True)
    school_bus = models.BooleanField("是否需要乘坐校车", null=True, blank=True)

    registered_at = models.DateTimeField("注册时间", auto_now_add=True)
    updated_at = models.DateTimeField("最近变动时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "学籍"
        verbose_name_plural = "学籍"
        ordering = ["school", "klass", "name"]
        indexes = [
            models.Index(fields=["id_type", "id_number"], name="student_identity"),
            models.Index(fields=["name", "gender", "birth_date"], name="student_name_gender_birth"),
            models.Index(fields=["school", "status"], name="student_school_status"),
            # A whole-column index of 学籍状态 would be entered again by every non-HOT update of
            # every record (毕业, 升级, 调档, 分班 each rewrite hundreds of thousands of rows) and,
            # 在校 and 毕业 being most rows, never serve a query for them: a query of a rare status
            # across a region (休学, 辍学 …) is what it is for (DECISIONS 195).
            models.Index(fields=["status"], name="student_rare_status",
                         condition=~Q(status__in=[Status.IN_SCHOOL.value, Status.GRADUATED.value])),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(national_number__regex=r"^[GJL][0-9A-Z]{18}$"),
                name="student_number_format",
                violation_error_message="全国学籍号应为19位:G/J/L加18位",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.national_number})"


class FamilyMember(models.Model):
    """家庭成员或监护人 (F-22)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="family")
    seq = models.PositiveSmallIntegerField("序号")
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("关系", max_length=2)
    relation_note = models.CharField("关系说明", max_length=50, blank=True)
    current_address = models.CharField("现住址", max_length=200, blank=True)
    household_code = models.CharField("户口所在地行政区划", max_length=12, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    is_guardian = models.BooleanField("是否监护人", null=True, blank=True)
    id_type = models.CharField("身份证件类型", max_length=1, blank=True)
    id_number = models.CharField("身份证件号", max_length=30, blank=True)
    ethnicity = models.CharField("民族", max_length=2, blank=True)
    employer = models.CharField("工作单位", max_length=100, blank=True)
    position = models.CharField("职务", max_length=50, blank=True)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["student", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["student", "seq"], name="family_member_seq_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StudentNumber(models.Model):
    """Every national student number ever assigned (全国学籍号): never reused; a replaced
    temporary number keeps resolving to its student."""

    number = models.CharField("全国学籍号", max_length=19, primary_key=True)
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="numbers")
    kind = models.CharField("类型", max_length=1, choices=NumberKind.choices)
    assigned_at = models.DateTimeField("分配时间", auto_now_add=True)
    replaced_at = models.DateTimeField("被替换时间", null=True, blank=True)

    class Meta:
        verbose_name = "学籍号"
        verbose_name_plural = "学籍号"

    def __str__(self) -> str:
        return self.number


class NumberSequence(models.Model):
    """The last sequence used for a J/L number prefix (letter + 6-digit division + 8-digit
    birth date), so numbers are handed out under a row lock, never twice."""

    prefix = models.CharField(max_length=15, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "学籍号序列"
        verbose_name_plural = "学籍号序列"

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class IdentityClaim(models.Model):
    """查重占用: an identity held by a record or a pending registration. The unique key is
    what makes 查重 hold under races: two schools registering one ID at the same moment
    both try to insert the claim and the database lets exactly one through.

    ``key`` is ``"1:<resident ID>"`` for a resident ID card and ``"<type>:<number>"`` for
    the other documents; ID-type Z students claim nothing (their name + gender + birth
    date matches are shown, not blocked)."""

    #: unique by ``identity_claim_key`` (a constraint, not ``unique=True``: that would add
    #: PostgreSQL a second, ``LIKE`` index that no query uses — DECISIONS 201)
    key = models.CharField("证件键", max_length=40)
    #: a copy of the record's (or the registering upload's) school, written with it in one
    #: transaction by ``students.services``: no database constraint (DECISIONS 199)
    school = models.ForeignKey("org.School", verbose_name="占用学校", on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    student = models.OneToOneField(Student, null=True, blank=True, on_delete=models.CASCADE, related_name="identity_claim")
    registration_id = models.BigIntegerField("注册业务", null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField("占用时间", auto_now_add=True)

    class Meta:
        verbose_name = "证件占用"
        verbose_name_plural = "证件占用"
        constraints = [models.UniqueConstraint(fields=["key"], name="identity_claim_key")]

    def __str__(self) -> str:
        return self.key


class StatusChange(models.Model):
    """学籍状态变动: every change of a record's 学籍状态, with its date and reason — the
    status history the record card shows (F-49). Written by ``students.services``
    only (:func:`~xueji.students.services.change_status`)."""

    #: indexed by ``status_change_student_date`` (students 0006)
    student = models.ForeignKey(Student, verbose_name="学籍", on_delete=models.CASCADE, related_name="status_changes",
                                db_index=False)
    old_status = models.CharField("原学籍状态", max_length=2, choices=Status.choices)
    new_status = models.CharField("新学籍状态", max_length=2, choices=Status.choices)
    date = models.DateField("变动日期")
    reason = models.CharField("变动原因", max_length=200, blank=True)
    #: not indexed: the status history is only ever read by record (students 0006)
    school = models.ForeignKey("org.School", verbose_name="变动时所在学校", on_delete=models.PROTECT, related_name="+",
                               db_index=False, db_constraint=False)  # a copy, as RecordEvent.school
    actor_name = models.CharField("经办人", max_length=50, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "学籍状态变动"
        verbose_name_plural = "学籍状态变动"
        ordering = ["student", "date", "pk"]
        indexes = [models.Index(fields=["student", "date"], name="status_change_student_date")]

    def __str__(self) -> str:
        return f"{self.student_id}:{self.old_status}→{self.new_status}"


class EventKind(models.TextChoices):
    """What happened to a record (学籍变动记录的类别)."""

    REGISTERED = "register", "注册"
    FIELDS = "fields", "字段修改"
    FAMILY = "family", "家庭成员修改"
    PARTS = "parts", "简历奖惩信息修改"
    PHOTO = "photo", "照片修改"
    KEY_CHANGE = "key", "关键数据变更"
    STATUS = "status", "状态变更"
    PLACEMENT = "placement", "分班"
    TRANSFER = "transfer", "转学"
    RECORD_MOVE = "move", "调档"
    NUMBER = "number", "学籍号变更"
    PROMOTION = "promotion", "升级"


class RecordEvent(models.Model):
    """学籍变动记录: every change of a record — registration, a direct edit, a key-data
    change, a status change, a placement, a transfer, a new number — with the values
    before and after (attr → stored value: codes, ISO dates), who did it, the business
    it belongs to and the school the record was at. Written by ``students.services``
    only, in the transaction of the change (set-based). ``business_id`` is the workflow
    business's id as a plain integer (students does not know the workflow)."""

    #: indexed by ``record_event_student_at`` (students 0006)
    student = models.ForeignKey(Student, verbose_name="学籍", on_delete=models.CASCADE, related_name="events",
                                db_index=False)
    at = models.DateTimeField("时间", auto_now_add=True)
    kind = models.CharField("类别", max_length=12, choices=EventKind.choices)
    #: not indexed, nor ``school``: the history is only ever read by record (students 0006)
    business_id = models.BigIntegerField("业务", null=True, blank=True)
    #: a copy of the record's school at the time, written with the change: no foreign-key
    #: constraint in the database (DECISIONS 194); PROTECT still holds through the ORM
    school = models.ForeignKey("org.School", verbose_name="当时所在学校", on_delete=models.PROTECT, related_name="+",
                               db_index=False, db_constraint=False)
    actor_name = models.CharField("经办人", max_length=50, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    before = models.JSONField("变更前", default=dict, blank=True)
    after = models.JSONField("变更后", default=dict, blank=True)

    class Meta:
        verbose_name = "学籍变动记录"
        verbose_name_plural = "学籍变动记录"
        ordering = ["student", "at", "pk"]
        indexes = [models.Index(fields=["student", "at"], name="record_event_student_at")]

    def __str__(self) -> str:
        return f"{self.student_id}:{self.kind}"


class _RecordPart(models.Model):
    """A row of one of the record's tabs (F-23): written by ``students.services`` only."""

    student = models.ForeignKey(Student, verbose_name="学籍", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["student", "start", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name}:{self.student_id}"


class StudyResume(_RecordPart):
    """学习简历: where the pupil studied, from when to when."""

    start = models.CharField("起始年月", max_length=6)
    end = models.CharField("终止年月", max_length=6, blank=True)
    school_name = models.CharField("学校(单位)名称", max_length=100)
    role = models.CharField("担任职务", max_length=50, blank=True)
    witness = models.CharField("证明人", max_length=50, blank=True)

    class Meta(_RecordPart.Meta):
        verbose_name = "学习简历"
        verbose_name_plural = "学习简历"


class Award(_RecordPart):
    """奖励信息."""

    start = models.DateField("奖励日期")
    name = models.CharField("奖励名称", max_length=100)
    level = models.CharField("奖励级别", max_length=20, blank=True)
    issuer = models.CharField("颁奖单位", max_length=100, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta(_RecordPart.Meta):
        verbose_name = "奖励信息"
        verbose_name_plural = "奖励信息"


class Punishment(_RecordPart):
    """惩罚信息 (处分): with the date it was lifted, if it was."""

    start = models.DateField("处分日期")
    name = models.CharField("处分名称", max_length=100)
    reason = models.CharField("处分原因", max_length=200, blank=True)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)

    class Meta(_RecordPart.Meta):
        verbose_name = "惩罚信息"
        verbose_name_plural = "惩罚信息"


class ResidencePermit(_RecordPart):
    """居住证信息 (随迁子女): the permit of the pupil or a parent."""

    start = models.DateField("签发日期")
    number = models.CharField("居住证号", max_length=30)
    holder = models.CharField("持证人", max_length=50)
    issuer = models.CharField("签发机关", max_length=100, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)

    class Meta(_RecordPart.Meta):
        verbose_name = "居住证信息"
        verbose_name_plural = "居住证信息"
