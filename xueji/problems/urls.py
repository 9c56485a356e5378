from django.urls import path

from . import list_urls, views

app_name = "problems"

urlpatterns: list = [
    path("<int:pk>/", views.group_detail, name="group"),
]
urlpatterns += list_urls.urlpatterns
