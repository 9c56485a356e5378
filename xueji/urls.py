"""URL map: one include per domain app."""

from django.urls import include, path

urlpatterns = [
    path("", include("xueji.portal.urls")),
    path("accounts/", include("xueji.accounts.urls")),
    path("org/", include("xueji.org.urls")),
    path("audit/", include("xueji.audit.urls")),
    path("codes/", include("xueji.codes.urls")),
    path("workflow/", include("xueji.workflow.urls")),
    path("registration/", include("xueji.registration.urls")),
    path("students/", include("xueji.students.urls")),
    path("changes/", include("xueji.changes.urls")),
    path("promotion/", include("xueji.promotion.urls")),
    path("reports/", include("xueji.reports.urls")),
    path("problems/", include("xueji.problems.urls")),
    path("graduation/", include("xueji.graduation.urls")),
    path("enrolplans/", include("xueji.enrolplans.urls")),
    path("admission/", include("xueji.admission.urls")),
    path("dupadmission/", include("xueji.dupadmission.urls")),
    path("jobs/", include("xueji.jobs.urls")),
    path("api/v1/", include("xueji.api.urls")),
]

handler403 = "xueji.portal.views.permission_denied"
handler404 = "xueji.portal.views.page_not_found"
handler500 = "xueji.portal.views.server_error"
