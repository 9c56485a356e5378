"""Forms of the organisation pages. Field rules come from ``rules`` via the services."""

from __future__ import annotations

from django import forms

from xueji.codes import tables as codes

from .models import Authority, Campus, School, Stage, Term

SCHOOL_FIELDS = [
    "code", "name", "english_name", "category", "school_type", "sponsor_type",
    "has_primary", "primary_years", "has_junior", "junior_years", "has_senior", "senior_years",
    "address_code", "address", "urban_rural_type", "principal", "principal_phone", "office_phone",
    "fax", "postcode", "email", "homepage", "boarding_type",
    "credit_code", "founded_year", "legal_registration_no", "anniversary", "land_ownership",
    "land_certificate_no", "altitude", "longitude", "latitude", "enrolment_radius", "main_language",
    "second_language", "is_ethnic_school", "organisation_code", "history",
]

#: Fields a school's own registrar may not change: identity and placement are the
#: authority's (学校变动 comes from the institution-code system, F-91).
AUTHORITY_ONLY_FIELDS = ["code", "category", "school_type", "has_primary", "has_junior", "has_senior"]


def _code_choices(key: str, blank: bool = True):
    choices = codes.choices(key)
    return ([("", "请选择")] if blank else []) + list(choices)


class SchoolForm(forms.ModelForm):
    supervisor = forms.ModelChoiceField(label="主管教育行政部门", queryset=Authority.objects.none())
    division_code = forms.CharField(label="属地区县代码", max_length=12,
                                    help_text="12位区县级行政区划代码,如 440106000000")

    class Meta:
        model = School
        fields = SCHOOL_FIELDS
        widgets = {"history": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, authorities=None, school_user: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_type"] = forms.ChoiceField(label="学校办学类型", choices=_code_choices("school_type", False))
        self.fields["sponsor_type"] = forms.ChoiceField(label="学校举办者类型", choices=_code_choices("sponsor_type"), required=False)
        self.fields["urban_rural_type"] = forms.ChoiceField(label="学校驻地城乡类型", choices=_code_choices("urban_rural"), required=False)
        self.fields["boarding_type"] = forms.ChoiceField(label="寄宿制形式", choices=_code_choices("boarding_type"), required=False)
        self.fields["attached"] = forms.MultipleChoiceField(
            label="附设班类型", choices=codes.choices("attached_class"), required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=[c for c in (self.instance.attached_classes or "").split(",") if c],
        )
        for name in ("primary_years", "junior_years", "senior_years"):
            self.fields[name].widget = forms.NumberInput(attrs={"min": 3, "max": 6})
        if self.instance.pk:
            self.fields["division_code"].initial = self.instance.division_id
            self.fields["supervisor"].initial = self.instance.supervisor_id
        if authorities is not None:
            self.fields["supervisor"].queryset = authorities.order_by("code")
        if school_user:
            for name in AUTHORITY_ONLY_FIELDS + ["supervisor", "division_code"]:
                self.fields[name].disabled = True
            self.fields["supervisor"].queryset = Authority.objects.filter(pk=self.instance.supervisor_id)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-control")

    def clean_division_code(self):
        from .models import Division

        code = self.cleaned_data["division_code"].strip()
        division = Division.objects.filter(code=code, level=3).first()
        if division is None:
            raise forms.ValidationError(f"区县代码“{code}”不存在(应为12位区县级行政区划代码)")
        return division

    def save(self, commit: bool = False):
        school = super().save(commit=False)
        school.supervisor = self.cleaned_data["supervisor"]
        school.division = self.cleaned_data["division_code"]
        school.attached_classes = ",".join(self.cleaned_data.get("attached") or [])
        return school


class CampusForm(forms.ModelForm):
    class Meta:
        model = Campus
        fields = ["name", "address_code", "address", "phone", "is_main"]


class TermForm(forms.ModelForm):
    class Meta:
        model = Term
        fields = ["authority", "school_year", "semester", "start_date", "end_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}),
                   "end_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, authorities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if authorities is not None:
            self.fields["authority"].queryset = authorities.order_by("code")
        # the blank choice in words, not Django's "---------"
        self.fields["authority"].empty_label = "请选择"
        self.fields["semester"].choices = [("", "请选择"), *(c for c in self.fields["semester"].choices if c[0] != "")]


class GradeForm(forms.Form):
    stage = forms.ChoiceField(label="教育阶段", choices=Stage.choices)
    entry_year = forms.IntegerField(label="入学年份", min_value=1950, max_value=2100)


class ClassForm(forms.Form):
    grade = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(label="班号", max_length=7, help_text="7位:入学年份+学段(1小学/2初中/3高中)+2位班序号,如2026101")
    name = forms.CharField(label="班级名称", max_length=50, required=False, help_text="不填则为“N班”")
