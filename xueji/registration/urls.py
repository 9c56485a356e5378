from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("", views.index, name="index"),
    path("template/<str:entry>/", views.template_download, name="template"),
    path("upload/<str:entry>/", views.upload, name="upload"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("single/<str:entry>/", views.single_entry, name="single_entry"),
    path("pending/", views.pending, name="pending"),
    path("review/", views.authority_review, name="authority_review"),
    path("<int:pk>/", views.registration_detail, name="detail"),
]
