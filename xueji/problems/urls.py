from django.urls import path

from . import views

app_name = "problems"

urlpatterns: list = [
    path("<int:pk>/", views.group_detail, name="group"),
]
