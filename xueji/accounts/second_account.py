"""导出需本单位另一账号验证 (F-14) as a page step, shared by every bulk export of personal
data (调档学生导出, 综合查询导出, 学籍卡导出, 非关键信息批量修改导出): the view checks the
selection first, then shows :func:`render_verification` (what will be exported, the other
account's username and password, the selection carried in hidden fields); on the posted
``step=verify`` :func:`second_account_step` verifies the other account
(``accounts.services.verify_second_account``: every outcome audited, one message for any
failure) and the view starts the export job with it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.shortcuts import render

from .forms import SecondAccountForm
from .services import verify_second_account

VERIFY_STEP = "verify"


@dataclass(frozen=True)
class SecondAccountStep:
    """``second``: the verified other account (on the verify step, when it passed);
    ``refused``: the one message of a failed check; ``username`` as typed (shown again)."""

    second: object | None
    refused: str
    username: str


def second_account_step(request, purpose: str) -> SecondAccountStep:
    username = request.POST.get("second_username", "")[:150]
    if request.POST.get("step") != VERIFY_STEP:
        return SecondAccountStep(None, "", username)
    try:  # an empty field is refused like a wrong one: the one message (and audited)
        second = verify_second_account(request, request.user, username, request.POST.get("second_password", ""),
                                       purpose=purpose)
    except ValidationError as error:
        return SecondAccountStep(None, error.messages[0], username)
    return SecondAccountStep(second, "", username)


def names_summary(names: Sequence[str], shown: int = 5) -> str:
    """"张三、李四、王五等" — the first ``shown`` names of a selection."""
    return "、".join(names[:shown]) + ("等" if len(names) > shown else "")


def render_verification(request, step: SecondAccountStep, *, purpose: str, summary: str,
                        hidden: Iterable[tuple[str, object]], back: str, notice: str = "", details: str = ""):
    """The verification page: ``summary`` says what will be exported, ``details`` more
    (e.g. the columns), ``hidden`` the (name, value) pairs that carry the selection to
    the verify step."""
    return render(request, "accounts/second_account_verify.html", {
        "form": SecondAccountForm(initial={"second_username": step.username.strip()}), "refused": step.refused,
        "purpose": purpose, "summary": summary, "details": details, "back": back,
        "notice": notice or "导出学生或人员个人信息,须输入本单位另一账号的用户名和密码进行验证。导出将记录两位用户的姓名。",
        "hidden": [("step", VERIFY_STEP), *((name, value) for name, value in hidden)],
    })
