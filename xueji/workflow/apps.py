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
}


class WorkflowConfig(AppConfig):
    name = "xueji.workflow"
    label = "workflow"
    verbose_name = "业务审批"

    def ready(self) -> None:
        from xueji.audit import rules

        for code, label in ACTION_LABELS.items():
            rules.ACTION_LABELS.setdefault(code, label)
