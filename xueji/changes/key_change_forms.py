"""Forms of 关键数据变更: find the student (全国学籍号 + 姓名), the values after the change."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class FindStudentForm(forms.Form):
    """检索学生: 全国学籍号 and 学生姓名, as the seed's form."""

    number = forms.CharField(label="全国学籍号", max_length=19, required=False)
    name = forms.CharField(label="学生姓名", max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean(self):
        data = super().clean()
        if not (data.get("number") or "").strip() and not (data.get("name") or "").strip():
            raise forms.ValidationError("请输入全国学籍号或学生姓名")
        return data


class KeyChangeForm(forms.Form):
    """关键数据变更项: 受控字段修改后值 (prefilled with the current values), proof, reason."""

    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别")
    birth_date = forms.DateField(label="出生日期", input_formats=["%Y-%m-%d", "%Y%m%d"],
                                 help_text="格式YYYY-MM-DD", widget=forms.DateInput(format="%Y-%m-%d"))
    id_type = forms.ChoiceField(label="身份证件类型")
    id_number = forms.CharField(label="身份证件号", max_length=30, required=False,
                                help_text="留空表示不变更;身份证件类型变更为Z-其他时留空")
    nationality = forms.ChoiceField(label="国籍/地区")
    hmt = forms.ChoiceField(label="港澳台侨外")
    klass = forms.TypedChoiceField(label="年级/班级", coerce=int, help_text="年级随班级调整")
    reason = forms.CharField(label="变更原因", max_length=200, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    proof = forms.FileField(label="证明材料", help_text="JPG/PNG图片,不超过2MB")

    def __init__(self, *args, classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        for key, table in (("gender", "gender"), ("id_type", "id_type"), ("nationality", "nationality"),
                           ("hmt", "hmt")):
            self.fields[key].choices = codes.choices(table)
        self.fields["klass"].choices = [(c.pk, c.label) for c in classes]
        _styled(self)


def find_student(request, scope, preselect_scope=None):
    """The student an application page is about: ``?student=<id>`` (or the posted one) in
    ``preselect_scope`` (default ``scope``; out of it: 404 + audit), else the search of
    :class:`FindStudentForm` (全国学籍号 and/or 姓名) among the not deleted records of
    ``scope`` — one match is chosen. Returns ``(student or None, matches, form, raw id)``."""
    from xueji.common.params import parse_id
    from xueji.org.selectors import get_in_scope

    student, found = None, []
    find = FindStudentForm(request.GET or None)
    raw = request.GET.get("student") or request.POST.get("student")
    if raw is not None:
        student = get_in_scope(request, preselect_scope if preselect_scope is not None else scope, "学生",
                               pk=parse_id(raw) or 0)
    elif find.is_bound and find.is_valid():
        found = scope.exclude(status="99")
        if find.cleaned_data["number"].strip():
            found = found.filter(national_number=find.cleaned_data["number"].strip().upper())
        if find.cleaned_data["name"].strip():
            found = found.filter(name=find.cleaned_data["name"].strip())
        found = list(found.order_by("national_number")[:20])
        if len(found) == 1:
            student = found[0]
    return student, found, find, raw
