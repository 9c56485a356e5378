from django.apps import AppConfig

#: Chinese names of the audit actions this app records (shown in 审计日志).
ACTION_LABELS = {
    "workflow.configs_loaded": "加载默认业务流程配置",
    "workflow.config_saved": "保存业务流程配置",
    "workflow.config_deleted": "删除业务流程配置",
    "workflow.window_created": "设置业务时间控制",
    "workflow.window_deleted": "删除业务时间控制",
    "workflow.initiated": "发起业务",
    "workflow.material_added": "上传证明材料",
    "workflow.decided": "业务审核",
    "workflow.batch_decided": "全部审核",
    "workflow.withdrawn": "撤销业务",
    "workflow.terminated": "系统结束业务",
    "workflow.cleared": "在办业务清理",
    "workflow.hold_set": "业务暂停审核",
    "workflow.hold_released": "解除业务暂停",
    "workflow.discarded": "撤回未开始的业务",
    "workflow.revealed": "查看完整证件号",
    "workflow.batch_created": "发起批量业务",
    "workflow.batch_reviewed": "批量业务审核",
    "workflow.batch_cancelled": "撤销批量业务",
    "workflow.batch_ended": "批量业务结束",
    "workflow.batch_applied": "批量业务执行",
    "workflow.batch_finished": "批量业务执行完毕",
}

#: Chinese labels of the keys this app writes in audit entries' before/after (fields of
#: the business model are labelled from the model).
FIELD_LABELS = {
    "decision": "审核记录", "deadline_days": "办理期限(工作日)", "passed": "审核通过", "opinion": "审核意见", "level": "审核环节",
    "material": "证明材料", "size": "文件大小(字节)", "sha256": "文件摘要(SHA-256)",
    "businesses": "业务", "discarded": "撤回的业务", "decided": "已审核的业务",
    "skipped": "跳过的业务", "withdrawn": "撤销的业务", "kinds": "业务类型", "held": "暂停的业务",
    "released": "解除暂停的业务", "holds": "暂停原因", "hold": "暂停原因",
    "business_type": "业务类型", "business_types": "业务类型", "categories": "办学类型",
    "category": "办学类型", "stages": "教育阶段", "levels": "审核环节", "updated": "修改数量",
    "scope": "作用范围", "chain": "审核流程", "payload": "业务内容", "starts_at": "开始时间",
    "ends_at": "结束时间", "position": "当前环节序号", "current_level": "当前审核环节",
    "current_authority": "当前审核单位", "authority_id": "审核单位", "unit": "单位",
    "current_school": "当前审核学校", "parties": "业务当事方", "party": "当事方", "shared": "共同审核的当事方",
    "school_id": "学校", "effects": "业务效果", "summary": "摘要", "classes": "班级", "criteria": "选择条件",
    "total": "学生数", "succeeded": "成功数", "failed": "未能办理的学生",
}


class WorkflowConfig(AppConfig):
    name = "xueji.workflow"
    label = "workflow"
    verbose_name = "业务审批"

    def ready(self) -> None:
        from xueji.audit import rules

        from . import registry
        from .models import Level

        for code, label in ACTION_LABELS.items():
            rules.ACTION_LABELS.setdefault(code, label)
        rules.register_field_labels(FIELD_LABELS)
        levels = dict(Level.choices)
        rules.register_value_labels("kind", lambda code: registry.find(code) and registry.type_name(code))
        rules.register_value_labels("kinds", lambda code: registry.find(code) and registry.type_name(code))
        rules.register_value_labels("business_type", lambda code: registry.find(code) and registry.type_name(code))
        rules.register_value_labels("business_types", lambda code: registry.find(code) and registry.type_name(code))
        for key in ("level", "levels", "current_level"):
            rules.register_value_labels(key, levels)
        party_names = {p.role: p.name for t in registry.all_types() for p in t.all_parties}
        for key in ("party", "shared"):
            rules.register_value_labels(key, lambda role: party_names.get(role))
        for key in ("hold", "holds"):
            rules.register_value_labels(key, lambda code: (h := registry.find_hold(code)) and h.name)
