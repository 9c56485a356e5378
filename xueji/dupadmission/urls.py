from django.urls import path

from . import views

app_name = "dupadmission"

urlpatterns = [
    path("", views.handle_list, name="list"),
    path("review/", views.review_list, name="review_list"),
    path("arbitration/", views.arbitration_list, name="arbitration_list"),
    path("query/", views.query, name="query"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/arbitrate/", views.arbitrate, name="arbitrate"),
    path("admissions/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("admissions/<int:pk>/give-up/", views.give_up, name="give_up"),
    path("evidence/<int:pk>/", views.review, name="review"),
]
