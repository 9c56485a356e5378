"""Forms of 重复招生: 佐证 (学校意见 + 证明材料), 放弃录取 (原因), 核办 (通过/不通过 + 意见) and
the query conditions. The checks of the proof file are the engine's
(``workflow.services.attach_material``: JPG/PNG by content, ≤ 2 MB)."""

from __future__ import annotations

from django import forms

from xueji.admission.models import AdmissionStage

from .rules import OPINION_MAX

CONTROL = {"class": "form-control form-control-sm"}


class EvidenceForm(forms.Form):
    opinion = forms.CharField(label="学校意见", max_length=OPINION_MAX,
                              widget=forms.Textarea(attrs={**CONTROL, "rows": 3}))
    proof = forms.FileField(label="证明材料", help_text="只能上传JPG、PNG、JPEG格式的文件,文件大小不能超过2M",
                            widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm",
                                                                   "accept": ".jpg,.jpeg,.png"}))


class ReviewForm(forms.Form):
    passed = forms.TypedChoiceField(label="核办结果", choices=(("1", "核办通过"), ("0", "核办不通过")),
                                    coerce=lambda v: v == "1", widget=forms.RadioSelect)
    opinion = forms.CharField(label="核办意见", max_length=200, required=False,
                              widget=forms.Textarea(attrs={**CONTROL, "rows": 2}),
                              help_text="核办不通过时必须填写")


STATE_CHOICES = (("resolved", "已处理"), ("open", "未处理"), ("all", "全部"))


class QueryForm(forms.Form):
    """重复招生查询 / 处理 conditions. ``school`` (学校标识码, authorities only) is checked
    against the user's scope by the view (403 + audit)."""

    state = forms.ChoiceField(label="处理状态", choices=STATE_CHOICES, required=False)
    year = forms.IntegerField(label="招生年度", min_value=2000, max_value=2100, required=False)
    stage = forms.ChoiceField(label="教育阶段", choices=(("", "全部"), *AdmissionStage.choices), required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    school = forms.RegexField(label="录取学校标识码", regex=r"^[0-9]{10}$", required=False,
                              error_messages={"invalid": "学校标识码应为10位数字"})

    def __init__(self, *args, authority: bool = False, default_state: str = "resolved", **kwargs):
        super().__init__(*args, **kwargs)
        self.default_state = default_state
        if not authority:
            del self.fields["school"]
        for field in self.fields.values():
            field.widget.attrs.update({"class": "form-select form-select-sm" if isinstance(field, forms.ChoiceField)
                                       else "form-control form-control-sm"})
