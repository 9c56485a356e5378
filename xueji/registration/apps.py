from django.apps import AppConfig

ACTION_LABELS = {
    "registration.upload": "上传注册Excel",
    "registration.upload_processed": "注册Excel导入完成",
    "registration.upload_undone": "注册Excel导入撤回",
    "registration.reported": "注册上报",
    "registration.failed_rows_exported": "导出注册未通过行",
    "registration.completed": "学籍注册完成",
    "registration.preschool_added": "学前调档名单新增",
    "registration.preschool_updated": "学前调档名单修改",
    "registration.preschool_deleted": "学前调档名单删除",
    "registration.preschool_confirmed": "确认学前学籍",
    "registration.preschool_rematched": "重新匹配学前学籍",
    "registration.preschool_supplemented": "学前档案信息补录",
    "registration.preschool_exported": "调档学生导出",
    "registration.initial_collection": "首次数据采集",
    "registration.initial_collection_batch": "首次数据采集(批)",
    "registration.initial_collection_withdrawn": "撤回未完成的首次数据采集",
    "registration.numbers_upgraded": "临时学籍号转正式学籍号",
    "problems.group_opened": "产生问题学籍",
    "api.student_read": "接口读取学生信息",
}
ACTION_AREAS = {"registration": "学籍注册", "problems": "问题学籍"}
#: Chinese labels of the keys this app writes in audit entries' before/after.
FIELD_LABELS = {
    "requests": "调档名单", "ref": "学前学籍", "registration": "注册申请", "template": "模板",
    "file": "文件", "failed": "未通过行数", "problem_groups": "问题学籍", "numbers": "学籍号",
    "classes_created": "新建班级数", "G": "G 字头", "J": "J 字头", "L": "L 字头",
    "gender": "性别", "birth_date": "出生日期", "id_type": "身份证件类型",
    "national_number": "全国学籍号", "class": "班级", "problem_groups_resolved": "已处理的问题学籍",
    "run": "采集记录", "job": "后台任务", "removed": "撤回的学籍", "kept": "保留的学籍",
    "classes_removed": "撤回的班级", "classes_kept": "保留的班级",
    "second_username": "第二账号", "second_name": "第二账号姓名",
}


class RegistrationConfig(AppConfig):
    name = "xueji.registration"
    label = "registration"
    verbose_name = "学籍注册"

    def ready(self) -> None:
        from xueji.audit import rules
        from xueji.workflow.registry import set_handlers

        from . import jobs, selectors, services

        for code in services.ENTRY_BUSINESS.values():
            set_handlers(code, on_complete=services.complete_registration,
                         on_complete_many=services.complete_registrations, on_end=services.end_registration,
                         on_end_many=services.end_registrations, payload=services.PAYLOAD,
                         facts=selectors.review_facts, fact_columns=selectors.FACT_COLUMNS)
        jobs.register_kinds()
        from xueji.students import verification

        verification.set_verifier(services.verify_people)
        for code, label in ACTION_LABELS.items():
            rules.ACTION_LABELS.setdefault(code, label)
        for code, label in ACTION_AREAS.items():
            rules.ACTION_AREAS.setdefault(code, label)
        rules.register_field_labels(FIELD_LABELS)
