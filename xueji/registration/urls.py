from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/<str:entry>/", views.template_download, name="template"),
    path("upload/<str:entry>/", views.upload, name="upload"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/failed-rows.xlsx", views.upload_failed_rows, name="upload_failed_rows"),
    path("single/<str:entry>/", views.single_entry, name="single_entry"),
    path("pending/", views.pending, name="pending"),
    path("review/", views.authority_review, name="authority_review"),
    path("<int:pk>/", views.registration_detail, name="detail"),
    path("reverify/", views.reverify, name="reverify"),
]

# 学前调档 (F-45) and 首次数据采集 (F-46), appended to the end of the list.
from . import views_preschool  # noqa: E402

urlpatterns += [
    path("preschool/", views_preschool.preschool_list, name="preschool_list"),
    path("preschool/new/", views_preschool.preschool_add, name="preschool_add"),
    path("preschool/import/", views_preschool.preschool_import, name="preschool_import"),
    path("preschool/template/", views_preschool.preschool_template, name="preschool_template"),
    path("preschool/export/", views_preschool.preschool_export, name="preschool_export"),
    path("preschool/<int:pk>/edit/", views_preschool.preschool_edit, name="preschool_edit"),
    path("preschool/<int:pk>/confirm/", views_preschool.preschool_confirm, name="preschool_confirm"),
    path("preschool/supplement/", views_preschool.preschool_supplement_list, name="preschool_supplement_list"),
    path("preschool/<int:pk>/supplement/", views_preschool.preschool_supplement, name="preschool_supplement"),
    path("collection/", views_preschool.initial_collection, name="initial_collection"),
]
