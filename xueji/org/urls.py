from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("schools/", views.school_list, name="school_list"),
    path("schools/new/", views.school_create, name="school_create"),
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("schools/<int:pk>/edit/", views.school_edit, name="school_edit"),
    path("schools/<int:pk>/campuses/new/", views.campus_create, name="campus_create"),
    path("my-school/", views.my_school, name="my_school"),
    path("my-school/grades/", views.my_school_grades, name="my_school_grades"),
    path("terms/", views.term_list, name="term_list"),
    path("divisions/", views.division_list, name="division_list"),
    path("divisions/children/", views.division_children, name="division_children"),
]
