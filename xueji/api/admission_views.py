"""招生入学 over the API (F-84): the admission results in the caller's scope
(``admission.selectors.results_for``), ordered by change time then id for incremental sync
(``updated_since``, as /api/v1/problems/), and the import of result rows by the unit the
import setting allows (POST ``/api/v1/admissions/import/``: the same checks as the Excel
import, per-row errors in the answer). ID numbers and 全国学籍号 are masked."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from xueji.admission import rules as admission_rules
from xueji.admission import selectors as admission_selectors
from xueji.admission import services as admission_services
from xueji.admission.models import Source, State
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.org import selectors

from .views import SINCE_PARAMETER, ScopedReadViewSet, updated_since

MAX_ROWS = 5000


class AdmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField(help_text="招生年度")
    stage = serializers.CharField(help_text="教育阶段代码(2=初中,3=高中)")
    stage_name = serializers.CharField(help_text="教育阶段")
    national_number = serializers.CharField(help_text="全国学籍号(脱敏)")
    name = serializers.CharField(help_text="姓名")
    id_number = serializers.CharField(help_text="身份证件号(脱敏)")
    graduating_school_code = serializers.CharField(help_text="毕业学校标识码")
    graduating_school_name = serializers.CharField(help_text="毕业学校")
    admitting_school_code = serializers.CharField(help_text="录取学校标识码")
    admitting_school_name = serializers.CharField(help_text="录取学校")
    source = serializers.CharField(help_text="来源")
    state = serializers.CharField(help_text="状态代码")
    state_name = serializers.CharField(help_text="状态")
    cross_review = serializers.BooleanField(help_text="毕业学校主管部门是否审核")
    duplicate = serializers.BooleanField(help_text="重复招生(暂停调档)")
    business = serializers.IntegerField(allow_null=True, help_text="录取审核业务编号")
    grade = serializers.CharField(allow_null=True, help_text="录取年级")
    klass = serializers.CharField(allow_null=True, help_text="班级")
    updated_at = serializers.DateTimeField(help_text="最近变动时间")


def _data(r) -> dict:
    return {
        "id": r.pk, "year": r.year, "stage": r.stage, "stage_name": r.get_stage_display(),
        "national_number": mask_national_number(r.student.national_number), "name": r.student.name,
        "id_number": mask_id_number(r.student.id_number), "graduating_school_code": r.graduating_school.code,
        "graduating_school_name": r.graduating_school.name, "admitting_school_code": r.admitting_school.code,
        "admitting_school_name": r.admitting_school.name, "source": r.get_source_display(), "state": r.state,
        "state_name": r.get_state_display(), "cross_review": r.cross_review, "duplicate": r.duplicate,
        "business": r.business_id, "grade": r.grade.name if r.grade_id else None,
        "klass": r.klass.name if r.klass_id else None, "updated_at": r.updated_at,
    }


class ImportRowSerializer(serializers.Serializer):
    学籍号 = serializers.CharField(allow_blank=True, max_length=30)
    姓名 = serializers.CharField(allow_blank=True, max_length=50)
    毕业学校标识码 = serializers.CharField(allow_blank=True, max_length=20)
    录取学校标识码 = serializers.CharField(allow_blank=True, max_length=20)
    教育阶段 = serializers.CharField(allow_blank=True, max_length=10)


@extend_schema_view(
    list=extend_schema(summary="招生结果", parameters=[
        SINCE_PARAMETER,
        OpenApiParameter("school", OpenApiTypes.STR, description="录取学校标识码(须在数据范围内,否则403)"),
        OpenApiParameter("state", OpenApiTypes.STR, description="状态代码:" + "、".join(
            f"{v}={n}" for v, n in State.choices)),
        OpenApiParameter("stage", OpenApiTypes.STR, description="教育阶段代码:2=初中,3=高中"),
        OpenApiParameter("year", OpenApiTypes.INT, description="招生年度"),
    ]),
    retrieve=extend_schema(summary="一条招生结果"),
)
class AdmissionViewSet(ScopedReadViewSet):
    """招生结果 in the caller's scope (see the module text)."""

    what = "招生结果"
    serializer_class = AdmissionSerializer

    def scoped_queryset(self):
        user = self.request.user
        results = admission_selectors.results_for(user)
        if self.action == "list":
            params = self.request.query_params
            code = (params.get("school") or "").strip()
            if code:
                school = selectors.schools_for(user).filter(code=code).values_list("pk", flat=True).first()
                if school is None:
                    selectors.record_scope_violation(self.request, "学校", {"school": code[:20]})
                    refusal = PermissionDenied(f"学校“{code[:20]}”不在您的数据范围内")
                    refusal.audited = True
                    raise refusal
                results = results.filter(admitting_school_id=school)
            since = updated_since(self.request)
            if since:
                results = results.filter(updated_at__gte=since)
            state = (params.get("state") or "").strip()
            if state and state not in State.values:
                raise ValidationError({"state": f"未知的状态“{state[:20]}”"})
            stage = (params.get("stage") or "").strip()
            if stage and stage not in admission_rules.ADMISSION_STAGES:
                raise ValidationError({"stage": "教育阶段应为2(初中)或3(高中)"})
            year = (params.get("year") or "").strip()
            if year and not (year.isdigit() and len(year) == 4):
                raise ValidationError({"year": "招生年度应为四位数字"})
            results = results.filter(**{k: v for k, v in (("state", state), ("stage", stage), ("year", year)) if v})
        return results.order_by("updated_at", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_data(r) for r in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(_data(self.get_object()))

    @extend_schema(summary="导入招生结果", request=ImportRowSerializer(many=True),
                   description=f"每次最多{MAX_ROWS}行;逐行检查,与Excel导入相同;返回导入行数和每个未通过行的原因。")
    @action(detail=False, methods=["post"], url_path="import")
    def import_rows(self, request):
        if not isinstance(request.data, list):
            raise ValidationError({"rows": "请求体应为招生结果行的数组"})
        if not request.data:
            raise ValidationError({"rows": "没有招生结果行"})
        if len(request.data) > MAX_ROWS:
            raise ValidationError({"rows": f"每次最多导入{MAX_ROWS}行"})
        rows = []
        for index, item in enumerate(request.data, start=1):
            if not isinstance(item, dict):
                raise ValidationError({"rows": f"第{index}行不是对象"})
            rows.append((index, {h: item.get(h, "") if isinstance(item.get(h, ""), str | int) else ""
                                 for h in admission_rules.HEADERS}))
        try:
            unit = admission_services.importing_unit(request.user)
        except Exception as error:  # PermissionDenied of Django
            raise PermissionDenied(str(error)) from None
        del unit
        outcome = admission_services.import_results(request.user, rows, source=Source.API, request=request)
        result = outcome.as_result()
        return Response({"rows": result["rows"], "created": result["created"], "ids": outcome.created_ids,
                         "failed": result["failures"]}, status=status.HTTP_201_CREATED if outcome.created
                        else status.HTTP_200_OK)
