from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "xueji.students"
    label = "students"
    verbose_name = "学籍"

    def ready(self) -> None:
        from xueji.audit import rules
        from xueji.codes import tables

        from . import jobs
        from .fields import MEMBER_FIELDS, STUDENT_FIELDS

        # 学籍卡批量导出 (F-49), a background job; its audit actions
        jobs.register_kinds()
        rules.ACTION_LABELS.setdefault("students.record_card_exported", "导出学籍卡")
        rules.ACTION_LABELS.setdefault("students.record_cards_exported", "批量导出学籍卡")
        rules.ACTION_AREAS.setdefault("students", "学籍卡")
        rules.register_field_labels({"format": "格式"})

        # 审计日志: the record's fields (a registration's payload, a change's before/after)
        # by their template headers, and coded values by their names ("1 男").
        members = MEMBER_FIELDS[1]
        rules.register_field_labels({f.attr: f.header for f in STUDENT_FIELDS})
        rules.register_field_labels({f.attr: f.header.removeprefix("成员1") for f in members})
        rules.register_field_labels({"values": "学籍信息", "family": "家庭成员", "klass_id": "班级"})
        for field in (*STUDENT_FIELDS, *members):
            if field.code_table:
                rules.register_value_labels(
                    field.attr, lambda code, table=field.code_table: tables.label(table, code) or None)
