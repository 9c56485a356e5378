from django.urls import path

from . import views

app_name = "admission"

urlpatterns = [
    path("settings/junior/", views.import_settings, {"stage": "2"}, name="junior_import_settings"),
    path("settings/senior/", views.import_settings, {"stage": "3"}, name="senior_import_settings"),
    path("results/", views.results, name="results"),
    path("results/template/", views.template, name="template"),
    path("results/import/", views.import_sheet, name="import"),
    path("results/enter/", views.enter, name="enter"),
    path("results/<int:pk>/delete/", views.delete, name="delete"),
    path("admit/", views.admit, name="admit"),
    path("retrieve/", views.retrieve, name="retrieve"),
    path("placement/", views.placement, name="placement"),
    path("progression/", views.progression, name="progression"),
]
