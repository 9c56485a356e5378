from django.urls import path

from . import (
    batch_edit_views,
    key_change_views,
    maintenance_views,
    status_change_views,
    transfer_views,
    views_deletion,
)

app_name = "changes"

urlpatterns: list = [
    # 关键数据变更 (key_change_views.py)
    path("key-changes/apply/", key_change_views.key_change_apply, name="key_change_apply"),
    path("key-changes/", key_change_views.key_change_list, name="key_change_list"),
    # 学籍异动 (status_change_views.py)
    path("status-changes/apply/", status_change_views.status_change_apply, name="status_change_apply"),
    path("status-changes/", status_change_views.status_change_list, name="status_change_list"),
    # 误操作删除 (F-34)
    path("mistaken-deletions/", views_deletion.mistaken_deletion_list, name="mistaken_deletion_list"),
    path("mistaken-deletions/new/", views_deletion.mistaken_deletion_apply, name="mistaken_deletion_apply"),
    path("mistaken-deletions/<int:pk>/decide/", views_deletion.mistaken_deletion_decide,
         name="mistaken_deletion_decide"),
    path("mistaken-deletions/<int:pk>/cancel/", views_deletion.mistaken_deletion_cancel,
         name="mistaken_deletion_cancel"),
    # 学籍数据维护 (maintenance_views.py)
    path("maintenance/", maintenance_views.maintenance, name="maintenance"),
    # 非关键信息批量修改 (batch_edit_views.py)
    path("batch-edit/", batch_edit_views.batch_edit, name="batch_edit"),
    path("batch-edit/export/", batch_edit_views.batch_edit_export, name="batch_edit_export"),
    path("batch-edit/import/", batch_edit_views.batch_edit_import, name="batch_edit_import"),
    path("records/<int:pk>/", maintenance_views.record, name="record"),
    path("records/<int:pk>/photo/", maintenance_views.record_photo, name="record_photo"),
    # 省内转学 (F-48) and 学生学籍转移 (F-92)
    path("transfers/", transfer_views.transfer_list, name="transfer_list"),
    path("transfers/apply/", transfer_views.transfer_apply, name="transfer_apply"),
    path("transfers/placement/", transfer_views.transfer_placement, name="transfer_placement"),
    path("transfers/placement/<int:pk>/", transfer_views.transfer_place, name="transfer_place"),
    path("record-transfers/", transfer_views.record_transfer_list, name="record_transfer_list"),
    path("record-transfers/confirm/", transfer_views.record_transfer_confirm, name="record_transfer_confirm"),
    path("record-transfers/<int:pk>/cancel/", transfer_views.record_transfer_cancel, name="record_transfer_cancel"),
    path("record-transfers/<int:pk>/decide/", transfer_views.record_transfer_decide, name="record_transfer_decide"),
]
