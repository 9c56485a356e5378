"""Approval rules as pure functions: chain resolution, picking the configuration, business
windows, the state transition of a decision, who may act, and the proof-material check.

No database here. Authorities, configurations, windows and users are read through their
attributes only (``pk``, ``level``, ``name``, ``prefix`` …), so plain objects serve in tests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .registry import (
    APPLICANT,
    CITY,
    LEVEL_NAMES,
    LEVEL_ORDER,
    MINISTRY,
    PROVINCE,
    SCHOOL,
    SHARED_EACH,
    SHARED_ONCE,
    SUPERVISOR,
)

#: Authority level (org.AuthorityLevel) each review level maps to, above the supervisor.
_LEVEL_AUTHORITY = {CITY: 2, PROVINCE: 1, MINISTRY: 0}

SCHOOL_LEADER = "school_leader"
SCHOOL_REGISTRAR = "school_registrar"
AUTHORITY_REGISTRAR = "authority_registrar"
AUTHORITY_ADMIN = "authority_admin"


# --- review levels and chains --------------------------------------------------------------
def check_levels(levels: Iterable[str]) -> list[str]:
    """Messages for a configured list of review levels (empty when valid)."""
    levels = list(levels)
    errors = []
    if not levels:
        errors.append("请至少选择一个审核环节")
    unknown = [level for level in levels if level not in LEVEL_NAMES]
    if unknown:
        errors.append("未知的审核环节:" + "、".join(map(str, unknown)))
    if len(set(levels)) != len(levels):
        errors.append("审核环节不能重复")
    return errors


def normalise_levels(levels: Iterable[str]) -> list[str]:
    """The levels in climbing order (学校 → 主管教育局 → 地市 → 省级 → 教育部)."""
    return sorted(dict.fromkeys(levels), key=LEVEL_ORDER.index)


@dataclass(frozen=True)
class Step:
    """One review step of a resolved chain: the school leader of ``school_id`` (at the
    school level, ``authority_id`` None) or the registrars of ``authority_id``. ``party``
    is the role of the party whose segment the step belongs to (``registry.APPLICANT`` for
    a single-party type); ``shared`` lists every party a step serves when two parties'
    segments met at one authority (``join_segments``)."""

    level: str
    authority_id: int | None
    unit: str
    party: str = APPLICANT
    school_id: int | None = None
    shared: tuple[str, ...] = ()
    #: 办理期限: working days the step may wait (from the party's configuration).
    days: int | None = None

    def as_dict(self) -> dict:
        data = {"level": self.level, "party": self.party, "school_id": self.school_id,
                "authority_id": self.authority_id, "unit": self.unit}
        if self.shared:
            data["shared"] = list(self.shared)
        if self.days is not None:
            data["days"] = self.days
        return data

    @property
    def key(self) -> tuple[str, int | None]:
        """Who decides: the school's leader or the authority's registrars."""
        return ("school", self.school_id) if self.level == SCHOOL else ("authority", self.authority_id)


def resolve_chain(levels: Sequence[str], school_supervisor_chain: Sequence, school_name: str = "", *,
                  school_id: int | None = None, party: str = APPLICANT) -> list[Step]:
    """The review steps of ``levels`` for a school whose supervising authority and its
    ancestors, nearest first, are ``school_supervisor_chain`` (``Authority.ancestors()``).

    - 学校 → the school leader (no authority);
    - 主管教育局 → the supervising authority;
    - 地市 / 省级 / 教育部 → the level-2 / level-1 / level-0 authority of the chain, left
      out when the supervisor is already above that level (a province-run school has no
      地市 step);
    - an authority already in the chain is not asked twice: a city-run school's
      主管教育局 and 地市 are one step.

    Every step is of ``party`` (the school's role in the business)."""
    chain = list(school_supervisor_chain)
    steps: list[Step] = []
    seen: set = set()
    for level in normalise_levels(levels):
        if level == SCHOOL:
            node = None
        elif level == SUPERVISOR:
            node = chain[0] if chain else None
            if node is None:
                continue
        else:
            node = next((a for a in chain if a.level == _LEVEL_AUTHORITY[level]), None)
            if node is None:
                continue
        key = None if node is None else node.pk
        if key in seen:
            continue
        seen.add(key)
        if node is None:
            steps.append(Step(level, None, school_name, party, school_id))
        else:
            steps.append(Step(level, node.pk, node.name, party))
    return steps


def join_segments(segments: Sequence[Sequence[Step]], shared: str = SHARED_ONCE) -> list[Step]:
    """One chain from the parties' segments, in the parties' order (转入方 then 转出方).

    ``shared`` says how a school or authority found in more than one segment reviews:

    - ``SHARED_ONCE``: once, at its **last** place, serving every party it appears for —
      a transfer inside one county: school A → school B → the county; two counties of
      one city, both chains up to the city: A → county A → B → county B → the city. The
      shared superior decides after every party below it has agreed;
    - ``SHARED_EACH``: once per party, where each segment puts it.
    """
    if shared not in (SHARED_ONCE, SHARED_EACH):
        raise ValueError(f"unknown shared mode {shared!r}")
    flat = [step for segment in segments for step in segment]
    if shared == SHARED_EACH:
        return list(flat)
    parties_of: dict[tuple, list[str]] = {}
    last: dict[tuple, int] = {}
    for index, step in enumerate(flat):
        roles = parties_of.setdefault(step.key, [])
        if step.party not in roles:
            roles.append(step.party)
        last[step.key] = index
    result = []
    for index, step in enumerate(flat):
        if last[step.key] != index:
            continue
        roles = parties_of[step.key]
        result.append(replace(step, shared=tuple(roles)) if len(roles) > 1 else step)
    return result


def pick_config(configs: Iterable, category: str, stage: str, scope_prefixes: Iterable[str]):
    """The configuration that applies: same 办学类型 and 教育阶段, a scope among
    ``scope_prefixes`` (the prefixes of the school's supervising authority and its
    ancestors), the most specific scope winning (区县 > 地市 > 省级 > 全国)."""
    prefixes = set(scope_prefixes)
    best = None
    for config in configs:
        if config.category != category or config.stage != stage:
            continue
        prefix = config.scope_prefix
        if prefix not in prefixes:
            continue
        if best is None or len(prefix) > len(best.scope_prefix):
            best = config
    return best


def window_blocks(windows: Iterable, code: str, now):
    """The business window (业务时间控制) that suspends initiating ``code`` at ``now``, or
    None. A window covers its start and end instants."""
    for window in windows:
        if code in (window.business_types or []) and window.starts_at <= now <= window.ends_at:
            return window
    return None


# --- deadlines (办理期限) ------------------------------------------------------------------------
#: Working days a review step may wait when its configuration says nothing.
DEFAULT_DEADLINE_DAYS = 5
DEADLINE_MAX_DAYS = 60


def check_deadline_days(days) -> list[str]:
    """Messages for a configured 办理期限 (empty when valid): whole working days, 1 … 60."""
    if isinstance(days, bool) or not isinstance(days, int):
        return ["办理期限应为整数个工作日"]
    if not 1 <= days <= DEADLINE_MAX_DAYS:
        return [f"办理期限应为1至{DEADLINE_MAX_DAYS}个工作日"]
    return []


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday (no holiday calendar: docs/DECISIONS.md)."""
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline of a step entered at ``start`` with ``days`` working days: the same
    time of day ``days`` working days later, weekends skipped. A step entered on a
    Saturday or Sunday counts from the next Monday's start (the weekend is not spent)."""
    if days < 0:
        raise ValueError("days must not be negative")
    moment = start
    if not is_working_day(moment.date()):
        while not is_working_day(moment.date()):
            moment = moment + dt.timedelta(days=1)
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    left = days
    while left > 0:
        moment = moment + dt.timedelta(days=1)
        if is_working_day(moment.date()):
            left -= 1
    return moment


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not
    later): how long a step has waited, in the unit its deadline is counted in."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start + dt.timedelta(days=full_weeks * 7)
    for _ in range(rest):
        day = day + dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def is_overdue(due, now) -> bool:
    """A step is 超期 once its deadline has passed (no deadline: never)."""
    return due is not None and now > due


# --- decisions -------------------------------------------------------------------------------
ADVANCE, PASSED, FAILED = "advance", "passed", "failed"


def transition(chain_length: int, position: int, passed: bool) -> str:
    """What a decision at ``position`` does: fail ends the business, a pass at the last
    step completes it, any other pass moves it to the next step."""
    if not passed:
        return FAILED
    return PASSED if position + 1 >= chain_length else ADVANCE


def refusal(user, business) -> str | None:
    """Why ``user`` may not decide ``business`` at its current step (None: they may).

    A school step belongs to the school leaders (学校学籍主管领导) of exactly that step's
    school (``current_school_id``: the receiving or the sending school of a transfer);
    an authority step to the registrars (教育部门学籍管理员) of exactly that authority —
    not those above or below it. Works on anything with ``current_level``,
    ``current_school_id`` and ``current_authority_id`` (a business, a batch operation)."""
    if business.current_level == SCHOOL:
        if (user.role == SCHOOL_LEADER and business.current_school_id is not None
                and user.school_id == business.current_school_id):
            return None
        return "只有本校学籍主管领导可以审核该业务"
    if (
        user.role == AUTHORITY_REGISTRAR
        and business.current_authority_id is not None
        and user.authority_id == business.current_authority_id
    ):
        return None
    return "该业务不在您单位的审核环节"


def kinds_label(names: Sequence[str]) -> str:
    """Several business types chosen together, as one filter value reads: their common
    ending when it names them (小学新生注册 for its three entries), else their names (also
    when a name would be cut inside a word: 初中招生录取、高中招生录取, not 中招生录取)."""
    if len(names) == 1:
        return names[0]
    common = names[0] if names else ""
    for name in names[1:]:
        while not name.endswith(common):
            common = common[1:]
    if len(common) >= 4 and all(len(name) - len(common) != 1 for name in names):
        return f"{common}(全部{len(names)}类)"
    return "、".join(names)


def can_withdraw(user, business) -> bool:
    """撤销: the applicant, or a registrar of the applicant's school."""
    if user.pk is not None and user.pk == business.applicant_id:
        return True
    return user.role == SCHOOL_REGISTRAR and user.school_id == business.school_id


#: Who may 查看 the full ID numbers of a business they can open (an audited action).
REVEAL_ROLES = frozenset({SCHOOL_REGISTRAR, SCHOOL_LEADER, AUTHORITY_REGISTRAR})


def can_reveal(user) -> bool:
    """查看完整证件号: school registrars and leaders, authority registrars — of a business
    already in their scope (the selector decided that)."""
    return getattr(user, "role", None) in REVEAL_ROLES


def party_label(btype, step: dict) -> str:
    """The party (or parties, for a shared step) a step of a multi-party business serves,
    in Chinese: "转入方", "转入方、转出方"; "" for a single-party type."""
    if btype is None or not btype.multi_party:
        return ""
    roles = step.get("shared") or [step.get("party")]
    return "、".join(btype.party_name(role) or "其他" for role in roles)


def step_state(position: int, current: int, is_open: bool, decision, hold_name: str = "") -> str:
    """A step's state on the detail page: 审核通过 / 审核不通过 / 待审核 / 未到达 / 未审核."""
    if decision is not None:
        return "审核通过" if decision.passed else "审核不通过"
    if is_open and position == current:
        return "待审核" + (f"({hold_name})" if hold_name else "")
    if is_open and position > current:
        return "未到达"
    return "未审核"


def can_attach(user, business) -> bool:
    """上传证明材料: whoever may withdraw (the applicant side)."""
    return can_withdraw(user, business)


def can_clear(user, school) -> bool:
    """在办业务清理: the school's registrar, or an authority registrar whose scope covers
    the school's supervising authority."""
    if user.role == SCHOOL_REGISTRAR:
        return user.school_id == school.pk
    if user.role == AUTHORITY_REGISTRAR and user.authority_id:
        return school.supervisor.prefix.startswith(user.authority.prefix)
    return False


def can_manage_configs(user) -> bool:
    """业务流程配置 is edited by provincial registrars (their province) and the ministry's
    (national)."""
    return (
        getattr(user, "role", None) == AUTHORITY_REGISTRAR
        and user.authority_id is not None
        and user.authority.level <= 1
    )


def can_edit_scope(user, scope_prefix: str) -> bool:
    return can_manage_configs(user) and scope_prefix.startswith(user.authority.prefix)


def can_manage_windows(user) -> bool:
    """业务时间控制: provincial and ministry registrars."""
    return can_manage_configs(user)


# --- proof materials (F-31) ------------------------------------------------------------------
MATERIAL_MAX_BYTES = 2 * 1024 * 1024
#: Decoding a small file can still need a lot of memory; a photo of a document never
#: needs more than this.
MATERIAL_MAX_PIXELS = 40_000_000
MATERIAL_TYPE_MESSAGE = "证明材料只能是JPG或PNG图片"
MATERIAL_SIZE_MESSAGE = "证明材料不能超过2MB"
MATERIAL_EMPTY_MESSAGE = "证明材料文件为空"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}


@dataclass
class MaterialCheck:
    errors: list[str] = field(default_factory=list)
    content_type: str = ""
    extension: str = ""
    width: int = 0
    height: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def sniff_format(data: bytes) -> str | None:
    """"PNG" or "JPEG" by the file's magic bytes, else None."""
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    return None


def check_material(name: str, data: bytes) -> MaterialCheck:
    """Check an uploaded proof material by its content, whatever its name says: a JPG or
    PNG image (magic bytes, then Pillow must verify and decode it), at most 2 MB."""
    if len(data) > MATERIAL_MAX_BYTES:
        return MaterialCheck(errors=[MATERIAL_SIZE_MESSAGE])
    if not data:
        return MaterialCheck(errors=[MATERIAL_EMPTY_MESSAGE])
    sniffed = sniff_format(data)
    if sniffed is None:
        return MaterialCheck(errors=[MATERIAL_TYPE_MESSAGE])
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != sniffed:
                return MaterialCheck(errors=[MATERIAL_TYPE_MESSAGE])
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MATERIAL_MAX_PIXELS:
                return MaterialCheck(errors=["证明材料图片尺寸过大"])
            image.load()  # verify() does not decode JPEG data; load() does
    except Exception:  # noqa: BLE001 - whatever Pillow raises, the file is not an image
        return MaterialCheck(errors=[MATERIAL_TYPE_MESSAGE])
    content_type, extension = _FORMATS[sniffed]
    return MaterialCheck(content_type=content_type, extension=extension, width=width, height=height)


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def material_download_name(business_id: int, number: int, content_type: str, *, ascii: bool = False) -> str:
    """The name a proof material is served under: 证明材料-<业务编号>-<序号><扩展名>
    (``ascii``: material-…, for clients that do not read RFC 5987), given by the system:
    the uploaded file name is never sent back."""
    word = "material" if ascii else "证明材料"
    return f"{word}-{business_id}-{number}{_EXTENSIONS.get(content_type, '')}"

