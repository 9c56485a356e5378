"""The URL map for the workflow page tests: the real workflow, common, accounts and org
URLs, without apps still being built elsewhere (so a half-written app can't break these
tests)."""

from django.urls import include, path

urlpatterns = [
    path("", include("xueji.portal.urls")),
    path("accounts/", include("xueji.accounts.urls")),
    path("org/", include("xueji.org.urls")),
    path("workflow/", include("xueji.workflow.urls")),
]
