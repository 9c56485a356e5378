from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import admission_views, dupadmission_views, problems_views, views

app_name = "api"

router = DefaultRouter()
router.register("divisions", views.DivisionViewSet, basename="division")
router.register("authorities", views.AuthorityViewSet, basename="authority")
router.register("schools", views.SchoolViewSet, basename="school")
router.register("grades", views.GradeViewSet, basename="grade")
router.register("classes", views.SchoolClassViewSet, basename="class")
router.register("registration/uploads", views.UploadViewSet, basename="registration-upload")
router.register("students", views.StudentViewSet, basename="student")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("jobs", views.JobViewSet, basename="job")
router.register("problems", problems_views.ProblemGroupViewSet, basename="problem")
router.register("admissions", admission_views.AdmissionViewSet, basename="admission")
router.register("admission-duplicates", dupadmission_views.DuplicateAdmissionViewSet, basename="admission-duplicate")

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("", include(router.urls)),
]
