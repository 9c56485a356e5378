"""A stand-in URL map for the audit page tests, used only while the project's own map
can't be loaded or lacks the names the page shell links to (other apps being built).
The audit URLs are the real ones; Django's default 403/404 views answer refusals."""

from django.http import HttpResponse
from django.urls import include, path


def _placeholder(request, *args, **kwargs):
    return HttpResponse("")


_common = ([path("", _placeholder, name="home")], "portal")
_accounts = (
    [
        path("login/", _placeholder, name="login"),
        path("logout/", _placeholder, name="logout"),
        path("password/", _placeholder, name="password_change"),
    ],
    "accounts",
)

urlpatterns = [
    path("", include(_common)),
    path("accounts/", include(_accounts)),
    path("audit/", include("xueji.audit.urls")),
]
