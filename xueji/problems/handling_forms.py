"""Forms of 问题学籍处理: 变更 (the controlled fields, as 关键数据变更), 佐证 and 删除 (proof),
仲裁 (a choice per member, 补充意见), 问题学籍处理设置."""

from __future__ import annotations

from django import forms

from xueji.changes.key_change_forms import KeyChangeForm, _styled

from .models import ProblemSettings


class ProblemChangeForm(KeyChangeForm):
    """问题学籍变更: the controlled identity fields after the change and the proof (no class
    move: a problem is about who the record is)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, classes=(), **kwargs)
        del self.fields["klass"]
        self.fields["reason"].label = "变更说明"


class ProofForm(forms.Form):
    """问题学籍佐证 / 删除: the proof material (required for all three, seed 004 §2)."""

    reason = forms.CharField(label="说明", max_length=150, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    proof = forms.FileField(label="证明材料", help_text="只能上传JPG、PNG、JPEG格式的文件,文件大小不能超过2M")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ProblemSettings
        fields = ["turn_days", "admission_lock"]
        help_texts = {"turn_days": "1至60个工作日;新的一轮起使用", "admission_lock": "开启后本省学籍状态为毕业的学生所在问题学籍锁定,不能处理;关闭后解除锁定"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["turn_days"].widget.attrs.update({"class": "form-control", "min": 1, "max": 60})
        self.fields["admission_lock"].widget.attrs.update({"class": "form-check-input"})
