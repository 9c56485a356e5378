from django.urls import path

from . import list_urls, views

app_name = "problems"

urlpatterns: list = [
    path("<int:pk>/", views.group_detail, name="group"),
    path("<int:pk>/members/<int:member>/<str:method>/", views.handle, name="handle"),
    path("<int:pk>/arbitrate/", views.arbitrate, name="arbitrate"),
    path("<int:pk>/remind/", views.remind, name="remind"),
    path("<int:pk>/materials/<int:material>/", views.material, name="material"),
    path("settings/", views.settings_page, name="settings"),
]
urlpatterns += list_urls.urlpatterns
