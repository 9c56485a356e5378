"""Serialisers of the API (F-84): plain fields, codes with their Chinese names; ID numbers
masked in every list (F-16) and shown whole only in an opened, audited record."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xueji.codes import tables as codes
from xueji.common.masking import mask_id_number
from xueji.org.models import Authority, Division, Grade, School, SchoolClass
from xueji.registration.models import Entry, Upload
from xueji.registration.services import EXCEL_ENTRIES
from xueji.students.models import FamilyMember, Student
from xueji.workflow import payloads as workflow_payloads
from xueji.workflow import rules as workflow_rules
from xueji.workflow.registry import LEVEL_NAMES


class DivisionSerializer(serializers.ModelSerializer):
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "level_name", "parent", "is_active"]


class AuthoritySerializer(serializers.ModelSerializer):
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Authority
        fields = ["id", "code", "name", "level", "level_name", "division", "parent", "is_active"]


class SchoolSerializer(serializers.ModelSerializer):
    supervisor_code = serializers.CharField(source="supervisor.code", read_only=True)
    category_name = serializers.CharField(source="get_category_display", read_only=True)
    stages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = School
        fields = [
            "id", "code", "name", "english_name", "division", "supervisor", "supervisor_code",
            "category", "category_name", "school_type", "sponsor_type", "stages",
            "primary_years", "junior_years", "senior_years", "address_code", "address",
            "urban_rural_type", "postcode", "homepage", "boarding_type", "is_active", "updated_at",
        ]


class GradeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = Grade
        fields = ["id", "school", "school_code", "stage", "entry_year", "name", "is_graduated"]


class SchoolClassSerializer(serializers.ModelSerializer):
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = SchoolClass
        fields = ["id", "school", "school_code", "grade", "code", "name"]


# --- 学籍注册: uploads (F-40, F-84) -----------------------------------------------------------

class UploadCreateSerializer(serializers.Serializer):
    """The multipart body of 导入: the entry and the filled-in template."""

    entry = serializers.ChoiceField(choices=[(e.value, e.label) for e in Entry if e in EXCEL_ENTRIES], help_text="注册类型(可Excel导入的四种)")
    file = serializers.FileField(help_text="按模板填写的Excel文件(.xlsx)")

    def validate_file(self, value):
        # The web page's rules for the file (extension, size): one rule, one place.
        from xueji.registration.forms import UploadForm

        form = UploadForm(files={"file": value})
        if not form.is_valid():
            raise serializers.ValidationError(form.errors["file"])
        return form.cleaned_data["file"]


class UploadSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="processing 处理中 / done 已完成 / failed 导入失败")
    entry_name = serializers.CharField(source="get_entry_display", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = Upload
        fields = [
            "id", "school_code", "entry", "entry_name", "filename", "status", "status_name", "message",
            "total_rows", "passed_rows", "failed_rows", "uploaded_at", "finished_at",
        ]
        read_only_fields = fields


class JobSerializer(serializers.Serializer):
    """后台任务的状态 (``xueji.jobs.selectors.status_of``)."""

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="任务类型,如 registration.import")
    kind_name = serializers.CharField(help_text="任务类型名称")
    title = serializers.CharField()
    status = serializers.CharField(help_text="queued 排队中 / running 进行中 / done 已完成 / failed 失败 / cancelled 已取消")
    status_name = serializers.CharField()
    finished = serializers.BooleanField()
    done = serializers.IntegerField(help_text="已处理行数")
    total = serializers.IntegerField(allow_null=True, help_text="总行数(未知时为 null)")
    percent = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True, help_text="每秒处理行数")
    seconds_left = serializers.IntegerField(allow_null=True, help_text="预计剩余秒数")
    message = serializers.CharField(help_text="失败或取消的原因")
    result = serializers.JSONField(help_text="结果摘要;学籍注册导入为 {upload: 导入记录id}")
    result_url = serializers.CharField(help_text="结果网页")
    created_at = serializers.CharField()
    finished_at = serializers.CharField()


class UploadAcceptedSerializer(UploadSerializer):
    """202 of an import: the upload record, its job and where to follow it."""

    job = JobSerializer(read_only=True)
    status_url = serializers.CharField(read_only=True, help_text="任务状态地址(同 Location 响应头)")

    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "job", "status_url"]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    """A failing row of an upload; the ID number masked (F-16)."""

    row = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.SerializerMethodField()
    messages = serializers.ListField(child=serializers.CharField())

    def get_id_number(self, obj) -> str:
        return mask_id_number(obj.id_number)


# --- 学籍 (students) --------------------------------------------------------------------------

class StudentListSerializer(serializers.ModelSerializer):
    """One record in a list: the ID number masked (F-16)."""

    id_number = serializers.SerializerMethodField()
    gender_name = serializers.SerializerMethodField()
    id_type_name = serializers.SerializerMethodField()
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    grade_name = serializers.CharField(source="grade.name", read_only=True)
    class_code = serializers.CharField(source="klass.code", read_only=True, allow_null=True,
                                       help_text="班号;待分班的学生为 null")

    class Meta:
        model = Student
        fields = [
            "national_number", "name", "gender", "gender_name", "birth_date", "id_type", "id_type_name",
            "id_number", "school_code", "school_name", "grade_name", "class_code", "status", "status_name",
            "updated_at",
        ]

    def get_id_number(self, obj) -> str:
        return mask_id_number(obj.id_number)

    def get_gender_name(self, obj) -> str:
        return codes.name_of("gender", obj.gender) or ""

    def get_id_type_name(self, obj) -> str:
        return codes.name_of("id_type", obj.id_type) or ""


class FamilyMemberSerializer(serializers.ModelSerializer):
    relation_name = serializers.SerializerMethodField()

    class Meta:
        model = FamilyMember
        fields = [
            "seq", "name", "relation", "relation_name", "relation_note", "is_guardian", "id_type", "id_number",
            "phone", "current_address", "household_code", "ethnicity", "employer", "position",
        ]

    def get_relation_name(self, obj) -> str:
        return codes.name_of("relation", obj.relation) or ""


class StudentDetailSerializer(StudentListSerializer):
    """The opened record (an audited read): the ID number in full, the basic data and the
    family members. The photo is served by the pages, behind their permission checks."""

    id_number = serializers.CharField(read_only=True)
    family = FamilyMemberSerializer(many=True, read_only=True)

    class Meta(StudentListSerializer.Meta):
        fields = [
            *StudentListSerializer.Meta.fields, "number_kind", "suspected_dropout", "nationality", "hmt",
            "name_pinyin", "former_name", "birthplace_code", "native_place_code", "ethnicity", "health",
            "political", "household_type", "household_code", "id_valid_until", "blood_type", "speciality",
            "entry_month", "entry_mode", "study_mode", "student_source", "aux_number", "class_seat_number",
            "government_funded_place", "current_address", "postal_address", "home_address", "phone",
            "postcode", "email", "homepage", "only_child", "preschool_educated", "left_behind",
            "migrant_worker_child", "needs_aid", "one_subsidy", "orphan", "martyr_child", "disability_type",
            "inclusive_education", "commute_distance", "commute_mode", "school_bus", "registered_at", "family",
        ]


# --- 待审核业务 (reviews) ---------------------------------------------------------------------

#: A resident ID number standing alone in free text (not inside a G-number).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_ids_in_text(text: str) -> str:
    """Summaries are lists too (F-16): mask any ID number written into them."""
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text or "")


class ReviewRegistrationSerializer(serializers.Serializer):
    """What the reviewers of a registration see of its 查重认证."""

    id = serializers.IntegerField()
    entry = serializers.CharField()
    entry_name = serializers.CharField(source="get_entry_display")
    name = serializers.CharField()
    id_type = serializers.CharField()
    id_number = serializers.SerializerMethodField()
    dedup_status = serializers.CharField()
    dedup_status_name = serializers.CharField(source="get_dedup_status_display")
    verify_status = serializers.CharField()
    verify_status_name = serializers.CharField(source="get_verify_status_display")
    verify_note = serializers.CharField()
    similar = serializers.JSONField(help_text="姓名、性别、出生日期相同的学籍或注册申请(无身份证件学生查重)")

    def get_id_number(self, obj) -> str:
        return mask_id_number(obj.id_number)


class ContentRowSerializer(serializers.Serializer):
    section = serializers.CharField(help_text="分组(如“学生信息”“家庭成员1”),空为无分组")
    label = serializers.CharField(help_text="中文名称")
    text = serializers.CharField(help_text="显示值:代码-名称、YYYY-MM-DD,证件号和电话脱敏")


class StepSerializer(serializers.Serializer):
    party = serializers.CharField(help_text="当事方(多方业务:转入方、转出方),单方业务为空")
    level = serializers.CharField(help_text="审核环节代码")
    level_name = serializers.CharField()
    unit = serializers.CharField(help_text="审核单位名称")


class ReviewSerializer(serializers.Serializer):
    """A business waiting at the caller's step."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_name = serializers.CharField()
    school_code = serializers.CharField(source="school.code")
    school_name = serializers.CharField(source="school.name")
    stage = serializers.CharField()
    summary = serializers.SerializerMethodField()
    national_number = serializers.SerializerMethodField()
    current_level = serializers.CharField()
    current_level_name = serializers.CharField(source="current_level_display")
    current_party = serializers.CharField(help_text="当前环节的当事方(多方业务),单方业务为空")
    current_unit = serializers.CharField()
    hold = serializers.CharField(help_text="暂停原因代码;非空时暂不能审核")
    hold_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    chain = serializers.SerializerMethodField()
    content = serializers.SerializerMethodField()
    registration = serializers.SerializerMethodField()

    @extend_schema_field(StepSerializer(many=True))
    def get_chain(self, obj) -> list[dict]:
        btype = obj.btype
        return [{"party": workflow_rules.party_label(btype, step), "level": step.get("level", ""),
                 "level_name": LEVEL_NAMES.get(step.get("level"), "审核"), "unit": step.get("unit", "")}
                for step in obj.chain]

    @extend_schema_field(ContentRowSerializer(many=True))
    def get_content(self, obj) -> list[dict]:
        """业务内容 as labelled rows (the same as the detail page, masked)."""
        schema = obj.btype.schema if obj.btype else workflow_payloads.EMPTY
        return [row._asdict() for row in workflow_payloads.display_rows(schema, obj.payload)]

    def get_summary(self, obj) -> str:
        return mask_ids_in_text(obj.summary)

    def get_national_number(self, obj) -> str | None:
        return obj.student.national_number if obj.student_id else None

    @extend_schema_field(ReviewRegistrationSerializer(allow_null=True))
    def get_registration(self, obj):
        registration = getattr(obj, "registration", None)
        return ReviewRegistrationSerializer(registration).data if registration is not None else None


class DecisionSerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text="true 审核通过,false 审核不通过")
    opinion = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="审核意见;审核不通过时必填")


class BatchDecisionSerializer(DecisionSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=5000,
                                help_text="业务 id")


class BusinessStateSerializer(serializers.Serializer):
    """A business after a decision."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_name = serializers.CharField()
    status = serializers.CharField()
    status_name = serializers.CharField(source="get_status_display")
    current_level = serializers.CharField()
    current_unit = serializers.CharField()
    hold = serializers.CharField()


class BatchResultSerializer(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(
        child=serializers.ListField(), help_text="[[业务 id, 未审核的原因], …]",
    )


class HistoryChangeSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="信息项")
    before = serializers.CharField(help_text="修改前")
    after = serializers.CharField(help_text="修改后")


class HistoryRowSerializer(serializers.Serializer):
    """One event of a record's history (``students.selectors.history_of``)."""

    at = serializers.CharField(help_text="时间 YYYY-MM-DD HH:MM")
    kind = serializers.CharField(help_text="种类(中文)")
    school = serializers.CharField(help_text="当时所在学校")
    actor = serializers.CharField(help_text="办理人")
    reason = serializers.CharField(allow_blank=True)
    business_id = serializers.IntegerField(allow_null=True, help_text="业务号(有业务时)")
    changes = serializers.SerializerMethodField()

    @extend_schema_field(HistoryChangeSerializer(many=True))
    def get_changes(self, obj) -> list[dict]:
        return [{"item": item, "before": before, "after": after} for item, before, after in obj["changes"]]
