"""Forms of 省内转学 and 学生学籍转移: they parse input only; the services check the rules."""

from __future__ import annotations

from django import forms

_INPUT = {"class": "form-control form-control-sm"}
_SELECT = {"class": "form-select form-select-sm"}


class LookupForm(forms.Form):
    """省内转学申请's 查询: 全国学籍号 and 姓名, both required."""

    national_number = forms.CharField(label="全国学籍号", max_length=19, widget=forms.TextInput(attrs=_INPUT))
    name = forms.CharField(label="姓名", max_length=50, widget=forms.TextInput(attrs=_INPUT))


class ApplyForm(LookupForm):
    to_grade = forms.ChoiceField(label="转入年级", widget=forms.Select(attrs=_SELECT))
    reason = forms.CharField(label="转学理由", max_length=200, widget=forms.Textarea(attrs={**_INPUT, "rows": 2}))

    def __init__(self, *args, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_grade"].choices = [("", "请选择"), *((str(g.pk), g.name) for g in grades)]


DIRECTIONS = [("", "全部"), ("in", "转入"), ("out", "转出")]
STATES = [("", "全部"), ("open", "在办"), ("passed", "已调档"), ("failed", "审核不通过"), ("withdrawn", "已撤销")]


class TransferFilterForm(forms.Form):
    direction = forms.ChoiceField(label="方向", required=False, choices=DIRECTIONS, widget=forms.Select(attrs=_SELECT))
    state = forms.ChoiceField(label="状态", required=False, choices=STATES, widget=forms.Select(attrs=_SELECT))
    q = forms.CharField(label="姓名或学籍号", required=False, max_length=50, widget=forms.TextInput(attrs=_INPUT))
    overdue = forms.BooleanField(label="只看超期", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


BY_CHOICES = [("grade", "按年级"), ("class", "按班级"), ("students", "按学生")]


class RecordTransferForm(forms.Form):
    """学生学籍转移: the two schools by 学校标识码, and what to move."""

    from_school = forms.CharField(label="转出学校标识码", max_length=10, widget=forms.TextInput(attrs=_INPUT))
    to_school = forms.CharField(label="转入学校标识码", max_length=10, required=False,
                                widget=forms.TextInput(attrs=_INPUT))
    by = forms.ChoiceField(label="转移方式", choices=BY_CHOICES, required=False, widget=forms.Select(attrs=_SELECT))
    grade = forms.ChoiceField(label="年级", required=False, widget=forms.Select(attrs=_SELECT))
    klass = forms.ChoiceField(label="班级", required=False, widget=forms.Select(attrs=_SELECT))

    def __init__(self, *args, grades=(), classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "请选择"), *((str(g.pk), g.name) for g in grades)]
        self.fields["klass"].choices = [("", "请选择"), *((str(c.pk), c.label) for c in classes)]


class OpinionForm(forms.Form):
    opinion = forms.CharField(label="意见", required=False, max_length=200,
                              widget=forms.Textarea(attrs={**_INPUT, "rows": 2}), help_text="拒绝时必须填写")
