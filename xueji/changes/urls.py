from django.urls import path

from . import key_change_views, status_change_views

app_name = "changes"

urlpatterns: list = [
    # 关键数据变更 (key_change_views.py)
    path("key-changes/apply/", key_change_views.key_change_apply, name="key_change_apply"),
    path("key-changes/", key_change_views.key_change_list, name="key_change_list"),
    # 学籍异动 (status_change_views.py)
    path("status-changes/apply/", status_change_views.status_change_apply, name="status_change_apply"),
    path("status-changes/", status_change_views.status_change_list, name="status_change_list"),
]
