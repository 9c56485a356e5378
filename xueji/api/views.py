"""The API (F-84), scoped exactly like the pages: every queryset comes from a selector
(``xueji.org.selectors``, ``registration.selectors``, ``students.selectors``,
``workflow.selectors``) and every write goes through the same service as the page. A
filter naming a unit outside the caller's scope is refused (403) and audited, not
silently answered with an empty list; an object outside it is a 404, audited too."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from xueji.accounts.models import Role
from xueji.audit.services import record_event
from xueji.common.params import content_disposition, parse_id
from xueji.jobs import selectors as job_selectors
from xueji.jobs import services as job_services
from xueji.org import selectors
from xueji.registration import selectors as registration_selectors
from xueji.registration import services as registration_services
from xueji.registration.models import UploadStatus
from xueji.students.models import Status
from xueji.students.selectors import history_of, students_for
from xueji.workflow import selectors as workflow_selectors
from xueji.workflow import services as workflow_services

from .serializers import (
    AuthoritySerializer,
    BatchDecisionSerializer,
    BatchResultSerializer,
    BusinessStateSerializer,
    DecisionSerializer,
    DivisionSerializer,
    GradeSerializer,
    HistoryRowSerializer,
    JobSerializer,
    ReviewSerializer,
    RowErrorSerializer,
    SchoolClassSerializer,
    SchoolSerializer,
    StudentDetailSerializer,
    StudentListSerializer,
    UploadAcceptedSerializer,
    UploadCreateSerializer,
    UploadSerializer,
)

#: The body of a refusal by a business rule (a Django ValidationError of a service).
RULE_ERROR = inline_serializer("RuleError", {
    "detail": serializers.CharField(),
    "messages": serializers.ListField(child=serializers.CharField()),
})
DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})


def rule_error(error: DjangoValidationError) -> Response:
    """A service's ValidationError as a 400 with every message."""
    messages = list(error.messages)
    return Response({"detail": ";".join(messages), "messages": messages}, status=status.HTTP_400_BAD_REQUEST)


def updated_since(request) -> dt.datetime | None:
    """``updated_since`` (ISO 8601 time or date) of an incremental sync; a naive time is
    local (Asia/Shanghai). A ``+`` left unencoded in the query string arrives as a space."""
    value = (request.query_params.get("updated_since") or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value) or parse_datetime(value.replace(" ", "+"))
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime.combine(day, dt.time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({"updated_since": "应为ISO 8601时间,如2025-09-01T00:00:00+08:00"})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


SINCE_PARAMETER = OpenApiParameter(
    "updated_since", OpenApiTypes.DATETIME, description="只返回此时间(含)之后变动的记录,用于增量同步",
)


def _code_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, description=description)


class ScopedFilters:
    """``scoped_queryset`` from a selector; ``filters`` maps query parameters to
    (lookup, the selector of the units that parameter may name, its field, what it names)."""

    what = "数据"
    filters: dict = {}

    def scoped_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.scoped_queryset()
        for param, (lookup, allowed, field, what) in self.filters.items():
            value = self.request.query_params.get(param)
            if not value:
                continue
            if field == "pk":
                if parse_id(value) is None:
                    raise ValidationError({param: f"{what}编号应为正整数"})
                value = parse_id(value)
            if not allowed(self.request.user).filter(**{field: value}).exists():
                selectors.record_scope_violation(self.request, what, {param: value})
                refusal = PermissionDenied(f"{what}“{value}”不在您的数据范围内")
                refusal.audited = True  # as scope.denied, not again as a role refusal
                raise refusal
            queryset = queryset.filter(**{lookup: value})
        return queryset


class ScopedReadViewSet(ScopedFilters, viewsets.ReadOnlyModelViewSet):
    """Base of the read endpoints: scoped list and detail; an object outside the scope is
    a 404 and an audit entry."""

    def get_object(self):
        queryset = self.get_queryset()
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if self.lookup_field == "pk":
            value = parse_id(value)
            if value is None:  # not an id at all: nothing to look for, nothing to audit
                raise NotFound(f"{self.what}不存在")
        lookup = {self.lookup_field: value}
        obj = queryset.filter(**lookup).first()
        if obj is None:
            selectors.record_scope_violation(self.request, self.what, lookup)
            raise NotFound(f"{self.what}不存在或不在您的数据范围内")
        return obj


class DivisionViewSet(ScopedReadViewSet):
    """行政区划 in the caller's scope. Filter: ``parent`` (a division code), ``level``."""

    serializer_class = DivisionSerializer
    lookup_field = "code"
    what = "行政区划"
    filters = {"parent": ("parent_id", selectors.divisions_for, "code", "行政区划")}

    def scoped_queryset(self):
        queryset = selectors.divisions_for(self.request.user).order_by("code")
        level = self.request.query_params.get("level")
        return queryset.filter(level=level) if level in {"1", "2", "3"} else queryset


class AuthorityViewSet(ScopedReadViewSet):
    """教育行政部门 in the caller's scope. Filter: ``parent`` (an authority code)."""

    serializer_class = AuthoritySerializer
    what = "教育行政部门"
    filters = {"parent": ("parent__code", selectors.authorities_for, "code", "教育行政部门")}

    def scoped_queryset(self):
        return selectors.authorities_for(self.request.user).order_by("code")


@extend_schema_view(list=extend_schema(parameters=[SINCE_PARAMETER]))
class SchoolViewSet(ScopedReadViewSet):
    """学校 in the caller's scope. Filters: ``supervisor`` (authority code), ``division``
    (county code), ``updated_since`` (ISO time, for incremental sync)."""

    serializer_class = SchoolSerializer
    what = "学校"
    filters = {
        "supervisor": ("supervisor__code", selectors.authorities_for, "code", "教育行政部门"),
        "division": ("division_id", selectors.divisions_for, "code", "行政区划"),
    }

    def scoped_queryset(self):
        queryset = selectors.schools_for(self.request.user).select_related("supervisor").order_by("code")
        since = updated_since(self.request)
        return queryset.filter(updated_at__gte=since) if since else queryset


class GradeViewSet(ScopedReadViewSet):
    """年级 in the caller's scope. Filter: ``school`` (学校标识码)."""

    serializer_class = GradeSerializer
    what = "年级"
    filters = {"school": ("school__code", selectors.schools_for, "code", "学校")}

    def scoped_queryset(self):
        return selectors.grades_for(self.request.user).select_related("school").order_by("school__code", "stage", "entry_year")


class SchoolClassViewSet(ScopedReadViewSet):
    """班级 in the caller's scope. Filters: ``school`` (学校标识码), ``grade`` (id)."""

    serializer_class = SchoolClassSerializer
    what = "班级"
    filters = {
        "school": ("school__code", selectors.schools_for, "code", "学校"),
        "grade": ("grade_id", selectors.grades_for, "pk", "年级"),
    }

    def scoped_queryset(self):
        return selectors.classes_for(self.request.user).select_related("school").order_by("school__code", "code")


# --- 学籍注册: uploads (F-40) -------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="导入记录", parameters=[
        _code_parameter("school", "学校标识码(须在数据范围内,否则403)"),
        _code_parameter("entry", "注册类型"), _code_parameter("status", "processing / done / failed"),
    ]),
    retrieve=extend_schema(summary="一次导入的结果"),
)
class UploadViewSet(ScopedReadViewSet):
    """学籍注册导入记录 of the schools in scope (``registration.selectors.uploads_for``);
    ``POST`` imports a sheet for the caller's school (school registrar only)."""

    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = r"\d+"
    what = "导入记录"
    filters = {"school": ("school__code", selectors.schools_for, "code", "学校")}

    def scoped_queryset(self):
        queryset = registration_selectors.uploads_for(self.request.user).order_by("-uploaded_at", "-pk")
        params = self.request.query_params
        if params.get("entry"):
            queryset = queryset.filter(entry=params["entry"])
        if params.get("status") in UploadStatus.values:
            queryset = queryset.filter(status=params["status"])
        return queryset

    @extend_schema(
        summary="导入学籍注册Excel",
        description=(
            "学校学籍管理员导入按模板填写的注册表(与网页【学籍注册 → 导入】同一流程:查重认证后,"
            "通过的行成为待学校审核的注册申请)。导入在后台任务中进行:立即返回 202,`Location` 与 "
            "`status_url` 指向任务状态 `/api/v1/jobs/{id}/`,轮询至 `finished` 为 true,再读取本导入记录 "
            "(`id`)的结果与 `errors`。文件不是可读的 Excel(如改了扩展名的文本文件)时导入记录的 `status` "
            "为 `failed`、`message` 说明原因。扩展名不是 .xlsx/.xls、超过 30MB、注册类型不对时返回 400;"
            "非学校学籍管理员返回 403。"
        ),
        request={"multipart/form-data": UploadCreateSerializer},
        responses={202: UploadAcceptedSerializer,
                   400: OpenApiResponse(description="参数错误:按字段给出原因,如 {\"file\": [\"只能导入Excel文件(.xlsx)\"]}"),
                   403: OpenApiResponse(DETAIL, description="不是学校学籍管理员")},
    )
    def create(self, request):
        user = request.user
        if user.role != Role.SCHOOL_REGISTRAR or user.school_id is None:
            raise PermissionDenied("只有学校学籍管理员可以办理学籍注册")
        body = UploadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = registration_services.submit_upload(
                user.school, body.validated_data["entry"], user, body.validated_data["file"], request,
            )
        except DjangoValidationError as error:
            return rule_error(error)
        upload = registration_selectors.uploads_for(user).get(pk=job.params["upload"])
        status_url = reverse("api:job-detail", args=[job.pk])
        data = {**UploadSerializer(upload).data, "job": JobSerializer(job_selectors.status_of(job)).data,
                "status_url": request.build_absolute_uri(status_url)}
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})

    @extend_schema(summary="导入未通过的行", responses=RowErrorSerializer(many=True))
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """Every failing row with all its reasons, by row number; ID numbers masked."""
        upload = self.get_object()
        page = self.paginate_queryset(upload.row_errors.order_by("row", "pk"))
        return self.get_paginated_response(RowErrorSerializer(page, many=True).data)


# --- 后台任务 (jobs) --------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="后台任务列表(本人发起的及本单位的)"),
    retrieve=extend_schema(summary="一个后台任务的状态与进度"),
)
class JobViewSet(ScopedReadViewSet):
    """后台任务 the caller may follow (``jobs.selectors.jobs_for``); a job out of scope is
    a 404 with an audit entry. Reading a running job whose worker is gone ends it as failed."""

    serializer_class = JobSerializer
    lookup_value_regex = r"\d+"
    what = "后台任务"

    def scoped_queryset(self):
        return job_selectors.jobs_for(self.request.user).order_by("-created_at", "-pk")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobSerializer([job_selectors.status_of(j) for j in page], many=True).data)

    def retrieve(self, request, *args, **kwargs):
        job = job_services.reap_if_dead(self.get_object())
        return Response(JobSerializer(job_selectors.status_of(job)).data)


# --- 学籍 (students) -----------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="学籍列表", parameters=[
        _code_parameter("school", "学校标识码(须在数据范围内,否则403)"), SINCE_PARAMETER,
        OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values, description="学籍状态代码"),
    ]),
    retrieve=extend_schema(summary="一个学籍(完整证件号与家庭成员;记入审计日志)"),
)
class StudentViewSet(ScopedReadViewSet):
    """学籍 in the caller's scope (``students.selectors.students_for``), ordered by change
    time then id for incremental sync. Lists mask ID numbers (F-16); opening one record
    shows them in full and is audited as a personal-data read."""

    lookup_field = "national_number"
    what = "学籍"
    filters = {"school": ("school__code", selectors.schools_for, "code", "学校")}

    def get_serializer_class(self):
        return StudentDetailSerializer if self.action == "retrieve" else StudentListSerializer

    def scoped_queryset(self):
        queryset = students_for(self.request.user).select_related("school", "grade", "klass")
        if self.action == "retrieve":
            return queryset.prefetch_related("family")
        since = updated_since(self.request)
        if since:
            queryset = queryset.filter(updated_at__gte=since)
        state = self.request.query_params.get("status")
        if state:
            if state not in Status.values:
                raise ValidationError({"status": f"未知的学籍状态“{state}”"})
            queryset = queryset.filter(status=state)
        return queryset.order_by("updated_at", "pk")

    @extend_schema(
        summary="学籍的历史记录",
        description="该学籍的全部变动,最新的在前:注册、字段修改、关键数据变更、学籍状态变动、转学、调档、分班、学籍号变更等,"
        "每条有时间、种类、当时所在学校、办理人、原因、业务号和各项的修改前 → 修改后(代码带名称,证件号脱敏)。"
        "学籍不在数据范围内返回 404(记入审计日志)。",
        responses={200: HistoryRowSerializer(many=True), 404: DETAIL},
    )
    @action(detail=True, methods=["get"])
    def history(self, request, national_number=None):
        student = self.get_object()
        rows = history_of(student)
        return Response(HistoryRowSerializer([dataclasses.asdict(r) for r in rows], many=True).data)

    def retrieve(self, request, *args, **kwargs):
        student = self.get_object()
        record_event(
            action="api.student_read", summary=f"接口查看学籍:{student.name} {student.national_number}",
            actor=request.user, request=request, target=student, school=student.school,
        )
        return Response(self.get_serializer(student).data)


# --- 待审核业务 (reviews) -------------------------------------------------------------------------

REVIEWERS = {Role.SCHOOL_LEADER, Role.AUTHORITY_REGISTRAR}


class IsReviewer(BasePermission):
    message = "只有学校学籍主管领导和教育部门学籍管理员可以审核业务"

    def has_permission(self, request, view) -> bool:
        return request.user.role in REVIEWERS


@extend_schema_view(list=extend_schema(summary="待审核业务", parameters=[
    _code_parameter("school", "学校标识码(须在数据范围内,否则403)"), _code_parameter("kind", "业务类型代码"),
    OpenApiParameter("decidable", OpenApiTypes.BOOL, description="true:只列现在可审核的(不含暂停的)"),
]))
class ReviewViewSet(ScopedFilters, mixins.ListModelMixin, viewsets.GenericViewSet):
    """待审核业务: what waits at the caller's step (``workflow.selectors.queue_for``: a
    school leader's school step, an authority registrar's own authority), oldest first,
    and the decisions on them (``workflow.services.decide`` / ``decide_many``)."""

    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticated, IsReviewer]
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"
    what = "业务"
    filters = {"school": ("school__code", selectors.schools_for, "code", "学校")}

    def scoped_queryset(self):
        queryset = workflow_selectors.queue_for(self.request.user).select_related("registration")
        params = self.request.query_params
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("decidable", "").lower() in {"1", "true", "yes"}:
            queryset = queryset.filter(hold="")
        return queryset.order_by("created_at", "pk")

    @extend_schema(
        summary="审核一项业务",
        description="当前环节由调用者审核:`passed` 为 true 审核通过,false 审核不通过(须填写 `opinion`)。"
        "业务不在数据范围内返回 404(记入审计日志);在范围内但不在调用者的审核环节返回 403;"
        "业务规则不允许(已结束、暂停中、缺审核意见)返回 400。",
        request=DecisionSerializer,
        responses={200: BusinessStateSerializer, 400: RULE_ERROR, 403: DETAIL, 404: DETAIL},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        business = workflow_selectors.business_for(request, int(pk))
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            workflow_services.decide(business, request.user, body.validated_data["passed"],
                                     body.validated_data["opinion"], request=request)
        except DjangoValidationError as error:
            return rule_error(error)
        return Response(BusinessStateSerializer(business).data)

    @extend_schema(
        summary="批量审核",
        description="对所列业务作同一审核结论。不能审核的(不在调用者的审核环节、暂停中、已结束、"
        "不在数据范围内)跳过并给出原因;数据范围外的 id 记入审计日志。",
        request=BatchDecisionSerializer,
        responses={200: BatchResultSerializer, 400: RULE_ERROR},
    )
    @action(detail=False, methods=["post"])
    def decisions(self, request):
        body = BatchDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        visible = set(workflow_selectors.businesses_for(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        outside = [pk for pk in ids if pk not in visible]
        if outside:
            selectors.record_scope_violation(request, "业务", {"ids": ",".join(map(str, outside[:100]))})
        try:
            result = workflow_services.decide_many(sorted(visible), request.user, body.validated_data["passed"],
                                                   body.validated_data["opinion"], request=request)
        except DjangoValidationError as error:
            return rule_error(error)
        skipped = [[pk, reason] for pk, reason in result.skipped]
        skipped += [[pk, "业务不存在或不在您的数据范围内"] for pk in outside]
        return Response({"decided": result.decided, "skipped": sorted(skipped)})


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (接口文档), saved as 学籍 API.yaml (or .json): the header drf-spectacular
    writes for a non-ASCII title is not a valid Content-Disposition (browsers save it
    under a made-up name), so it is written again by the one helper of the project."""

    @extend_schema(exclude=True)  # as the view it extends: the document does not describe itself
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        suffix = "json" if "json" in (getattr(renderer, "format", "") or "") else "yaml"
        response["Content-Disposition"] = content_disposition(
            f"学籍 API.{suffix}", attachment=False, fallback=f"xueji-api.{suffix}")
        return response
