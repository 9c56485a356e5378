"""The project's URLs plus a view that fails (for the 500 page test)."""

from django.urls import path

from xueji.urls import handler403, handler404, handler500  # noqa: F401
from xueji.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom), *project_urls]
