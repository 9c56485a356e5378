from django.urls import path

from . import views

app_name = "promotion"

urlpatterns = [
    path("", views.index, name="index"),
    path("school/<int:pk>/", views.school_report, name="school_report"),
]
