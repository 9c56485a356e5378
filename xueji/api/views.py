"""Read endpoints for the organisation (F-84), scoped exactly like the pages: every
queryset comes from ``xueji.org.selectors``. A filter naming a unit outside the caller's
scope is refused (403) and audited, not silently answered with an empty list."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.exceptions import NotFound, PermissionDenied

from xueji.org import selectors

from .serializers import (
    AuthoritySerializer,
    DivisionSerializer,
    GradeSerializer,
    SchoolClassSerializer,
    SchoolSerializer,
)


class ScopedReadViewSet(viewsets.ReadOnlyModelViewSet):
    """Base: ``scoped_queryset`` from a selector; ``filters`` maps query parameters to
    (lookup, the selector of the units that parameter may name, what it names)."""

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
            if not allowed(self.request.user).filter(**{field: value}).exists():
                selectors.record_scope_violation(self.request, what, {param: value})
                raise PermissionDenied(f"{what}“{value}”不在您的数据范围内")
            queryset = queryset.filter(**{lookup: value})
        return queryset

    def get_object(self):
        queryset = self.get_queryset()
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
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
        since = self.request.query_params.get("updated_since")
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
