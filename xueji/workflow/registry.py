"""Business types (业务类型) as code, and the holds a business can wait on.

Every business that passes an approval chain (学籍注册, 关键数据变更, 学籍异动, 转学,
毕业, 问题学籍 …) is one :class:`BusinessType` here: a stable ASCII code, the Chinese
name shown to users (seed 004 §22), its default review chain (SPEC F-30) and the stages
it applies to. The feature that owns a type plugs its effects in with
:func:`set_handlers` (or registers a new type with :func:`register`) when its app is
ready::

    # xueji/registration/apps.py
    def ready(self):
        from xueji.workflow.registry import set_handlers
        from . import services
        set_handlers("reg_primary_resident", on_complete=services.complete_registration,
                     on_end=services.release_identity)

- ``on_complete(business)`` runs inside the transaction of the decision that passes the
  last level: it applies the effect (create the record, change the status …). Raising
  ``ValidationError`` there undoes the decision.
- ``on_end(business)`` runs inside the transaction that fails, withdraws, clears or
  terminates a business (``business.status`` says which): release what the business
  held (an identity claim, a 转出 status …).
- ``on_advance(business)`` runs after a pass that moves the business to its next level.

No database access here: the registry is plain data, filled at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Review levels (审核环节), in the order a business climbs them.
SCHOOL = "school"
SUPERVISOR = "supervisor"
CITY = "city"
PROVINCE = "province"
MINISTRY = "ministry"
LEVEL_ORDER = (SCHOOL, SUPERVISOR, CITY, PROVINCE, MINISTRY)
LEVEL_NAMES = {
    SCHOOL: "学校",
    SUPERVISOR: "主管教育局",
    CITY: "地市",
    PROVINCE: "省级",
    MINISTRY: "教育部",
}

ALL_STAGES = ("1", "2", "3")
PRIMARY, JUNIOR, SENIOR = ("1",), ("2",), ("3",)

#: The two default chains of SPEC F-30.
TO_SUPERVISOR = (SCHOOL, SUPERVISOR)
TO_PROVINCE = (SCHOOL, SUPERVISOR, CITY, PROVINCE)

Handler = Callable[..., None]


@dataclass(frozen=True)
class BusinessType:
    """业务类型."""

    code: str
    name: str
    default_chain: tuple[str, ...]
    #: 教育阶段 the type applies to ("1" 小学, "2" 初中, "3" 高中).
    stages: tuple[str, ...] = ALL_STAGES
    #: Menu group the type belongs to, for lists and filters.
    group: str = "学籍异动"
    #: After the school leader passes, wait for the school registrar's 上报 before the
    #: authority levels may review (学籍注册: "审核通过的,等待上报").
    report_after_school: bool = False
    on_complete: Handler | None = None
    on_end: Handler | None = None
    on_advance: Handler | None = None

    @property
    def chain_display(self) -> str:
        return chain_display(self.default_chain)


@dataclass(frozen=True)
class Hold:
    """A reason a business can't be reviewed for now (暂停审核)."""

    code: str
    name: str
    #: The message a reviewer gets when trying to decide.
    message: str
    #: Whether the business shows in the reviewer's queue meanwhile (marked, not
    #: selectable). A business not yet reported (上报) does not reach the authority.
    in_queue: bool = True


DEDUP_PENDING = "dedup_pending"
REPORT_PENDING = "report_pending"

_TYPES: dict[str, BusinessType] = {}
_HOLDS: dict[str, Hold] = {}


# --- business types ------------------------------------------------------------------------
def _check_chain(chain: Iterable[str]) -> tuple[str, ...]:
    chain = tuple(chain)
    unknown = [level for level in chain if level not in LEVEL_NAMES]
    if unknown or not chain or len(set(chain)) != len(chain):
        raise ValueError(f"invalid review chain {chain!r}")
    return tuple(sorted(chain, key=LEVEL_ORDER.index))


def register(
    code: str,
    name: str,
    default_chain: Iterable[str],
    on_complete: Handler | None = None,
    on_end: Handler | None = None,
    *,
    stages: Iterable[str] = ALL_STAGES,
    group: str = "学籍异动",
    report_after_school: bool = False,
    on_advance: Handler | None = None,
) -> BusinessType:
    """Register (or replace) a business type. ``code`` is stable ASCII: it is stored in
    every business and configuration row."""
    if not code or not code.isascii() or len(code) > 40:
        raise ValueError(f"business type code must be ASCII, at most 40 characters: {code!r}")
    stages = tuple(stages)
    if not stages or set(stages) - set(ALL_STAGES):
        raise ValueError(f"invalid stages {stages!r}")
    btype = BusinessType(
        code=code, name=name, default_chain=_check_chain(default_chain), stages=stages,
        group=group, report_after_school=report_after_school, on_complete=on_complete,
        on_end=on_end, on_advance=on_advance,
    )
    _TYPES[code] = btype
    return btype


_UNSET = object()


def set_handlers(code: str, *, on_complete=_UNSET, on_end=_UNSET, on_advance=_UNSET) -> BusinessType:
    """Plug a feature's effects into an existing type; arguments left out keep their value
    (pass ``None`` to remove one)."""
    btype = get(code)
    changes = {
        key: value
        for key, value in (("on_complete", on_complete), ("on_end", on_end), ("on_advance", on_advance))
        if value is not _UNSET
    }
    btype = dataclasses.replace(btype, **changes)
    _TYPES[code] = btype
    return btype


def get(code: str) -> BusinessType:
    """The type with ``code``; ``KeyError`` when there is none."""
    return _TYPES[code]


def find(code: str) -> BusinessType | None:
    return _TYPES.get(code)


def all_types() -> list[BusinessType]:
    """Every registered type, in registration order (the order of seed 004 §22)."""
    return list(_TYPES.values())


def type_name(code: str) -> str:
    btype = _TYPES.get(code)
    return btype.name if btype else code


def type_choices() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in _TYPES.values()]


def chain_display(levels: Iterable[str]) -> str:
    """A chain as seed 004 §22 writes it, top level first: ``<-主管教育局<-学校``."""
    return "".join("<-" + LEVEL_NAMES.get(level, level) for level in reversed(tuple(levels)))


# --- holds -----------------------------------------------------------------------------------
def register_hold(code: str, name: str, message: str, *, in_queue: bool = True) -> Hold:
    hold = Hold(code=code, name=name, message=message, in_queue=in_queue)
    _HOLDS[code] = hold
    return hold


def get_hold(code: str) -> Hold:
    return _HOLDS[code]


def find_hold(code: str) -> Hold | None:
    return _HOLDS.get(code)


def hold_message(code: str) -> str:
    hold = _HOLDS.get(code)
    return hold.message if hold else "该业务暂停审核中,不能审核"


def hidden_holds() -> list[str]:
    """Holds that keep a business out of the reviewer's queue."""
    return [h.code for h in _HOLDS.values() if not h.in_queue]


register_hold(DEDUP_PENDING, "待查重认证", "查重认证未完成,不能审核")
register_hold(REPORT_PENDING, "待上报", "学校尚未上报", in_queue=False)


# --- the types of seed 004 §22 ---------------------------------------------------------------
# (code, name, default chain, stages, group, report_after_school)
_DEFAULTS: list[tuple[str, str, tuple[str, ...], tuple[str, ...], str, bool]] = [
    # 学籍注册 (SPEC F-40): no-ID registration climbs to the province.
    ("reg_primary_resident", "居民身份证小学新生注册", TO_SUPERVISOR, PRIMARY, "学籍注册", True),
    ("reg_other_resident", "居民身份证非小学新生注册", TO_SUPERVISOR, ALL_STAGES, "学籍注册", True),
    ("reg_primary_foreign", "港澳台和外籍小学新生注册", TO_SUPERVISOR, PRIMARY, "学籍注册", True),
    ("reg_other_foreign", "港澳台和外籍非小学新生注册", TO_SUPERVISOR, ALL_STAGES, "学籍注册", True),
    ("reg_primary_no_id", "无身份证件小学新生注册", TO_PROVINCE, PRIMARY, "学籍注册", True),
    ("reg_other_no_id", "无身份证件非小学新生注册", TO_PROVINCE, ALL_STAGES, "学籍注册", True),
    # 学籍信息维护 (SPEC F-43)
    ("key_change", "关键数据变更", TO_SUPERVISOR, ALL_STAGES, "学籍信息维护", False),
    ("key_change_no_id", "关键数据变更(无身份证件)", TO_PROVINCE, ALL_STAGES, "学籍信息维护", False),
    ("key_change_name_id", "关键数据变更(一年内先后变更姓名和身份证件号)", TO_PROVINCE, ALL_STAGES,
     "学籍信息维护", False),
    ("appeal", "学籍申诉", TO_SUPERVISOR, ALL_STAGES, "学籍信息维护", False),
    ("record_change", "学籍变更", TO_SUPERVISOR, ALL_STAGES, "学籍信息维护", False),
    # 学籍异动
    ("restore_admission", "恢复入学资格", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("suspend", "休学", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("resume", "复学", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("repeat_grade", "留级", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("skip_grade", "跳级", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("expel", "开除", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("quit_school", "退学", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("death", "死亡", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("missing", "失踪", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("go_abroad", "出境", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("return_from_abroad", "入境复学", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("to_special_school", "转入特教/工读", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("dropout", "辍学", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("incomplete", "肄业", TO_SUPERVISOR, ALL_STAGES, "学籍异动", False),
    ("to_vocational", "去中职就读", TO_SUPERVISOR, ("2", "3"), "学籍异动", False),
    # 转学
    ("transfer_in_province", "省内转学", TO_SUPERVISOR, ALL_STAGES, "转学", False),
    ("transfer_in_province_out", "省内转学(转出)", TO_SUPERVISOR, ALL_STAGES, "转学", False),
    ("transfer_on_promotion", "升级转学", TO_SUPERVISOR, ALL_STAGES, "转学", False),
    ("transfer_cross_province", "跨省转学", TO_SUPERVISOR, ALL_STAGES, "跨省转学", False),
    ("cross_province_after_graduation", "毕业后跨省就学", TO_SUPERVISOR, ALL_STAGES, "跨省转学", False),
    # 毕业升级
    ("graduate_primary", "小学毕业", TO_SUPERVISOR, PRIMARY, "毕业升级", False),
    ("complete_primary", "小学结业", TO_SUPERVISOR, PRIMARY, "毕业升级", False),
    ("graduate_junior", "初中毕业", TO_SUPERVISOR, JUNIOR, "毕业升级", False),
    ("complete_junior", "初中结业", TO_SUPERVISOR, JUNIOR, "毕业升级", False),
    ("graduate_senior", "高中毕业", TO_SUPERVISOR, SENIOR, "毕业升级", False),
    ("complete_senior", "高中结业", TO_SUPERVISOR, SENIOR, "毕业升级", False),
    ("graduate_return", "毕业生退回", TO_SUPERVISOR, ALL_STAGES, "毕业升级", False),
    # 招生入学
    ("admit_primary", "小学招生录取", TO_SUPERVISOR, PRIMARY, "招生入学", False),
    ("admit_junior", "初中招生录取", TO_SUPERVISOR, JUNIOR, "招生入学", False),
    ("admit_senior", "高中招生录取", TO_SUPERVISOR, SENIOR, "招生入学", False),
    # 问题学籍管理
    ("problem_change", "问题学籍变更", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    ("problem_change_no_id", "问题学籍变更(无身份证件号)", TO_PROVINCE, ALL_STAGES, "问题学籍", False),
    ("problem_proof", "问题学籍佐证", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    ("problem_delete", "问题学籍删除", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    ("xp_problem_change", "跨省问题学籍变更", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    ("xp_problem_proof", "跨省问题学籍佐证", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    ("xp_problem_delete", "跨省问题学籍删除", TO_SUPERVISOR, ALL_STAGES, "问题学籍", False),
    # 误操作删除 (SPEC F-34): the school asks, its supervising authority deletes or rejects.
    ("mistaken_delete", "误操作删除", TO_SUPERVISOR, ALL_STAGES, "学籍信息维护", False),
]

for _code, _name, _chain, _stages, _group, _report in _DEFAULTS:
    register(_code, _name, _chain, stages=_stages, group=_group, report_after_school=_report)
del _code, _name, _chain, _stages, _group, _report
