"""Form of 学籍异动申请: 异动类别 (those the student's status allows), 异动日期, 异动原因,
调入班级 (复学, 入境复学, 恢复入学资格, 留级, 跳级), 证明材料."""

from __future__ import annotations

from django import forms

from .key_change_forms import _styled


class StatusChangeForm(forms.Form):
    kind = forms.ChoiceField(label="异动类别")
    date = forms.DateField(label="异动日期", input_formats=["%Y-%m-%d", "%Y%m%d"], help_text="格式YYYY-MM-DD",
                           widget=forms.DateInput(format="%Y-%m-%d"))
    reason = forms.CharField(label="异动原因", max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    klass = forms.TypedChoiceField(label="调入班级", coerce=int, required=False, empty_value=None,
                                   help_text="复学、入境复学、恢复入学资格、留级、跳级须选择")
    proof = forms.FileField(label="证明材料", help_text="JPG/PNG图片,不超过2MB")

    def __init__(self, *args, kinds=(), classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "请选择")] + [(t.code, t.name) for t in kinds]
        self.fields["klass"].choices = [("", "请选择")] + [(c.pk, c.label) for c in classes]
        _styled(self)
