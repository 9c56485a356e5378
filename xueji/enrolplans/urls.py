from django.urls import path

from . import views

app_name = "enrolplans"

urlpatterns = [
    path("", views.plans, name="plans"),
    path("set/", views.plan_set, name="plan_set"),
    path("template/", views.template, name="template"),
    path("import/", views.plan_import, name="import"),
    path("request/", views.change_request, name="change_request"),
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
]
