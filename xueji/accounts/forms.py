"""Forms of the accounts pages."""

from __future__ import annotations

from django import forms

from xueji.org.models import Authority, School

from .models import Role, UsernameValidator


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False, max_length=4096)
    #: Checked by the view when the server asks for it (``services.login_gate``).
    captcha = forms.CharField(label="验证码", max_length=8, required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=50, required=False,
                           help_text="用途,如“省级平台同步”")


class TokenForm(forms.Form):
    token = forms.CharField(label="动态口令(6位)", min_length=6, max_length=8)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput, strip=False)
    new_password1 = forms.CharField(label="新密码", widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(label="确认新密码", widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class ResetPasswordForm(forms.Form):
    new_password = forms.CharField(label="临时密码", widget=forms.PasswordInput, strip=False,
                                   help_text="用户下次登录时须修改密码")


class SecondAccountForm(forms.Form):
    """导出需本单位另一账号验证 (F-14)."""

    second_username = forms.CharField(label="本单位另一账号", max_length=150)
    second_password = forms.CharField(label="该账号密码", widget=forms.PasswordInput, strip=False)


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, validators=[UsernameValidator()],
                               help_text="英文字母、数字和 _ . - 符号")
    real_name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(label="角色", choices=[(r.value, r.label) for r in Role if r != Role.PARENT])
    authority = forms.ModelChoiceField(label="所属教育行政部门", queryset=Authority.objects.none(), required=False)
    school_code = forms.CharField(label="所属学校标识码", max_length=10, required=False,
                                  help_text="学校角色填写10位学校标识码")
    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, strip=False,
                               help_text="用户首次登录时须修改密码")

    def __init__(self, *args, authorities=None, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schools = schools if schools is not None else School.objects.none()
        if authorities is not None:
            self.fields["authority"].queryset = authorities.order_by("code")

    def clean_school_code(self):
        code = self.cleaned_data.get("school_code", "").strip()
        if not code:
            return None
        school = self.schools.filter(code=code).first()
        if school is None:
            raise forms.ValidationError(f"学校标识码“{code}”不存在或不在您的管理范围内")
        return school
