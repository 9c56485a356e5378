from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """日常管理: 学籍数据维护, 非关键信息批量修改, 关键数据变更, 学籍异动, 省内转学,
    误操作删除, 学生学籍转移 (SPEC F-34, F-43, F-44, F-47, F-48, F-92)."""

    name = "xueji.changes"
    label = "changes"
    verbose_name = "日常管理"

    def ready(self) -> None:
        from xueji.workflow.registry import set_handlers

        from . import deletion

        # 误操作删除 (F-34): the effect of the engine's type ``mistaken_delete``
        set_handlers(deletion.KIND, on_complete=deletion.complete_deletion, payload=deletion.PAYLOAD)
