from django.urls import path

from . import views

app_name = "graduation"

urlpatterns = [
    path("", views.graduation, name="graduation"),
    path("past/", views.past_graduation, name="past"),
    path("batches/<int:pk>/execute/", views.execute, name="execute"),
    path("graduates/", views.graduates, name="graduates"),
    path("graduates/<int:pk>/destination/", views.destination, name="destination"),
    path("graduates/export/", views.export, name="export"),
    path("graduates/import/", views.destinations_import, name="destinations_import"),
    path("settings/", views.graduation_settings, name="settings"),
    path("returns/", views.returns, name="returns"),
    path("returns/<int:pk>/", views.return_graduate, name="return_graduate"),
]
