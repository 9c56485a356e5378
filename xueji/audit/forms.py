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
    action = forms.ChoiceField(
        label="操作类型", required=False, choices=(),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = self.action_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("开始日期不能晚于结束日期")
        return data

    @staticmethod
    def action_choices() -> list:
        """全部; each area (all its actions); then each known action under its area."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for code, label in rules.ACTION_LABELS.items():
            groups.setdefault(code.split(".", 1)[0], []).append((code, label))
        choices: list = [("", "全部")]
        choices += [(area, f"{name}(全部)") for area, name in rules.ACTION_AREAS.items()]
        for area, items in groups.items():
            choices.append((rules.ACTION_AREAS.get(area, "其他"), items))
        return choices
