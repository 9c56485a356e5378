"""问题学籍 over the API (F-84): the groups in the caller's scope — a group with at least
one record the caller may see (``problems.list_selectors.members_in_scope``), the records
of the counterpart school or province included, as on the group page — with their state,
who must act now and the records (ID numbers masked; the 全国学籍号 of a record outside the
caller's scope masked too). Ordered by change time then id for incremental sync
(``updated_since``, as the students API). A filter naming a school outside the scope is
403 + audit; a group outside it 404 + audit."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from xueji.codes import tables
from xueji.common.masking import mask_id_number, mask_national_number
from xueji.org import selectors
from xueji.problems import list_rules, list_selectors
from xueji.problems.models import GroupState, ProblemGroup, ProblemKind, ProblemMember

from .views import SINCE_PARAMETER, ScopedReadViewSet, updated_since


class ProblemMemberSerializer(serializers.Serializer):
    national_number = serializers.CharField(help_text="全国学籍号(不在数据范围内的对方学籍脱敏)")
    name = serializers.CharField(help_text="姓名")
    gender = serializers.CharField(help_text="性别(代码-名称)")
    birth_date = serializers.DateField(help_text="出生日期")
    id_type = serializers.CharField(help_text="身份证件类型(代码-名称)")
    id_number = serializers.CharField(help_text="身份证件号(脱敏)")
    school_code = serializers.CharField(help_text="学校标识码")
    school_name = serializers.CharField(help_text="学校名称")
    in_scope = serializers.BooleanField(help_text="是否在调用者的数据范围内")
    state = serializers.CharField(help_text="学籍处理状态代码")
    state_name = serializers.CharField(help_text="学籍处理状态")
    must_act = serializers.BooleanField(help_text="是否轮到该学籍所在学校处理")
    method = serializers.CharField(help_text="处理方式(变更/佐证/删除,未选择为空)")
    business = serializers.IntegerField(allow_null=True, help_text="处理业务编号(审核中)")


class ProblemGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="问题学籍类型代码")
    kind_name = serializers.CharField(help_text="问题学籍类型")
    note = serializers.CharField(help_text="错误说明")
    state = serializers.CharField(help_text="处理状态代码")
    state_name = serializers.CharField(help_text="处理状态")
    historical = serializers.BooleanField(help_text="历史问题学籍(首次数据采集产生)")
    cross_province = serializers.BooleanField(help_text="跨省问题学籍")
    locked = serializers.BooleanField(help_text="是否锁定")
    waiting_for = serializers.CharField(help_text="等待谁:处理的学校、审核的单位或仲裁单位")
    waited_working_days = serializers.IntegerField(allow_null=True, help_text="本轮已等待的工作日")
    turn_due = serializers.DateTimeField(allow_null=True, help_text="本轮办理期限")
    overdue = serializers.BooleanField(help_text="是否超期")
    arbiter = serializers.CharField(allow_null=True, help_text="仲裁单位")
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="处理完毕时间")
    resolution = serializers.CharField(help_text="处理结果")
    created_at = serializers.DateTimeField(help_text="产生时间")
    updated_at = serializers.DateTimeField(help_text="最近变动时间(增量同步)")
    members = ProblemMemberSerializer(many=True)


def _member(m: ProblemMember, own: set[int]) -> dict:
    s = m.student
    mine = m.pk in own
    return {
        "national_number": s.national_number if mine else mask_national_number(s.national_number),
        "name": s.name, "gender": tables.label("gender", s.gender), "birth_date": s.birth_date,
        "id_type": tables.label("id_type", s.id_type), "id_number": mask_id_number(s.id_number),
        "school_code": s.school.code, "school_name": s.school.name, "in_scope": mine,
        "state": m.state, "state_name": m.get_state_display(), "must_act": m.must_act,
        "method": m.get_method_display() if m.method else "", "business": m.business_id,
    }


def group_data(groups, user) -> list[dict]:
    """The groups (members prefetched) as the API shows them; one more query for which
    records are the caller's."""
    groups = list(groups)
    now = timezone.now()
    own = set(list_selectors.members_in_scope(user).filter(group_id__in=[g.pk for g in groups])
              .values_list("pk", flat=True))
    result = []
    for g in groups:
        members = list(g.members.all())
        siblings = [list_rules.Sibling(
            m.pk, m.state, m.must_act, m.student.school.name,
            ((m.business.current_school or m.business.current_authority).name
             if m.business is not None and (m.business.current_school or m.business.current_authority) else ""))
            for m in members]
        result.append({
            "id": g.pk, "kind": g.kind, "kind_name": g.get_kind_display(), "note": g.note, "state": g.state,
            "state_name": g.get_state_display(), "historical": g.historical, "cross_province": g.cross_province,
            "locked": g.locked,
            "waiting_for": list_rules.waiting_for(g.state, siblings, g.arbiter.name if g.arbiter else ""),
            "waited_working_days": None if g.resolved else list_rules.waited_days(g.turn_since, now),
            "turn_due": g.turn_due, "overdue": list_rules.is_overdue(g.turn_due, now, g.state),
            "arbiter": g.arbiter.name if g.arbiter else None, "resolved_at": g.resolved_at,
            "resolution": g.resolution, "created_at": g.created_at, "updated_at": g.updated_at,
            "members": [_member(m, own) for m in members],
        })
    return result


def _choice(request, name: str, values, what: str):
    value = (request.query_params.get(name) or "").strip()
    if value and value not in values:
        raise ValidationError({name: f"未知的{what}“{value[:30]}”"})
    return value


@extend_schema_view(
    list=extend_schema(summary="问题学籍", parameters=[
        SINCE_PARAMETER, OpenApiParameter("school", OpenApiTypes.STR, description="学校标识码(须在数据范围内,否则403)"),
        OpenApiParameter("state", OpenApiTypes.STR, description="处理状态代码:" + "、".join(
            f"{v}={n}" for v, n in GroupState.choices)),
        OpenApiParameter("kind", OpenApiTypes.STR, description="问题学籍类型代码:" + "、".join(
            f"{v}={n}" for v, n in ProblemKind.choices)),
        OpenApiParameter("historical", OpenApiTypes.BOOL, description="true:只列历史问题学籍;false:只列新产生的"),
    ]),
    retrieve=extend_schema(summary="一组问题学籍"),
)
class ProblemGroupViewSet(ScopedReadViewSet):
    """问题学籍 groups in the caller's scope (see the module text)."""

    what = "问题学籍"
    serializer_class = ProblemGroupSerializer

    def scoped_queryset(self):
        user = self.request.user
        groups = ProblemGroup.objects.filter(pk__in=list_selectors.members_in_scope(user).values("group_id"))
        if self.action == "list":
            code = (self.request.query_params.get("school") or "").strip()
            if code:
                school = selectors.schools_for(user).filter(code=code).values_list("pk", flat=True).first()
                if school is None:
                    selectors.record_scope_violation(self.request, "学校", {"school": code[:20]})
                    refusal = PermissionDenied(f"学校“{code[:20]}”不在您的数据范围内")
                    refusal.audited = True
                    raise refusal
                groups = groups.filter(pk__in=ProblemMember.objects.filter(student__school_id=school)
                                       .values("group_id"))
            since = updated_since(self.request)
            if since:
                groups = groups.filter(updated_at__gte=since)
            state = _choice(self.request, "state", GroupState.values, "处理状态")
            if state:
                groups = groups.filter(state=state)
            kind = _choice(self.request, "kind", ProblemKind.values, "问题学籍类型")
            if kind:
                groups = groups.filter(kind=kind)
            historical = _choice(self.request, "historical", ("true", "false", "1", "0"), "取值")
            if historical:
                groups = groups.filter(historical=historical in ("true", "1"))
        members = ProblemMember.objects.select_related(
            "student__school", "business__current_school", "business__current_authority").order_by("-rank", "-student_id")
        return (groups.select_related("arbiter").prefetch_related(Prefetch("members", queryset=members))
                .order_by("updated_at", "pk"))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(group_data(page, request.user))

    def retrieve(self, request, *args, **kwargs):
        return Response(group_data([self.get_object()], request.user)[0])
