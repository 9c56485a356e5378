"""Forms of 学籍注册: the upload and the single entry built from the field catalogue."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes
from xueji.students import fields
from xueji.students.fields import FIELDS
from xueji.students.forms import SheetUploadForm
from xueji.workflow.rules import check_material

from .models import Entry


class UploadForm(SheetUploadForm):
    """学籍注册导入: the sheet of an entry's template."""


_BLANK = [("", "请选择")]
_GROUP_LABELS = dict(fields.GROUPS)
#: Form-specific hints where the template's help speaks of spreadsheet cells.
_KIND_HINTS = {
    "date": "格式YYYY-MM-DD,如2019-01-01(也可写20190101)",
    "yearmonth": "格式YYYYMM,如202509",
}
_DIVISION_HINT = "选择省、市、区县,或直接填写区县全称(如“广东省广州市天河区”)或12位区划代码"
#: A division field takes a name as well as the 12-digit code.
_DIVISION_MAX_LENGTH = 60


def section_of(field: fields.Field) -> str:
    """The form section of a catalogue field: the template's group (学生个人基础信息 …),
    家庭成员 split per member (家庭成员1, 家庭成员2)."""
    if field.member is not None:
        return f"家庭成员{field.member}"
    return _GROUP_LABELS[field.group]


def _section_order() -> list[str]:
    order = [label for key, label in fields.GROUPS if key != "family"]
    return order + [f"家庭成员{n}" for n in sorted(fields.MEMBER_FIELDS)]


def _marked_required(field: fields.Field, spec: fields.Entry) -> bool:
    """Does the field get the required mark in this entry's form? (The rules decide; the
    mark only tells.)"""
    if field.required == "always":
        return True
    if field.required == "by_id_type":
        return all(field.required_for(t) for t in spec.id_types)
    if field.required == "member":
        return field.member == 1  # at least one member, and his 姓名 and 关系
    return False


def _help(field: fields.Field) -> str:
    if field.kind in _KIND_HINTS:
        return _KIND_HINTS[field.kind]
    if field.kind == "division":
        return _DIVISION_HINT
    return (field.help or "").replace("(单元格设为文本)", "").replace("单元格设为文本", "")


class SingleEntryForm(forms.Form):
    """单个录入: one field per template column (the same catalogue as the Excel import),
    so the same rules apply; grouped in the template's sections, code tables offered as
    choices ("01-汉族"), 是/否 as a choice, division fields with a province → city →
    county picker (static/registration/division-picker.js). The form only collects text:
    every check is the field rules' (one rule, one place)."""

    def __init__(self, *args, entry: Entry, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.school = school
        spec = fields.entry(entry)
        for field in FIELDS:
            if field.header == "学校标识码":
                continue
            form_field = self._form_field(field, spec, school)
            form_field.section = section_of(field)
            form_field.mark_required = _marked_required(field, spec)
            form_field.wide = field.kind == "division" or (field.kind == "text" and (field.max_length or 0) >= 200)
            if form_field.mark_required:
                form_field.widget.attrs["aria-required"] = "true"
            self.fields[field.header] = form_field
        initial_type = {"resident": "1", "no-id": "Z"}.get(spec.kind)
        if initial_type:
            self.fields["身份证件类型"].initial = initial_type
        self.fields["国籍/地区"].initial = "CHN"
        self.fields["港澳台侨外"].initial = "00"
        if spec.kind == "no-id":
            self.fields["proof"] = forms.FileField(
                label="无身份证号学生在校就读证明", help_text="JPG或PNG图片,不超过2MB(学生和家长签字、学校盖章)",
            )
            self.fields["proof"].section = "证明材料"
            self.fields["proof"].mark_required = True

        for form_field in self.fields.values():
            widget = form_field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    @staticmethod
    def _form_field(field: fields.Field, spec: fields.Entry, school) -> forms.Field:
        if field.kind == "class":
            choices = _BLANK + [
                (c.code, c.label) for c in school.classes.select_related("grade", "school").order_by("code")
            ]
            return forms.ChoiceField(label="班级", choices=choices, required=True, help_text="班级(班号)")
        if field.kind in ("code", "bool", "choice"):
            if field.kind == "bool":
                options = [("是", "是"), ("否", "否")]
            elif field.kind == "choice":
                options = [(code, f"{code}-{name}") for code, name in field.options or ()]
            else:
                only = field.only
                if field.attr == "id_type" and field.member is None:
                    only = tuple(sorted(spec.id_types))
                options = list(codes.choices(field.code_table, only=only))
            # A drop-down, but validated by the field rules (which also accept names),
            # not by the form: one rule, one place.
            return forms.CharField(label=field.header, required=False,
                                   widget=forms.Select(choices=_BLANK + options))
        attrs = {}
        max_length = field.max_length or 200
        if field.kind == "division":
            attrs = {"data-division-picker": "1", "placeholder": "如广东省广州市天河区或440106000000"}
            max_length = _DIVISION_MAX_LENGTH
        elif field.kind == "date":
            attrs = {"placeholder": "如2019-01-01", "inputmode": "numeric"}
        elif field.kind == "yearmonth":
            attrs = {"placeholder": "如202509", "inputmode": "numeric"}
        return forms.CharField(label=field.header, required=False, max_length=max_length,
                               help_text=_help(field), widget=forms.TextInput(attrs=attrs))

    def sections(self) -> list[tuple[str, list]]:
        """The bound fields by section, in the template's order."""
        order = _section_order() + ["证明材料"]
        grouped: dict[str, list] = {label: [] for label in order}
        for name in self.fields:
            grouped.setdefault(self.fields[name].section, []).append(self[name])
        return [(label, items) for label, items in grouped.items() if items]

    def add_rule_errors(self, messages: list[str]) -> None:
        """The field rules' messages for the row, each on the field it names (every
        message starts with its column's header), the others on top."""
        headers = sorted((h for h in self.fields if h != "proof"), key=len, reverse=True)
        for message in messages:
            header = next((h for h in headers if message.startswith(h)), None)
            if header is None and message.startswith("班号"):
                header = "班号"
            self.add_error(header if header in self.fields else None, message)

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        data = proof.read()
        proof.seek(0)
        check = check_material(proof.name, data)
        if not check.ok:
            raise forms.ValidationError(check.errors)
        return proof

    def raw_row(self) -> dict:
        row = {header: value for header, value in self.cleaned_data.items()
               if value not in (None, "") and header != "proof"}
        row["学校标识码"] = self.school.code
        return row
