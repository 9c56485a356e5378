"""Forms of 学籍注册: the upload and the single entry built from the field catalogue."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes
from xueji.students import fields
from xueji.students.fields import FIELDS
from xueji.workflow.rules import check_material

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
                # A drop-down, but validated by the field rules (which also accept names),
                # not by the form: one rule, one place.
                choices = [("", "请选择")] + list(codes.choices(field.code_table))
                self.fields[field.header] = forms.CharField(
                    label=field.header, required=False, widget=forms.Select(choices=choices),
                )
            else:
                self.fields[field.header] = forms.CharField(
                    label=field.header, required=False, max_length=field.max_length or 200,
                    help_text=field.help or "",
                )
        self.school = school
        initial_type = {"resident": "1", "no-id": "Z"}.get(fields.entry(entry).kind)
        if initial_type:
            self.fields["身份证件类型"].initial = initial_type
        self.fields["国籍/地区"].initial = "CHN"
        self.fields["港澳台侨外"].initial = "00"
        if fields.entry(entry).kind == "no-id":
            self.fields["proof"] = forms.FileField(
                label="无身份证号学生在校就读证明", help_text="JPG或PNG图片,不超过2MB(学生和家长签字、学校盖章)",
            )

        for form_field in self.fields.values():
            widget = form_field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        data = proof.read()
        proof.seek(0)
        check = check_material(proof.name, data)
        if not check.ok:
            raise forms.ValidationError(check.errors)
        return proof

    def raw_row(self) -> dict:
        row = {header: value for header, value in self.cleaned_data.items()
               if value not in (None, "") and header != "proof"}
        row["学校标识码"] = self.school.code
        return row
