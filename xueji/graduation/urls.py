from django.urls import path

from . import views

app_name = "graduation"

urlpatterns = [
    path("", views.graduation, name="graduation"),
    path("past/", views.past_graduation, name="past"),
    path("batches/<int:pk>/execute/", views.execute, name="execute"),
    path("graduates/", views.graduates, name="graduates"),
    path("graduates/<int:pk>/destination/", views.destination, name="destination"),
    path("returns/", views.returns, name="returns"),
    path("returns/<int:pk>/", views.return_graduate, name="return_graduate"),
]
