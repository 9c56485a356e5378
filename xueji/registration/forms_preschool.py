"""Forms of 学前调档 (F-45) and 首次数据采集 (F-46). The rules themselves are in
``students.rules`` (through ``preschool.clean_child`` and ``register_rows``); these forms
only gather the values."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes
from xueji.students import fields as F

from . import services
from .forms import SingleEntryForm, UploadForm
from .models import PreschoolStatus

_EMPTY = [("", "请选择")]


def _style(form: forms.Form, small: bool = False) -> None:
    """Bootstrap classes on every widget (as the other forms of the app)."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + size
        widget.attrs.setdefault("class", css)


class ChildForm(forms.Form):
    """调档学生信息 (新增 / 修改): 姓名, 性别, 出生日期, 身份证件类型, 身份证件号. For a
    居民身份证 the page disables 性别 and 出生日期 and the service takes them from the
    number; whatever is posted for them is ignored."""

    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", required=False,
                               choices=_EMPTY + codes.choices("gender", only=("1", "2")))
    birth_date = forms.CharField(label="出生日期", required=False, max_length=10,
                                 help_text="8位数字YYYYMMDD,如20190101")
    id_type = forms.ChoiceField(label="身份证件类型", choices=_EMPTY + codes.choices("id_type"))
    id_number = forms.CharField(label="身份证件号", required=False, max_length=30,
                                help_text="居民身份证18位;身份证件类型为Z-其他时可不填")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        resident = (self.data.get("id_type") if self.is_bound else self.initial.get("id_type")) == "1"
        for name in ("gender", "birth_date"):
            self.fields[name].widget.attrs["data-derived-from-id"] = "1"
            if resident:
                self.fields[name].widget.attrs["disabled"] = "disabled"
        self.fields["id_type"].widget.attrs["data-id-type"] = "1"
        self.fields["id_number"].widget.attrs["data-id-number"] = "1"
        _style(self)

    def raw_row(self) -> dict:
        data = self.cleaned_data
        row = {"姓名": data["name"], "身份证件类型": data["id_type"], "身份证件号": data.get("id_number", "")}
        if data["id_type"] != "1":
            row["性别"] = data.get("gender", "")
            row["出生日期"] = data.get("birth_date", "")
        return row

    @classmethod
    def initial_of(cls, req) -> dict:
        return {"name": req.name, "gender": req.gender, "birth_date": req.birth_date.strftime("%Y%m%d"),
                "id_type": req.id_type, "id_number": req.id_number}


class ChildQueryForm(forms.Form):
    """学前调档名单的查询条件."""

    name = forms.CharField(label="姓名", required=False)
    id_number = forms.CharField(label="身份证件号", required=False)
    status = forms.ChoiceField(label="处理状态", required=False, choices=_EMPTY + list(PreschoolStatus.choices))
    source_name = forms.CharField(label="导入Excel名称", required=False)
    id_type = forms.ChoiceField(label="身份证件类型", required=False, choices=_EMPTY + codes.choices("id_type"))
    supplement_done = forms.ChoiceField(label="是否完成补录", required=False,
                                        choices=_EMPTY + [("1", "已补录"), ("0", "未补录")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self, small=True)

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["name"].strip():
            queryset = queryset.filter(name__contains=data["name"].strip())
        if data["id_number"].strip():
            queryset = queryset.filter(id_number__startswith=data["id_number"].strip().upper())
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["source_name"].strip():
            queryset = queryset.filter(source_name__contains=data["source_name"].strip())
        if data["id_type"]:
            queryset = queryset.filter(id_type=data["id_type"])
        if data["supplement_done"]:
            queryset = queryset.filter(supplement_done=data["supplement_done"] == "1")
        return queryset


class SupplementForm(SingleEntryForm):
    """学前档案信息补录: the single-entry form of 小学新生注册 (every template column),
    prefilled from the preschool record and the request; the five columns are shown but
    fixed (a wrong one is corrected later by 关键数据变更), and 班号 offers the first-year
    primary classes only."""

    FIXED = ("姓名", "性别", "出生日期", "身份证件类型", "身份证件号")

    def __init__(self, *args, entry, school, prefill: dict, **kwargs):
        super().__init__(*args, entry=entry, school=school, initial=self._initial(prefill), **kwargs)
        for header in self.FIXED:
            if header in self.fields:
                self.fields[header].disabled = True
        allowed = set(services.rules_context(school, entry.value if hasattr(entry, "value") else entry).classes)
        klass = self.fields["班号"]
        klass.choices = [c for c in klass.choices if c[0] == "" or c[0] in allowed]

    @staticmethod
    def _initial(prefill: dict) -> dict:
        initial = {}
        for header, value in prefill.items():
            field = F.BY_HEADER.get(header)
            if field is None or value in (None, ""):
                continue
            if field.code_table:
                initial[header] = codes.parse(field.code_table, value) or ""
            elif field.kind == "choice" and field.options:
                initial[header] = str(value).split("-", 1)[0]
            else:
                initial[header] = str(value)
        return initial


class CollectionForm(UploadForm):
    """首次数据采集: the school (by 学校标识码) and the file."""

    school_code = forms.CharField(label="学校标识码", max_length=10, help_text="10位学校标识码,须为本单位主管(或本省)的学校")
    create_classes = forms.BooleanField(label="自动建立文件中出现而本校尚无的班级", required=False, initial=True)

    field_order = ["school_code", "file", "create_classes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_school_code(self):
        return self.cleaned_data["school_code"].strip()
