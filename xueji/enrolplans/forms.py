from django import forms

from xueji.students.forms import SheetUploadForm


class PlanSheetForm(SheetUploadForm):
    file = forms.FileField(label="填好的招生计划数Excel文件",
                           help_text="请使用本页下载的模板(.xlsx),填写“招生计划数”一列;未填写的行不改动")
