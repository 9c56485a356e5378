"""The API's exception handler: DRF's, plus an audit entry for every refusal of a role
(403), like the pages' 403 handler (``xueji.portal.views.permission_denied``). A refusal
already audited (an out-of-scope filter, audited as ``scope.denied``) carries
``audited = True`` and is not audited twice."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from xueji.audit.services import record_event


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if isinstance(exc, exceptions.PermissionDenied) and not getattr(exc, "audited", False):
        request = context.get("request")
        if request is not None:
            user = getattr(request, "user", None)
            record_event(
                action="auth.permission_denied",
                summary=f"接口无权操作被拒绝:{exc.detail} {request.method} {request.path}"[:500],
                actor=user if user is not None and user.is_authenticated else None, request=request,
                after={"path": request.path[:300], "method": request.method, "reason": str(exc.detail)[:200]},
            )
    return response
