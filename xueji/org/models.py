"""Organisation: divisions, education authorities, schools, campuses, terms, grades, classes.

Data and constraints only; rules live in ``rules.py``, writes in ``services.py`` and
reads (always scoped) in ``selectors.py``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import rules


class DivisionLevel(models.IntegerChoices):
    PROVINCE = 1, "省级"
    CITY = 2, "地市"
    COUNTY = 3, "区县"


class Division(models.Model):
    """行政区划: a province, city or county, with its 12-digit statistical code."""

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("级别", choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}0{6}$"), name="division_code_12_digits",
                violation_error_message="区划代码应为12位数字(6位区划代码后补6个0)"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def prefix(self) -> str:
        """The significant digits of the code: 2 for a province, 4 a city, 6 a county."""
        return rules.division_prefix(self.code, self.level)

    @property
    def full_name(self) -> str:
        names = []
        node: Division | None = self
        while node is not None:
            if node.name not in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}:
                names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class AuthorityLevel(models.IntegerChoices):
    MINISTRY = 0, "教育部"
    PROVINCE = 1, "省级"
    CITY = 2, "地市"
    COUNTY = 3, "区县"


class Authority(models.Model):
    """教育行政部门: the ministry or the education authority of a division.

    ``prefix`` is the division code's significant digits ('' for the ministry), so
    "below this authority" is ``prefix__startswith`` — one indexed comparison.
    """

    code = models.CharField("机构代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("级别", choices=AuthorityLevel.choices)
    division = models.OneToOneField(
        Division, verbose_name="行政区划", null=True, blank=True, on_delete=models.PROTECT,
        related_name="authority",
    )
    parent = models.ForeignKey(
        "self", verbose_name="上级教育行政部门", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    prefix = models.CharField("范围前缀", max_length=6, db_index=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "教育行政部门"
        verbose_name_plural = "教育行政部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: Authority) -> bool:
        """True when this authority is ``other`` or below it."""
        return self.prefix.startswith(other.prefix)

    def ancestors(self) -> list[Authority]:
        """This authority and those above it, nearest first.

        The parents not loaded yet come in one query: an authority's superiors have
        prefixes of its prefix (the ministry ''), so those are fetched together and
        linked up by ``parent_id``; a parent outside them (never in a well-formed tree)
        is loaded on its own, and its superiors again by its prefix. Each node's
        ``parent`` is then cached, so walking the chain again asks nothing."""
        field = Authority._meta.get_field("parent")
        chain: list[Authority] = []
        node: Authority | None = self
        candidates: dict[int, Authority] | None = None
        while node is not None:
            chain.append(node)
            if node.parent_id is None:
                break
            if field.is_cached(node):
                node = node.parent
                continue
            if candidates is None:
                prefixes = {node.prefix[:k] for k in range(0, len(node.prefix), 2)}
                candidates = {a.pk: a for a in Authority.objects.filter(prefix__in=prefixes)}
            parent = candidates.get(node.parent_id)
            if parent is None:
                node, candidates = node.parent, None
                continue
            node.parent = parent
            node = parent
        return chain


class SchoolCategory(models.TextChoices):
    """办学类型 as the approval chains use it (seed 004 §22)."""

    ORDINARY = "1", "普通中小学"
    SPECIAL = "2", "特教学校"
    WORK_STUDY = "3", "工读学校"


class Stage(models.TextChoices):
    """教育阶段 (学段). The value is the stage digit of the 7-digit 班号."""

    PRIMARY = "1", "小学"
    JUNIOR = "2", "初中"
    SENIOR = "3", "高中"


class School(models.Model):
    """学校: a school with its 10-digit 学校标识码 and the fields of SPEC F-02 / seed 004 §20."""

    code = models.CharField("学校标识码", max_length=10, unique=True)
    name = models.CharField("学校名称", max_length=100)
    english_name = models.CharField("学校英文名称", max_length=200, blank=True)
    division = models.ForeignKey(
        Division, verbose_name="属地行政区划", on_delete=models.PROTECT, related_name="schools"
    )
    supervisor = models.ForeignKey(
        Authority, verbose_name="主管教育行政部门", on_delete=models.PROTECT,
        related_name="schools",
    )
    category = models.CharField(
        "办学类型(业务)", max_length=1, choices=SchoolCategory.choices,
        default=SchoolCategory.ORDINARY,
    )
    school_type = models.CharField("学校办学类型", max_length=3)
    sponsor_type = models.CharField("学校举办者类型", max_length=3, blank=True)
    has_primary = models.BooleanField("设小学", default=False)
    has_junior = models.BooleanField("设初中", default=False)
    has_senior = models.BooleanField("设高中", default=False)
    primary_years = models.PositiveSmallIntegerField("小学学制(年)", null=True, blank=True)
    junior_years = models.PositiveSmallIntegerField("初中学制(年)", null=True, blank=True)
    senior_years = models.PositiveSmallIntegerField("高中学制(年)", null=True, blank=True)
    address_code = models.CharField("学校地址代码", max_length=12)
    address = models.CharField("学校地址", max_length=200)
    urban_rural_type = models.CharField("学校驻地城乡类型", max_length=3, blank=True)
    principal = models.CharField("校长姓名", max_length=50, blank=True)
    principal_phone = models.CharField("校长手机号码", max_length=20, blank=True)
    office_phone = models.CharField("办公电话", max_length=20, blank=True)
    fax = models.CharField("传真电话", max_length=20, blank=True)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    email = models.EmailField("电子信箱", blank=True)
    homepage = models.CharField("主页地址", max_length=200, blank=True)
    attached_classes = models.CharField(
        "附设班类型", max_length=50, blank=True, help_text="附设班类型代码,逗号分隔"
    )
    boarding_type = models.CharField("寄宿制形式", max_length=1, blank=True)
    # 学校辅助信息 (seed 004 §20)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    founded_year = models.PositiveSmallIntegerField("建校年份", null=True, blank=True)
    legal_registration_no = models.CharField("法人登记证号", max_length=30, blank=True)
    anniversary = models.CharField("校庆日", max_length=10, blank=True)
    land_ownership = models.CharField("学校土地产权", max_length=30, blank=True)
    land_certificate_no = models.CharField("土地证号", max_length=50, blank=True)
    altitude = models.IntegerField("海拔高度(米)", null=True, blank=True)
    longitude = models.DecimalField("学校经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("学校纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    enrolment_radius = models.CharField("招生半径", max_length=30, blank=True)
    main_language = models.CharField("主教学语言", max_length=30, blank=True)
    second_language = models.CharField("辅教学语言", max_length=30, blank=True)
    is_ethnic_school = models.BooleanField("是否独立设置的少数民族学校", default=False)
    organisation_code = models.CharField("组织机构代码证号", max_length=20, blank=True)
    history = models.TextField("历史沿革", blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "学校"
        verbose_name_plural = "学校"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{10}$"), name="school_code_10_digits",
                violation_error_message="学校标识码应为10位数字"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    @property
    def stages(self) -> list[str]:
        """The stages the school offers, as ``Stage`` values."""
        return [
            stage
            for stage, offered in (
                (Stage.PRIMARY, self.has_primary),
                (Stage.JUNIOR, self.has_junior),
                (Stage.SENIOR, self.has_senior),
            )
            if offered
        ]

    def years_of(self, stage: str) -> int | None:
        """学制: the number of years of ``stage`` at this school."""
        return {
            Stage.PRIMARY: self.primary_years,
            Stage.JUNIOR: self.junior_years,
            Stage.SENIOR: self.senior_years,
        }[Stage(stage)]


class Campus(models.Model):
    """校区."""

    school = models.ForeignKey(School, verbose_name="学校", on_delete=models.CASCADE, related_name="campuses")
    name = models.CharField("校区名称", max_length=100)
    address_code = models.CharField("校区地址代码", max_length=12)
    address = models.CharField("校区地址", max_length=200)
    is_main = models.BooleanField("是否主校区", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "校区"
        verbose_name_plural = "校区"
        ordering = ["school", "-is_main", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="campus_name_unique_in_school"),
        ]

    def __str__(self) -> str:
        return self.name


class Semester(models.TextChoices):
    FIRST = "1", "第一学期"
    SECOND = "2", "第二学期"


class Term(models.Model):
    """学年学期设置: a term set by an authority (the ministry when ``authority`` is the
    ministry), applying to every school below it unless a nearer authority set its own."""

    authority = models.ForeignKey(Authority, verbose_name="设置单位", on_delete=models.CASCADE, related_name="terms")
    school_year = models.PositiveSmallIntegerField("学年", help_text="学年起始年份,如 2026 表示 2026-2027 学年")
    semester = models.CharField("学期", max_length=1, choices=Semester.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")

    class Meta:
        verbose_name = "学年学期"
        verbose_name_plural = "学年学期"
        ordering = ["-school_year", "-semester"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "school_year", "semester"], name="term_unique_per_authority",
                violation_error_message="该单位已设置该学年学期",
            ),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="term_dates_ordered",
                                   violation_error_message="结束日期应晚于开始日期"),
        ]

    def __str__(self) -> str:
        return f"{self.school_year}-{self.school_year + 1}学年{self.get_semester_display()}"


class Grade(models.Model):
    """年级: (school, stage, entry year), named like 小学2016级."""

    school = models.ForeignKey(School, verbose_name="学校", on_delete=models.PROTECT, related_name="grades")
    stage = models.CharField("教育阶段", max_length=1, choices=Stage.choices)
    entry_year = models.PositiveSmallIntegerField("入学年份")
    is_graduated = models.BooleanField("已毕业", default=False)

    class Meta:
        verbose_name = "年级"
        verbose_name_plural = "年级"
        ordering = ["school", "stage", "-entry_year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "stage", "entry_year"], name="grade_unique_in_school"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return rules.grade_name(self.stage, self.entry_year)


class SchoolClass(models.Model):
    """班级, with its 7-digit 班号 = entry year + stage digit + 2-digit class number."""

    grade = models.ForeignKey(Grade, verbose_name="年级", on_delete=models.PROTECT, related_name="classes")
    school = models.ForeignKey(School, verbose_name="学校", on_delete=models.PROTECT, related_name="classes")
    code = models.CharField("班号", max_length=7)
    name = models.CharField("班级名称", max_length=50)
    head_teacher = models.ForeignKey(
        "accounts.User", verbose_name="班主任", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="head_of_classes",
    )

    class Meta:
        verbose_name = "班级"
        verbose_name_plural = "班级"
        ordering = ["school", "code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="class_code_unique_in_school"),
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{7}$"), name="class_code_7_digits",
                                   violation_error_message="班号应为7位数字"),
        ]

    def __str__(self) -> str:
        return f"{self.grade.name}{self.name}"

    @property
    def label(self) -> str:
        """一年级1班(2026101): the year the class is in this school year, its name and 班号
        (``rules.class_label``; select ``grade`` and ``school`` with the class in lists)."""
        school = self.school
        years = {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}
        return rules.class_label(self.grade.stage, self.grade.entry_year, self.name, self.code,
                                 rules.school_year_of(timezone.localdate()), years)
