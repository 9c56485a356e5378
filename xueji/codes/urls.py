from django.urls import path

from . import views

app_name = "codes"

urlpatterns: list = [
    path("", views.table_list, name="table_list"),
    path("<str:key>/", views.table_detail, name="table_detail"),
]
