"""The query conditions of 在校生查询 and 学生信息查询. Every value a person (or a crafted
URL) sends is checked here: a bad one is a form error shown on the page, never a 500.
Whether a chosen school, area, grade or class is in the user's scope is the selector's
check (``selectors.apply_conditions``: 403 + audit)."""

from __future__ import annotations

from django import forms

from xueji.codes import tables
from xueji.common.params import id_number_query, national_number_query, optional_id
from xueji.org.models import Stage
from xueji.students.fields import BY_HEADER
from xueji.students.models import Status

from . import rules

_TRI = (("", "不限"), ("1", "是"), ("0", "否"))


def _flag_label(attr: str) -> str:
    for field in BY_HEADER.values():
        if field.member is None and field.attr == attr:
            return field.header
    return attr


def _digits(value: str, lengths: tuple[int, ...], message: str) -> str:
    value = (value or "").strip()
    if value and (not value.isascii() or not value.isdigit() or len(value) not in lengths):
        raise forms.ValidationError(message)
    return value


class QueryForm(forms.Form):
    name = forms.CharField(label="学生姓名", max_length=50, required=False)
    name_mode = forms.ChoiceField(label="姓名匹配", choices=(("prefix", "开头是"), ("contains", "包含")),
                                  required=False)
    number = forms.CharField(label="学籍号", max_length=19, required=False)
    id_number = forms.CharField(label="身份证件号", max_length=30, required=False)
    school = forms.CharField(label="学校标识码", max_length=10, required=False)
    division = forms.CharField(label="行政区划", max_length=12, required=False,
                               help_text="省、市或区县的12位区划代码,如440106000000")
    stage = forms.ChoiceField(label="学段", required=False)
    entry_year = forms.CharField(label="入学年份", max_length=4, required=False)
    grade = forms.CharField(label="年级", max_length=20, required=False)
    klass = forms.CharField(label="班级", max_length=20, required=False)
    status = forms.ChoiceField(label="学籍状态", required=False)
    gender = forms.ChoiceField(label="性别", required=False)
    ethnicity = forms.ChoiceField(label="民族", required=False)
    entry_from = forms.CharField(label="入学年月(起)", max_length=6, required=False, help_text="YYYYMM")
    entry_to = forms.CharField(label="入学年月(止)", max_length=6, required=False, help_text="YYYYMM")
    has_photo = forms.ChoiceField(label="是否有照片", choices=_TRI, required=False)

    def __init__(self, data=None, *, all_statuses: bool, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.all_statuses = all_statuses
        self.fields["stage"].choices = [("", "不限"), *Stage.choices]
        statuses = Status.choices if all_statuses else [c for c in Status.choices if c[0] in rules.IN_SCHOOL_STATUSES]
        self.fields["status"].choices = [("", "不限"), *((v, f"{v}-{n}") for v, n in statuses)]
        self.fields["gender"].choices = [("", "不限"), *tables.choices("gender", only=("1", "2"))]
        self.fields["ethnicity"].choices = [("", "不限"), *tables.choices("ethnicity")]
        for attr in rules.FLAG_ATTRS:
            self.fields[attr] = forms.ChoiceField(label=_flag_label(attr), choices=_TRI, required=False)
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.fields["division"].widget.attrs["data-division-picker"] = "1"

    @property
    def basic_fields(self):
        return [self[n] for n in ("number", "id_number", "status", "gender", "stage", "entry_year")]

    @property
    def custom_fields(self):
        return [self[n] for n in ("ethnicity", "entry_from", "entry_to", "has_photo")]

    @property
    def flag_fields(self):
        return [self[attr] for attr in rules.FLAG_ATTRS]

    def clean_number(self) -> str:
        value = national_number_query(self.cleaned_data.get("number"))
        if value is None:
            raise forms.ValidationError("学籍号应为19位:G/J/L加18位")
        return value

    def clean_id_number(self) -> str:
        value = id_number_query(self.cleaned_data.get("id_number"))
        if value is None:
            raise forms.ValidationError("身份证件号格式不正确")
        return value

    def clean_school(self) -> str:
        return _digits(self.cleaned_data.get("school"), (10,), "学校标识码应为10位数字")

    def clean_division(self) -> str:
        value = _digits(self.cleaned_data.get("division"), (6, 12), "行政区划应为12位区划代码")
        if len(value) == 6:
            value += "000000"
        if value and not value.endswith("000000"):
            raise forms.ValidationError("行政区划应为省、市或区县的区划代码(后6位为0)")
        return value

    def clean_entry_year(self) -> int | None:
        value = _digits(self.cleaned_data.get("entry_year"), (4,), "入学年份应为4位数字")
        if value and not 1900 <= int(value) <= 2100:
            raise forms.ValidationError("入学年份不正确")
        return int(value) if value else None

    def _id(self, name: str, what: str) -> int | None:
        return optional_id(self.cleaned_data.get(name), what)

    def clean_grade(self) -> int | None:
        return self._id("grade", "年级")

    def clean_klass(self) -> int | None:
        return self._id("klass", "班级")

    def _month(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value and not rules.entry_month_ok(value):
            raise forms.ValidationError("入学年月应为6位数字YYYYMM,如202509")
        return value

    def clean_entry_from(self) -> str:
        return self._month("entry_from")

    def clean_entry_to(self) -> str:
        return self._month("entry_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("entry_from"), data.get("entry_to")
        if start and end and start > end:
            self.add_error("entry_to", "入学年月(止)不能早于(起)")
        return data


#: The query-string keys of the conditions (what an export job re-reads).
def condition_keys() -> tuple[str, ...]:
    return tuple(QueryForm(all_statuses=True).fields)


def conditions_of(querydict) -> dict[str, str]:
    """The condition values of a query string, as plain text (for a job's parameters)."""
    keys = condition_keys()
    return {k: str(querydict.get(k, ""))[:60] for k in keys if querydict.get(k)}
