from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("students/", views.students, name="students"),
    path("students/export/", views.students_export, name="students_export"),
    path("students/photos/", views.students_photos, name="students_photos"),
    path("search/", views.student_search, name="student_search"),
    path("search/export/", views.student_search_export, name="student_search_export"),
    path("search/photos/", views.student_search_photos, name="student_search_photos"),
]
