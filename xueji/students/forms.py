"""Forms shared by the feature apps that take a filled-in sheet of the 72-item template
(学籍注册导入, 首次数据采集, 学前调档名单, 非关键信息批量修改)."""

from __future__ import annotations

from django import forms

from .excel import check_upload

#: The largest sheet accepted (a 100,000-row template is about 20 MB).
MAX_UPLOAD_BYTES = 30 * 1024 * 1024


class SheetUploadForm(forms.Form):
    """An Excel file: .xlsx/.xls by name, at most 30 MB, and within the expanded-size,
    shared-string and row bounds (``excel.check_upload``) before any work starts."""

    file = forms.FileField(label="选择Excel文件", help_text="请使用下载的模板(.xlsx),按表头填写,列的顺序不限")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".xls")):
            raise forms.ValidationError("只能导入Excel文件(.xlsx)")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件不能超过30MB,请分批导入")
        check_upload(upload)  # expanded size, shared strings, rows: before any work
        return upload
