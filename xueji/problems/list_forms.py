"""The query conditions of the 问题学籍 lists (seed 004 §2: 问题学籍类型, 处理方式, 错误类型,
是否锁定, 年级名称, 班级名称, 学生姓名, 身份证件号, 全国学籍号; 学校名称 and 学校标识码 for
the authorities; the query page also 处理状态, 学籍处理状态, 历史/新产生, 省内/跨省).

Every value a person or a crafted URL sends is checked here: a bad one is a form error
shown on the page, never a 500. Whether a chosen school, grade or class is in the user's
scope is the selector's check (``list_selectors.apply_conditions``: 403 + audit)."""

from __future__ import annotations

from django import forms

from xueji.common.params import id_number_query, national_number_query, optional_id

from .models import GroupState, MemberState, Method, ProblemKind

_TRI = (("", "不限"), ("1", "是"), ("0", "否"))
#: 历史问题学籍 (首次数据采集) are kept apart: the query shows the new ones unless asked.
ORIGINS = (("new", "新产生的问题学籍"), ("historical", "历史问题学籍(首次数据采集)"), ("all", "全部"))
RANGES = (("", "省内和跨省"), ("province", "省内"), ("cross", "跨省"))

#: The fields of each kind of page (the conditions it offers).
BASE_FIELDS = ("kind", "method", "note", "locked", "grade", "klass", "name", "id_number", "number", "overdue")
AUTHORITY_FIELDS = ("school", "school_name")
QUERY_FIELDS = ("state", "member_state", "origin", "range")


class ListQueryForm(forms.Form):
    kind = forms.ChoiceField(label="问题学籍类型", required=False)
    method = forms.ChoiceField(label="处理方式", required=False)
    note = forms.CharField(label="错误类型", max_length=50, required=False, help_text="错误说明中包含的文字")
    locked = forms.ChoiceField(label="是否锁定", choices=_TRI, required=False)
    school = forms.CharField(label="学校标识码", max_length=10, required=False)
    school_name = forms.CharField(label="学校名称", max_length=50, required=False)
    grade = forms.CharField(label="年级名称", max_length=20, required=False)
    klass = forms.CharField(label="班级名称", max_length=20, required=False)
    name = forms.CharField(label="学生姓名", max_length=50, required=False)
    id_number = forms.CharField(label="身份证件号", max_length=30, required=False)
    number = forms.CharField(label="全国学籍号", max_length=19, required=False)
    overdue = forms.ChoiceField(label="是否超期", choices=_TRI, required=False)
    state = forms.ChoiceField(label="处理状态", required=False)
    member_state = forms.ChoiceField(label="学籍处理状态", required=False)
    origin = forms.ChoiceField(label="产生方式", choices=ORIGINS, required=False)
    range = forms.ChoiceField(label="范围", choices=RANGES, required=False)

    def __init__(self, data=None, *, query: bool = False, authority: bool = False, grades=None, classes=None,
                 **kwargs) -> None:
        super().__init__(data, **kwargs)
        # a school's grades and classes are picked from its own (the value is the id; the
        # selector checks it is in scope, so a crafted one is refused with 403 + audit)
        for name, options in (("grade", grades), ("klass", classes)):
            if options is not None:
                self.fields[name].widget = forms.Select(choices=[("", "不限"), *options])
        keep = set(BASE_FIELDS) | (set(AUTHORITY_FIELDS) if authority else set()) | (set(QUERY_FIELDS) if query
                                                                                     else set())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        choices = {"kind": ProblemKind.choices, "method": Method.choices, "state": GroupState.choices,
                   "member_state": MemberState.choices}
        for name, values in choices.items():
            if name in self.fields:
                self.fields[name].choices = [("", "不限"), *values]
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def clean_number(self) -> str:
        value = national_number_query(self.cleaned_data.get("number"))
        if value is None:
            raise forms.ValidationError("全国学籍号应为19位:G/J/L加18位")
        return value

    def clean_id_number(self) -> str:
        value = id_number_query(self.cleaned_data.get("id_number"))
        if value is None:
            raise forms.ValidationError("身份证件号格式不正确")
        return value

    def clean_school(self) -> str:
        value = (self.cleaned_data.get("school") or "").strip()
        if value and (not value.isascii() or not value.isdigit() or len(value) != 10):
            raise forms.ValidationError("学校标识码应为10位数字")
        return value

    def _id(self, name: str, what: str) -> int | None:
        return optional_id(self.cleaned_data.get(name), what)

    def clean_grade(self) -> int | None:
        return self._id("grade", "年级")

    def clean_klass(self) -> int | None:
        return self._id("klass", "班级")

    def clean_origin(self) -> str:
        return self.cleaned_data.get("origin") or "new"


def condition_keys() -> tuple[str, ...]:
    return tuple(ListQueryForm(query=True, authority=True).fields)


def conditions_of(querydict) -> dict[str, str]:
    """The condition values of a query string, as plain text (for an export job)."""
    return {k: str(querydict.get(k, ""))[:60] for k in condition_keys() if querydict.get(k)}
