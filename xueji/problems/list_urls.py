"""The URLs of the 问题学籍 lists, query, overview and 催办 (included by ``urls``)."""

from django.urls import path

from . import list_views

urlpatterns: list = [
    path("", list_views.index, name="index"),
    path("handle/", list_views.handle_list, name="handle_list"),
    path("review/", list_views.review_list, name="review_list"),
    path("arbitration/", list_views.arbitration_list, name="arbitration_list"),
    path("cross-province/", list_views.cross_province_list, name="cross_province_list"),
    path("cross-province/review/", list_views.cross_province_review_list, name="cross_province_review_list"),
    path("cross-province/arbitration/", list_views.cross_province_arbitration_list,
         name="cross_province_arbitration_list"),
    path("export/<str:key>/", list_views.list_export, name="list_export"),
    path("overview/", list_views.overview, name="overview"),
    path("reminders/", list_views.reminders, name="reminders"),
]
