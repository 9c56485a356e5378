"""Accounts pages: login (password, CAPTCHA, TOTP), logout, change password, user
management, online users, API token. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import csv

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from xueji.audit.services import record_event
from xueji.common.forms import add_validation_errors
from xueji.common.lists import paginate_sorted
from xueji.common.params import local_url, parse_id
from xueji.common.spreadsheets import safe_row
from xueji.org.selectors import authorities_for, chosen_in_scope, get_in_scope, schools_for

from . import captcha, services
from .forms import (
    ApiTokenForm,
    LoginForm,
    PasswordChangeForm,
    ResetPasswordForm,
    SecondAccountForm,
    TokenForm,
    UserCreateForm,
)
from .models import Role, User
from .selectors import online_sessions_for, tokens_for, users_for

PENDING_KEY = "otp_pending_user"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request) -> str:
    return local_url(request.POST.get("next") or request.GET.get("next"), request,
                     resolve_url(settings.LOGIN_REDIRECT_URL))


@never_cache
def login_view(request):
    """登录: password first; a CAPTCHA once the username or the client address has
    failed (counted on the server, so a client without cookies is asked too); TOTP for
    authority accounts."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    gate = services.login_gate(request, request.POST.get("username") if request.method == "POST" else None)
    captcha_required = gate.captcha
    if request.method == "POST" and form.is_valid():
        if gate.blocked:
            form.add_error(None, services.ADDRESS_BLOCKED)
        elif gate.captcha and not captcha.check(request.session, form.cleaned_data["captcha"]):
            services.note_captcha_failure(request)
            form.add_error("captcha", "请输入正确的验证码" if form.cleaned_data["captcha"] else "请输入验证码")
        else:
            outcome = services.attempt_login(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
            if outcome.ok:
                return _after_first_factor(request, outcome.user)
            form.add_error(None, outcome.error)
            captcha_required = services.login_gate(request, form.cleaned_data["username"]).captcha
    return render(request, "accounts/login.html", {
        "form": form, "captcha_required": captcha_required, "next": _next_url(request),
        "lockout_threshold": settings.XUEJI_LOCKOUT_THRESHOLD,
    })


def _after_first_factor(request, user: User):
    if settings.XUEJI_REQUIRE_2FA and user.requires_second_factor:
        request.session[PENDING_KEY] = user.pk
        request.session["otp_next"] = _next_url(request)
        return redirect("accounts:otp")
    auth_login(request, user, backend=BACKEND)
    services.record_login(request, user)
    return redirect(_next_url(request))


@never_cache
def otp_view(request):
    """双因素认证: verify a TOTP token, enrolling a device on the first login."""
    user = User.objects.filter(pk=request.session.get(PENDING_KEY)).first()
    if user is None:
        return redirect("accounts:login")
    device = services.totp_device_for(user)
    enrolling = not device.confirmed
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            if enrolling:
                services.confirm_totp_device(request, user, device)
            next_url = request.session.pop("otp_next", settings.LOGIN_REDIRECT_URL)
            request.session.pop(PENDING_KEY, None)
            auth_login(request, user, backend=BACKEND)
            otp_login(request, device)
            services.record_login(request, user)
            return redirect(next_url)
        services.record_totp_failure(request, user)
        form.add_error("token", "动态口令不正确")
    context = {"form": form, "enrolling": enrolling, "user_pending": user}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
        context["secret"] = _base32(device.bin_key)
    return render(request, "accounts/otp.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@never_cache
def captcha_image(request):
    return HttpResponse(captcha.render_png(captcha.issue(request.session)), content_type="image/png")


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record_event(action="auth.logout", summary=f"{request.user.username}注销",
                     actor=request.user, request=request, target=request.user)
    auth_logout(request)
    return redirect("accounts:login")


@login_required
def password_change(request):
    """修改密码; also where an expired or reset password sends the user."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(request, request.user, form.cleaned_data["old_password"],
                                         form.cleaned_data["new_password1"])
        except ValidationError as error:
            add_validation_errors(form, error, default_field="new_password1")
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改")
            return redirect("portal:home")
    return render(request, "accounts/password_change.html", {
        "form": form, "expired": request.GET.get("expired") == "1",
    })


# --- user management (系统管理 → 用户管理) ---------------------------------------

def _require_admin(user) -> None:
    if user.role != Role.AUTHORITY_ADMIN:
        raise PermissionDenied("只有系统管理员可以管理用户")


@login_required
def user_list(request):
    _require_admin(request.user)
    users = users_for(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(real_name__icontains=q)
                             | Q(school__name__icontains=q) | Q(authority__name__icontains=q))
    role = request.GET.get("role", "")
    if role:
        users = users.filter(role=role)
    if request.GET.get("locked") == "1":
        users = users.filter(locked_at__isnull=False)
    result = paginate_sorted(request, users, {
        "username": "username", "real_name": "real_name", "role": "role", "last_login": "last_login",
    }, "username")
    return render(request, "accounts/user_list.html", {
        "result": result, "q": q, "role": role, "roles": [r for r in Role if r != Role.PARENT],
    })


@login_required
def user_create(request):
    _require_admin(request.user)
    form = UserCreateForm(request.POST or None, authorities=authorities_for(request.user),
                          schools=schools_for(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                request, request.user, username=data["username"], password=data["password"],
                real_name=data["real_name"], role=data["role"], authority=data["authority"],
                school=data["school_code"], phone=data["phone"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, f"已新增用户{user.username}")
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request, pk: int):
    _require_admin(request.user)
    target = get_in_scope(request, users_for(request.user), "用户", pk=pk)
    reset_form = ResetPasswordForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unlock":
            services.unlock_user(request, request.user, target)
            messages.success(request, f"已解锁{target.username}")
        elif action == "lock":
            services.lock_user(request, request.user, target)
            messages.success(request, f"已锁定{target.username}")
        elif action == "deactivate":
            services.deactivate_user(request, request.user, target)
            messages.success(request, f"已停用{target.username}")
        elif action == "activate":
            services.activate_user(request, request.user, target)
            messages.success(request, f"已启用{target.username}")
        elif action == "revoke_token":
            token = get_in_scope(request, tokens_for(request.user).filter(user=target), "接口令牌",
                                 pk=parse_id(request.POST.get("token")))
            services.revoke_api_token(request, request.user, token)
            messages.success(request, f"已作废接口令牌“{token.name}”")
        elif action == "reset" and reset_form.is_valid():
            try:
                services.reset_password(request, request.user, target, reset_form.cleaned_data["new_password"])
            except ValidationError as error:
                reset_form.add_error("new_password", error)
            else:
                messages.success(request, f"已重置{target.username}的密码")
                return redirect("accounts:user_detail", pk=target.pk)
        if action in {"unlock", "lock", "deactivate", "activate", "revoke_token"}:
            return redirect("accounts:user_detail", pk=target.pk)
    return render(request, "accounts/user_detail.html", {
        "target": target, "reset_form": reset_form,
        "token_rows": _token_rows(tokens_for(request.user).filter(user=target)),
    })


@login_required
def user_export(request):
    """导出用户列表 (CSV): personal data of staff, so it needs a second account of the
    same unit (F-14) — the mechanism every bulk export of personal data uses."""
    _require_admin(request.user)
    form = SecondAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_second_account(
                request, request.user, form.cleaned_data["second_username"],
                form.cleaned_data["second_password"], purpose="导出用户列表",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="users.csv"'
            response.write("\ufeff")
            writer = csv.writer(response)
            writer.writerow(["用户名", "姓名", "角色", "所属单位", "手机号码", "状态", "最近登录"])
            for u in users_for(request.user).order_by("username"):
                state = "已停用" if not u.is_active else "已锁定" if u.is_locked else "正常"
                last = timezone.localtime(u.last_login).strftime("%Y-%m-%d %H:%M") if u.last_login else ""
                writer.writerow(safe_row([u.username, u.real_name, u.get_role_display(), u.unit_name, u.phone,
                                          state, last]))
            return response
    return render(request, "accounts/second_account.html", {"form": form, "purpose": "导出用户列表"})


# --- online users (系统管理 → 在线用户, F-13) ------------------------------------

@login_required
def online_users(request):
    _require_admin(request.user)
    sessions = online_sessions_for(request.user)
    if request.method == "POST":
        try:
            chosen = sessions if request.POST.get("action") == "all" else chosen_in_scope(
                request, sessions, request.POST.getlist("session"), "在线会话")
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            count = services.force_offline(request, request.user, chosen)
            messages.success(request, f"已强制{count}个会话下线")
        return redirect("accounts:online_users")
    result = paginate_sorted(request, sessions, {
        "username": "user__username", "logged_in_at": "logged_in_at", "last_seen_at": "last_seen_at",
    }, "-last_seen_at")
    return render(request, "accounts/online_users.html", {"result": result})


def _token_rows(tokens) -> list[dict]:
    now = timezone.now()
    return [{"token": t, "state": t.state(now)} for t in tokens[:50]]


# --- API token (F-84) ---------------------------------------------------------------

@login_required
def api_token(request):
    """接口令牌: the caller's tokens (bound to their account and so to their data scope):
    生成 a named token (its key shown this once), 作废 one."""
    if request.user.role not in services.TOKEN_ROLES:
        raise PermissionDenied("只有学籍管理员可以申请接口令牌")
    own = tokens_for(request.user).filter(user=request.user)
    form = ApiTokenForm(request.POST or None)
    fresh = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = get_in_scope(request, own, "接口令牌", pk=parse_id(request.POST.get("token")))
            services.revoke_api_token(request, request.user, token)
            messages.success(request, f"已作废接口令牌“{token.name}”")
            return redirect("accounts:api_token")
        if form.is_valid():
            try:
                token, key = services.issue_api_token(request, request.user, form.cleaned_data["name"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                fresh = {"token": token, "key": key}
                form = ApiTokenForm()
    return render(request, "accounts/api_token.html", {
        "form": form, "fresh": fresh, "token_rows": _token_rows(own),
        "lifetime_days": settings.XUEJI_API_TOKEN_DAYS,
    })
