"""The audit-log search form (审计日志查询条件)."""

from __future__ import annotations

from django import forms

from . import rules


class AuditSearchForm(forms.Form):
    date_from = forms.DateField(
        label="开始日期", required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    date_to = forms.DateField(
        label="结束日期", required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    action = forms.CharField(
        label="操作类型", required=False, max_length=64,
        help_text="完整代码(如 auth.login_failed)或类别(如 auth)",
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "list": "audit-actions"}),
    )
    actor = forms.CharField(
        label="操作人", required=False, max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                      "placeholder": "用户名或姓名"}),
    )
    object_id = forms.CharField(
        label="对象标识", required=False, max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    ip = forms.CharField(
        label="IP 地址", required=False, max_length=45,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                      "placeholder": "完整地址或开头部分"}),
    )
    text = forms.CharField(
        label="摘要包含", required=False, max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("开始日期不能晚于结束日期")
        return data

    @staticmethod
    def action_choices() -> list[tuple[str, str]]:
        """Suggestions for the action field: the areas, then the known codes."""
        return [*rules.ACTION_AREAS.items(), *rules.ACTION_LABELS.items()]
