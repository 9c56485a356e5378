"""Forms of the workflow pages. They parse input only; the services check the rules."""

from __future__ import annotations

from django import forms

from xueji.org.models import SchoolCategory, Stage

from . import registry, rules
from .models import Level

_CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
_SELECT = {"class": "form-select form-select-sm"}
_INPUT = {"class": "form-control form-control-sm"}


def _type_choices(blank: bool = False, open_only: bool = False) -> list[tuple[str, str]]:
    """The types to choose from: every type (configurations, time windows are set ahead),
    or ``open_only`` those that can be handled now (filters of businesses)."""
    choices = registry.open_type_choices() if open_only else registry.type_choices()
    return [("", "全部"), *choices] if blank else choices


def _deadline_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="办理期限(工作日)", min_value=1, max_value=rules.DEADLINE_MAX_DAYS, required=False,
        initial=rules.DEFAULT_DEADLINE_DAYS, widget=forms.NumberInput(attrs=_INPUT),
        help_text=f"每个审核环节须在此期限内办理,周六、周日不计;超期的业务出现在待办事项中。不填:新增为"
                  f"{rules.DEFAULT_DEADLINE_DAYS}个工作日,修改时保持不变",
    )


class ConfigFilterForm(forms.Form):
    """查询条件 of 业务流程配置."""

    business_type = forms.ChoiceField(label="业务类型", required=False, widget=forms.Select(attrs=_SELECT))
    stage = forms.ChoiceField(label="教育阶段", required=False, choices=[("", "全部"), *Stage.choices],
                              widget=forms.Select(attrs=_SELECT))
    category = forms.ChoiceField(label="办学类型", required=False, choices=[("", "全部"), *SchoolCategory.choices],
                                 widget=forms.Select(attrs=_SELECT))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_type"].choices = _type_choices(blank=True)


class ConfigCreateForm(forms.Form):
    """业务流程配置新增: several types × 办学类型 × 教育阶段 for one scope at once."""

    business_types = forms.MultipleChoiceField(label="业务名称", widget=_CHECKBOXES)
    categories = forms.MultipleChoiceField(label="办学类型", choices=SchoolCategory.choices, widget=_CHECKBOXES)
    stages = forms.MultipleChoiceField(label="教育阶段", choices=Stage.choices, widget=_CHECKBOXES)
    scope = forms.ModelChoiceField(label="作用范围", queryset=None, widget=forms.Select(attrs=_SELECT))
    levels = forms.MultipleChoiceField(label="审核环节", choices=Level.choices, widget=_CHECKBOXES,
                                       help_text="按 学校 → 主管教育局 → 地市 → 省级 → 教育部 的顺序逐级审核")
    deadline_days = _deadline_field()

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_types"].choices = _type_choices()
        self.fields["scope"].queryset = scopes


class ConfigEditForm(forms.Form):
    levels = forms.MultipleChoiceField(label="审核环节", choices=Level.choices, widget=_CHECKBOXES,
                                       help_text="按 学校 → 主管教育局 → 地市 → 省级 → 教育部 的顺序逐级审核")
    deadline_days = _deadline_field()


class DecisionForm(forms.Form):
    opinion = forms.CharField(label="审核意见", required=False, max_length=500,
                              widget=forms.Textarea(attrs={**_INPUT, "rows": 2}),
                              help_text="审核不通过时必须填写审核意见")


class MaterialForm(forms.Form):
    file = forms.FileField(label="证明材料", help_text="JPG 或 PNG 图片,不超过 2MB",
                           widget=forms.ClearableFileInput(attrs={**_INPUT, "accept": "image/jpeg,image/png"}))


class OpenFilterForm(forms.Form):
    """查询条件 of 在办业务查询."""

    kind = forms.ChoiceField(label="业务类型", required=False, widget=forms.Select(attrs=_SELECT))
    school = forms.CharField(label="学校标识码", required=False, max_length=10, widget=forms.TextInput(attrs=_INPUT))
    level = forms.ChoiceField(label="当前审核环节", required=False, choices=[("", "全部"), *Level.choices],
                              widget=forms.Select(attrs=_SELECT))
    min_days = forms.IntegerField(label="在办天数≥", required=False, min_value=0, max_value=3650,
                                  widget=forms.NumberInput(attrs=_INPUT))
    overdue = forms.BooleanField(label="只看超期", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _type_choices(blank=True, open_only=True)


class WindowForm(forms.Form):
    """业务时间控制."""

    business_types = forms.MultipleChoiceField(label="暂停的业务", widget=_CHECKBOXES)
    starts_at = forms.DateTimeField(label="开始时间",
                                    widget=forms.DateTimeInput(attrs={**_INPUT, "type": "datetime-local"}))
    ends_at = forms.DateTimeField(label="结束时间",
                                  widget=forms.DateTimeInput(attrs={**_INPUT, "type": "datetime-local"}))
    note = forms.CharField(label="说明", required=False, max_length=200, widget=forms.TextInput(attrs=_INPUT))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business_types"].choices = _type_choices()
