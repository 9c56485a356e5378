"""Business types (业务类型) as code, and the holds a business can wait on.

Every business that passes an approval chain (学籍注册, 关键数据变更, 学籍异动, 转学,
毕业, 问题学籍 …) is one :class:`BusinessType` here: a stable ASCII code, the Chinese
name shown to users (seed 004 §22), its default review chain (SPEC F-30), the stages
it applies to, its parties (转入方/转出方 …) and the description of its content
(:mod:`.payloads`). The feature that owns a type plugs its effects in with
:func:`set_handlers` (or registers a new type with :func:`register`) when its app is
ready::

    # xueji/registration/apps.py
    def ready(self):
        from xueji.workflow.registry import set_handlers
        from . import services
        set_handlers("reg_primary_resident", on_complete=services.complete_registration,
                     on_complete_many=services.complete_registrations,
                     on_end=services.end_registration, payload=services.PAYLOAD)

A type without ``on_complete`` has no effect yet: starting it is refused (该业务尚未开放办理).

Hooks (each runs inside the transaction of the write that triggers it; ``decision`` is
the :class:`~xueji.workflow.models.Decision` just made, None for a withdrawal,
clearing or system end; ``user`` the person acting, or None):

- ``on_complete(business, decision, user)``: the last level passed — apply the effect
  (create the record, change the status …). Raising ``ValidationError`` undoes the
  decision (in 全部审核: skips that business).
- ``on_end(business, decision, user)``: failed, withdrawn, cleared or terminated
  (``business.status`` says which) — release what the business held.
- ``on_advance(business, decision, user)``: a pass that moves it to its next step.
- ``on_complete_many(businesses, decisions, user)`` / ``on_end_many(…)``: the set-based
  forms, used by 全部审核 (``decide_many``) and 在办业务清理: one call for the whole set,
  no savepoint per business. ``decisions`` is ``{business id: Decision}`` (empty when
  no decision was made). If it raises ``ValidationError`` the engine falls back to the
  one-by-one hook, so a single bad business is skipped, not the whole set.

A hook may return an :class:`Effect` (a Chinese summary and details): the engine writes
it into the audit entry of the decision, so one decision — or one 全部审核 of 5,000 —
is one audit entry with its effect.

No database access here: the registry is plain data, filled at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import payloads

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

Handler = Callable[..., object]

#: How an authority that appears in the segments of two parties reviews (see
#: ``rules.join_segments``): once, at its last place (a transfer inside one county: the
#: county once, after both schools), or once per party.
SHARED_ONCE = "once"
SHARED_EACH = "each"

#: Where a party's school comes from, when ``initiate`` is not told.
FROM_APPLICANT = "applicant"  # the school that starts the business
FROM_STUDENT = "student"      # the student's current school (a transfer's sending school)
FROM_GIVEN = "given"          # must be passed to initiate(parties=…)

#: The one party of a single-party type.
APPLICANT = "applicant"


@dataclass(frozen=True)
class Party:
    """A party of a business (转入方, 转出方 …): whose school leader and authorities review
    one segment of the chain. The segment is resolved from that school's configuration
    of ``config_type`` (most specific scope wins)."""

    role: str
    name: str
    config_type: str
    school_from: str = FROM_APPLICANT


@dataclass(frozen=True)
class Effect:
    """What a hook did, for the audit entry of the decision that ran it."""

    summary: str
    detail: dict = dataclasses.field(default_factory=dict)


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
    #: The parties, in the order their segments are reviewed; () = one party, the
    #: applicant school, configured by this type itself.
    parties: tuple[Party, ...] = ()
    #: How an authority in two parties' segments reviews (SHARED_ONCE / SHARED_EACH).
    shared_steps: str = SHARED_ONCE
    #: What the business carries (:mod:`.payloads`); None: nothing.
    payload: payloads.Schema | None = None
    #: Set-based extra facts for reviewers (查重认证 …): ``facts(businesses)`` →
    #: ``{business id: [(label, text), …]}``, labels among ``fact_columns``.
    facts: Callable[..., dict] | None = None
    fact_columns: tuple[str, ...] = ()
    on_complete: Handler | None = None
    on_end: Handler | None = None
    on_advance: Handler | None = None
    on_complete_many: Handler | None = None
    on_end_many: Handler | None = None

    @property
    def chain_display(self) -> str:
        return chain_display(self.default_chain)

    @property
    def has_effect(self) -> bool:
        return self.on_complete is not None or self.on_complete_many is not None

    @property
    def all_parties(self) -> tuple[Party, ...]:
        """The parties, a single-party type's being the applicant school."""
        return self.parties or (Party(APPLICANT, "申请学校", self.code, FROM_APPLICANT),)

    @property
    def multi_party(self) -> bool:
        return len(self.parties) > 1

    @property
    def schema(self) -> payloads.Schema:
        return self.payload or payloads.EMPTY

    def party_name(self, role: str) -> str:
        return next((p.name for p in self.all_parties if p.role == role), "")


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
    on_complete_many: Handler | None = None,
    on_end_many: Handler | None = None,
    parties: Iterable[Party] = (),
    shared_steps: str = SHARED_ONCE,
    payload: payloads.Schema | None = None,
    facts: Callable[..., dict] | None = None,
    fact_columns: Iterable[str] = (),
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
        on_end=on_end, on_advance=on_advance, on_complete_many=on_complete_many, on_end_many=on_end_many,
        parties=_check_parties(code, parties), shared_steps=_check_shared(shared_steps), payload=payload,
        facts=facts, fact_columns=tuple(fact_columns),
    )
    _TYPES[code] = btype
    return btype


def _check_parties(code: str, parties: Iterable[Party]) -> tuple[Party, ...]:
    parties = tuple(parties)
    roles = [p.role for p in parties]
    if len(set(roles)) != len(roles) or any(not r or not r.isascii() or len(r) > 20 for r in roles):
        raise ValueError(f"{code}: party roles must be distinct ASCII codes of at most 20 characters")
    if parties and parties[0].school_from != FROM_APPLICANT:
        raise ValueError(f"{code}: the first party is the applicant school")
    if any(p.school_from not in (FROM_APPLICANT, FROM_STUDENT, FROM_GIVEN) for p in parties):
        raise ValueError(f"{code}: unknown school_from")
    if sum(p.school_from == FROM_APPLICANT for p in parties) > 1:
        raise ValueError(f"{code}: one party is the applicant school")
    return parties


def _check_shared(shared: str) -> str:
    if shared not in (SHARED_ONCE, SHARED_EACH):
        raise ValueError(f"unknown shared_steps {shared!r}")
    return shared


_PLUGGABLE = ("on_complete", "on_end", "on_advance", "on_complete_many", "on_end_many", "payload", "facts",
              "fact_columns")


def set_handlers(code: str, **changes) -> BusinessType:
    """Plug a feature's effects (``on_complete``, ``on_end``, ``on_advance``,
    ``on_complete_many``, ``on_end_many``), its content description (``payload``) and
    reviewer facts (``facts``, ``fact_columns``) into an existing type; what is left out
    keeps its value (pass ``None`` to remove one)."""
    unknown = set(changes) - set(_PLUGGABLE)
    if unknown:
        raise TypeError(f"set_handlers() got unexpected arguments {sorted(unknown)}")
    if "fact_columns" in changes:
        changes["fact_columns"] = tuple(changes["fact_columns"] or ())
    btype = dataclasses.replace(get(code), **changes)
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


def open_type_choices() -> list[tuple[str, str]]:
    """The types that can be handled now (with an effect): the filters of the lists of
    businesses offer these, not the types of features still to come."""
    return [(t.code, t.name) for t in _TYPES.values() if t.has_effect]


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

# --- the parties of the transfers ------------------------------------------------------------
#: 转学 (F-48): the receiving school applies, then the receiving school → its authorities →
#: the sending school → its authorities. 省内转学's receiving segment comes from the
#: receiving school's configuration of 省内转学, the sending segment from the sending
#: school's configuration of 省内转学(转出) — seed 004 §22 lists them as two configurations;
#: 跨省转学 has one configuration, which each province sets for its own side.
RECEIVING, SENDING = "receiving", "sending"
for _code, _out in (("transfer_in_province", "transfer_in_province_out"),
                    ("transfer_cross_province", "transfer_cross_province")):
    _TYPES[_code] = dataclasses.replace(_TYPES[_code], parties=_check_parties(_code, (
        Party(RECEIVING, "转入方", _code, FROM_APPLICANT),
        Party(SENDING, "转出方", _out, FROM_STUDENT),
    )))
del _code, _out


# --- batch operation kinds (批量业务) ---------------------------------------------------------------
@dataclass(frozen=True)
class BatchKind:
    """A kind of batch operation (毕业, 升级, 学籍转移 …; ``services`` in ``batches.py``).

    - ``select(scope, criteria)`` → the ids of the students the batch covers (``scope``
      is the school or the authority that starts it), read once when it is created;
    - ``check(scope, criteria)`` → Chinese messages refusing the criteria (optional);
    - ``apply(batch, student_ids, user)`` → ``{student id: reason}`` of those it could
      not change: applies the effect to one chunk, set-based, inside the chunk's
      transaction (raising rolls the chunk back; the next run does it again);
    - ``review_levels``: the chain the whole batch is reviewed by, once (毕业: the
      supervising authority); () = no review;
    - ``describe(criteria)`` → ``[(label, text)]`` for the pages (optional)."""

    code: str
    name: str
    select: Callable[..., Iterable[int]]
    apply: Callable[..., dict]
    review_levels: tuple[str, ...] = ()
    check: Callable[..., list] | None = None
    describe: Callable[..., list] | None = None
    chunk_size: int = 1000


_BATCH_KINDS: dict[str, BatchKind] = {}


def register_batch_kind(code: str, name: str, *, select, apply, review_levels: Iterable[str] = (), check=None,
                        describe=None, chunk_size: int = 1000) -> BatchKind:
    if not code or not code.isascii() or len(code) > 40:
        raise ValueError(f"batch kind code must be ASCII, at most 40 characters: {code!r}")
    levels = tuple(review_levels)
    if levels:
        levels = _check_chain(levels)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    kind = BatchKind(code=code, name=name, select=select, apply=apply, review_levels=levels, check=check,
                     describe=describe, chunk_size=chunk_size)
    _BATCH_KINDS[code] = kind
    return kind


def find_batch_kind(code: str) -> BatchKind | None:
    return _BATCH_KINDS.get(code)


def batch_kind_name(code: str) -> str:
    kind = _BATCH_KINDS.get(code)
    return kind.name if kind else "批量业务"
