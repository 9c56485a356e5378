"""重复招生 over the API (F-84): the duplicate admissions with an admitting school in the
caller's scope (``dupadmission.selectors.duplicates_for``), each with its state, arbiter,
outcome and every admitting school's admission and evidence (学籍号 and ID number masked).
Ordered by change time (the duplicate's or its handling's, whichever is later) then id,
for incremental sync (``updated_since``). A filter naming a school outside the scope is
403 + audit; a duplicate outside it 404 + audit."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from xueji.admission.models import AdmissionStage
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.dupadmission import selectors as dup
from xueji.org import selectors

from .views import SINCE_PARAMETER, ScopedReadViewSet, updated_since


class DuplicateMemberSerializer(serializers.Serializer):
    admission = serializers.IntegerField(help_text="招生结果编号")
    school_code = serializers.CharField(help_text="录取学校标识码")
    school_name = serializers.CharField(help_text="录取学校名称")
    state = serializers.CharField(help_text="录取状态代码")
    state_name = serializers.CharField(help_text="录取状态")
    evidence = serializers.CharField(help_text="最近一次佐证的核办状态代码(未佐证为空)")
    evidence_name = serializers.CharField(help_text="最近一次佐证的核办状态")
    school_opinion = serializers.CharField(help_text="学校意见")
    review_opinion = serializers.CharField(help_text="核办意见")


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField(help_text="招生年度")
    stage = serializers.CharField(help_text="教育阶段(代码-名称)")
    name = serializers.CharField(help_text="学生姓名")
    national_number = serializers.CharField(help_text="全国学籍号(脱敏)")
    id_number = serializers.CharField(help_text="身份证件号(脱敏)")
    state = serializers.CharField(help_text="处理状态代码:evidence=待佐证核办、arbitration=待仲裁、resolved=已处理")
    state_name = serializers.CharField(help_text="处理状态")
    arbiter = serializers.CharField(allow_null=True, help_text="仲裁单位")
    resolution = serializers.CharField(help_text="处理方式")
    kept = serializers.IntegerField(allow_null=True, help_text="保留的录取(招生结果编号)")
    opinion = serializers.CharField(help_text="仲裁意见")
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="处理完毕时间")
    created_at = serializers.DateTimeField(help_text="发现时间")
    changed_at = serializers.DateTimeField(help_text="最近变动时间(增量同步)")
    members = DuplicateMemberSerializer(many=True)


def duplicate_data(duplicates) -> list[dict]:
    """The duplicates as the API shows them: two more queries for any number of them."""
    duplicates = list(duplicates)
    members = dup.members_by_duplicate(d.pk for d in duplicates)
    latest = dup.latest_evidence(r.pk for rows in members.values() for r in rows)
    result = []
    for d in duplicates:
        case = dup.case_of(d)
        state = "resolved" if d.resolved else (case.state if case is not None else "evidence")
        s = d.student
        result.append({
            "id": d.pk, "year": d.year, "stage": f"{d.stage}-{AdmissionStage(d.stage).label}", "name": s.name,
            "national_number": mask_national_number(s.national_number), "id_number": mask_id_number(s.id_number),
            "state": state, "state_name": dup.state_label(d),
            "arbiter": case.arbiter.name if case is not None and case.arbiter else None,
            "resolution": (case.get_resolution_display() if case is not None and case.resolution
                           else (d.note if d.resolved else "")),
            "kept": d.kept_id, "opinion": case.arbitration_opinion if case is not None else "",
            "resolved_at": d.resolved_at, "created_at": d.created_at, "changed_at": d.changed_at,
            "members": [{
                "admission": r.pk, "school_code": r.admitting_school.code, "school_name": r.admitting_school.name,
                "state": r.state, "state_name": r.get_state_display(),
                "evidence": latest[r.pk].state if r.pk in latest else "",
                "evidence_name": latest[r.pk].get_state_display() if r.pk in latest else "未佐证",
                "school_opinion": latest[r.pk].school_opinion if r.pk in latest else "",
                "review_opinion": latest[r.pk].review_opinion if r.pk in latest else "",
            } for r in members.get(d.pk, [])],
        })
    return result


@extend_schema_view(
    list=extend_schema(summary="重复招生", parameters=[
        SINCE_PARAMETER,
        OpenApiParameter("school", OpenApiTypes.STR, description="录取学校标识码(须在数据范围内,否则403)"),
        OpenApiParameter("state", OpenApiTypes.STR, description="open=未处理、resolved=已处理"),
        OpenApiParameter("year", OpenApiTypes.INT, description="招生年度"),
    ]),
    retrieve=extend_schema(summary="一个重复招生"),
)
class DuplicateAdmissionViewSet(ScopedReadViewSet):
    """重复招生 in the caller's scope (see the module text)."""

    what = "重复招生"
    serializer_class = DuplicateSerializer

    def scoped_queryset(self):
        user = self.request.user
        queryset = dup.duplicates_for(user).annotate(
            changed_at=Greatest(F("updated_at"), Coalesce(F("case__updated_at"), F("updated_at"))))
        if self.action == "list":
            params = self.request.query_params
            code = (params.get("school") or "").strip()
            if code and not selectors.schools_for(user).filter(code=code).exists():
                selectors.record_scope_violation(self.request, "学校", {"school": code[:20]})
                refusal = PermissionDenied(f"学校“{code[:20]}”不在您的数据范围内")
                refusal.audited = True
                raise refusal
            state = (params.get("state") or "").strip()
            if state and state not in ("open", "resolved"):
                raise ValidationError({"state": f"未知的处理状态“{state[:30]}”"})
            year = (params.get("year") or "").strip()
            if year and not (year.isdigit() and len(year) == 4):
                raise ValidationError({"year": "招生年度应为四位数字"})
            queryset, _ = dup.filtered(user, queryset, {"state": state, "year": int(year) if year else None,
                                                        "school": code})
            since = updated_since(self.request)
            if since:
                queryset = queryset.filter(changed_at__gte=since)
        return queryset.select_related("student", "case", "case__arbiter").order_by("changed_at", "pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(duplicate_data(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(duplicate_data([self.get_object()])[0])
