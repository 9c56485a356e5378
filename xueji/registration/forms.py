"""Forms of 学籍注册: the upload and the single entry built from the field catalogue."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes
from xueji.students.fields import FIELDS

from .models import Entry

MAX_UPLOAD_BYTES = 30 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="选择Excel文件", help_text="请使用下载的模板(.xlsx),按表头填写,列的顺序不限")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls")):
            raise forms.ValidationError("只能导入Excel文件(.xlsx)")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件不能超过30MB,请分批导入")
        return upload


class SingleEntryForm(forms.Form):
    """单个录入: one field per template column (the same catalogue as the Excel import),
    so the same rules apply."""

    def __init__(self, *args, entry: Entry, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        for field in FIELDS:
            if field.header == "学校标识码":
                continue
            if field.header == "班号":
                choices = [("", "请选择")] + [
                    (c.code, f"{c.code} {c.grade.name}{c.name}")
                    for c in school.classes.select_related("grade").order_by("code")
                ]
                self.fields[field.header] = forms.ChoiceField(label="班级", choices=choices, required=True)
                continue
            if field.code_table:
                choices = [("", "请选择")] + list(codes.choices(field.code_table))
                self.fields[field.header] = forms.ChoiceField(label=field.header, choices=choices, required=False)
            else:
                self.fields[field.header] = forms.CharField(
                    label=field.header, required=False, max_length=field.max_length or 200,
                    help_text=field.help or "",
                )
        self.school = school

    def raw_row(self) -> dict:
        row = {header: value for header, value in self.cleaned_data.items() if value not in (None, "")}
        row["学校标识码"] = self.school.code
        return row
