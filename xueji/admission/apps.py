from django.apps import AppConfig

#: Audit actions of 招生入学 (their Chinese names in the audit log).
ACTION_LABELS = {
    "admission.setting_saved": "设置招生结果导入配置",
    "admission.imported": "导入招生结果",
    "admission.entered": "手工录入招生结果",
    "admission.deleted": "删除招生结果",
    "admission.admitted": "录取新生",
    "admission.reviewed": "录取审核",
    "admission.retrieved": "调取新生档案",
    "admission.placed": "分班",
    "admission.duplicate_found": "发现重复招生",
    "admission.withdrawn": "撤销录取",
    "admission.confirmed": "确认录取",
}


class AdmissionConfig(AppConfig):
    """招生入学 (SPEC F-63 import settings, F-64): 招生结果导入设置, 招生结果管理, 录取新生,
    录取审核, 调取新生档案, 分班, 省内招生升学查询."""

    name = "xueji.admission"
    label = "admission"
    verbose_name = "招生入学"

    def ready(self) -> None:
        from xueji.audit import rules as audit_rules

        from . import services

        services.register()
        for code, label in ACTION_LABELS.items():
            audit_rules.ACTION_LABELS.setdefault(code, label)
