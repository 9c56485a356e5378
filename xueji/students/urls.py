from django.urls import path

from . import views

app_name = "students"

urlpatterns = [
    path("record-cards/", views.record_card_list, name="record_card_list"),
    path("record-cards/export/", views.record_card_export, name="record_card_export"),
    path("record-cards/<int:pk>/", views.record_card_download, name="record_card_download"),
    path("record-cards/<int:pk>/view/", views.record_card_detail, name="record_card_detail"),
]
