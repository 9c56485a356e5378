from django.apps import AppConfig

#: Audit actions of 省内转学 and 学生学籍转移 (their Chinese names in the audit log).
TRANSFER_ACTION_LABELS = {
    "changes.transfer_lookup": "省内转学查询学生",
    "changes.transfer_placed": "转入学生分班",
    "changes.record_transfer_confirmed": "学籍转入确认",
    "changes.record_transfer_refused": "学籍转入拒绝",
}

#: Chinese labels of the keys 省内转学 and 学籍转移 write in audit entries' before/after.
TRANSFER_FIELD_LABELS = {
    "found": "是否找到", "klass": "班级", "placement": "待分班记录", "from_school": "转出学校",
    "to_school": "转入学校", "grade": "年级",
}


class ChangesConfig(AppConfig):
    """日常管理: 学籍数据维护, 非关键信息批量修改, 关键数据变更, 学籍异动, 省内转学,
    误操作删除, 学生学籍转移 (SPEC F-34, F-43, F-44, F-47, F-48, F-92)."""

    name = "xueji.changes"
    label = "changes"
    verbose_name = "日常管理"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules
        from xueji.workflow.registry import set_handlers

        from . import deletion, key_changes, status_changes

        # 关键数据变更, 学籍异动: their effects on the engine's types, their audit labels.
        key_changes.register()
        status_changes.register()
        for labels in (key_changes.ACTION_LABELS, status_changes.ACTION_LABELS):
            for code, label in labels.items():
                audit_rules.ACTION_LABELS.setdefault(code, label)
        audit_rules.ACTION_AREAS.setdefault("changes", "日常管理")
        audit_rules.register_field_labels(key_changes.FIELD_LABELS)
        # 误操作删除 (F-34): the effect of the engine's type ``mistaken_delete``
        set_handlers(deletion.KIND, on_complete=deletion.complete_deletion, payload=deletion.PAYLOAD)
        # 学籍数据维护: its audit labels
        from . import batch_edit, maintenance_services

        maintenance_services.register_audit_labels()
        # 非关键信息批量修改: its two job kinds
        batch_edit.register_kinds()
        # 省内转学 (F-48), 学生学籍转移 (F-92)
        from . import transfer_services

        transfer_services.register()
        for code, label in TRANSFER_ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
        audit_rules.register_field_labels(TRANSFER_FIELD_LABELS)
