from django.urls import path

from . import views_deletion

app_name = "changes"

urlpatterns: list = [
    # 误操作删除 (F-34)
    path("mistaken-deletions/", views_deletion.mistaken_deletion_list, name="mistaken_deletion_list"),
    path("mistaken-deletions/new/", views_deletion.mistaken_deletion_apply, name="mistaken_deletion_apply"),
    path("mistaken-deletions/<int:pk>/decide/", views_deletion.mistaken_deletion_decide,
         name="mistaken_deletion_decide"),
    path("mistaken-deletions/<int:pk>/cancel/", views_deletion.mistaken_deletion_cancel,
         name="mistaken_deletion_cancel"),
]
