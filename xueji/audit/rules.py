"""Audit-log rules as pure functions: canonical form, the hash chains, their verification
and the anchors kept apart from the database.

No database here. An entry is handled as a plain mapping of its hashed fields
(:data:`HASHED_FIELDS`); the service layer builds the mapping before it inserts a row and
the verifier reads the same mapping back with ``values()``.

The log is partitioned into chains (审计日志分区链), one per region: the chain of an entry is
the start of its ``authority_prefix`` (:func:`chain_of`), so writers in different provinces
(by default: different cities) never queue on the same head row. Each chain::

    entry_hash(n) = HMAC-SHA256(key, prev_hash(n) + canonical_payload(entry n))
    prev_hash(n)  = entry_hash(n - 1), and 64 zeros for the first entry of the chain

``chain`` and ``seq`` (gapless within the chain: 1, 2, 3 …) are part of the payload, so an
edited row, a removed row, a reordered row and a row moved to another chain all break the
chain. The newest entry of each chain is also recorded in the chain's head row, itself
authenticated with the key (:func:`head_mac`), so removing the newest entries shows too;
restoring an older head row (authentic, copied from a backup) is caught by the anchors
(:class:`Anchor`): signed lines naming a chain's seq and hash, written to a file outside
the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: prev_hash of the first entry.
GENESIS_HASH = "0" * 64

#: The fields of an entry covered by its hash, in no particular order (the canonical form
#: sorts them). The foreign keys ``actor`` and ``school`` are navigation aids only and are
#: not hashed: deleting a user sets ``actor`` to NULL, and the text copies
#: (``actor_username``, ``actor_name`` …) keep the record.
HASHED_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "actor_username",
    "actor_name",
    "actor_role",
    "unit_name",
    "authority_prefix",
    "ip_address",
    "action",
    "object_type",
    "object_id",
    "summary",
    "before",
    "after",
)

#: What the verifier reads per entry: the hashed fields and the two chain hashes.
CHAIN_FIELDS = (*HASHED_FIELDS, "prev_hash", "entry_hash")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

#: The chain of entries whose ``authority_prefix`` is '' (the ministry, anonymous events,
#: people without a unit): the national chain. No province code is "00".
NATIONAL_CHAIN = "00"

#: Digits of the authority prefix that name a chain: 2 = one chain per province, 4 = one
#: per city (地市; province-level entries stay in the province's chain). Setting
#: ``XUEJI_AUDIT_CHAIN_DIGITS``.
DEFAULT_CHAIN_DIGITS = 4

_CHAIN = re.compile(r"^[0-9]{2}([0-9]{2}){0,2}$")


def chain_of(authority_prefix: str | None, digits: int = DEFAULT_CHAIN_DIGITS) -> str:
    """The chain an entry with this authority prefix goes to: the prefix cut to ``digits``
    (``"440106"`` → ``"4401"`` with 4, ``"44"`` with 2; a province prefix ``"44"`` stays
    ``"44"``), or :data:`NATIONAL_CHAIN` for '' (and anything that is not a division
    prefix)."""
    prefix = (authority_prefix or "").strip()
    if digits not in (2, 4, 6):
        raise ValueError("审计日志分区位数只能是 2、4 或 6")
    if len(prefix) < 2 or not prefix.isdigit():
        return NATIONAL_CHAIN
    return prefix[:digits]


def is_chain_name(value: str) -> bool:
    return bool(_CHAIN.match(value or ""))


# --- canonical form ---------------------------------------------------------------------
def canonical_timestamp(value: dt.datetime | str | None) -> str | None:
    """An aware datetime in UTC, ISO 8601 with microseconds: ``2026-09-01T02:03:04.000005Z``.

    Naive datetimes are refused: an audit time must be unambiguous."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("审计时间必须带时区")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@functools.lru_cache(maxsize=4096)  # the verifier meets the same few addresses again and again
def canonical_ip(value: str | None) -> str:
    """An IP address in its normal textual form ('' when absent or not an address).

    PostgreSQL's ``inet`` type gives back the normal form of an IPv6 address, so both the
    writer and the verifier normalise before hashing."""
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return ""


#: Values _canonical_json_value gives back as they are (inlined: a payload of 10,000
#: records has some 100,000 of them).
_CANONICAL_AS_IS = frozenset({str, int, bool, type(None)})


def _canonical_json_value(value: Any) -> Any:
    """Numbers as the JSON column gives them back on every backend: PostgreSQL's jsonb
    returns an integral float (``1e16``, ``2.0``) as an integer, so integral floats are
    hashed as integers on both sides."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): v if v.__class__ in _CANONICAL_AS_IS else _canonical_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if v.__class__ in _CANONICAL_AS_IS else _canonical_json_value(v) for v in value]
    return value


def canonical_payload(fields: Mapping[str, Any]) -> str:
    """The stable JSON text of an entry's hashed fields.

    Sorted keys, no whitespace, non-ASCII text as ``\\uXXXX`` escapes, the time in UTC,
    the IP address in normal form. ``before``/``after`` must already be plain
    JSON values (what the JSON column gives back), which the service guarantees."""
    data = {name: fields.get(name) for name in HASHED_FIELDS}
    data["seq"] = int(data["seq"])
    data["chain"] = str(data["chain"] or "")
    data["occurred_at"] = canonical_timestamp(data["occurred_at"])
    data["ip_address"] = canonical_ip(data["ip_address"])
    data["before"] = _canonical_json_value(data["before"])
    data["after"] = _canonical_json_value(data["after"])
    for name in ("actor_username", "actor_name", "actor_role", "unit_name", "authority_prefix",
                 "action", "object_type", "object_id", "summary"):
        data[name] = "" if data[name] is None else str(data[name])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def _key_bytes(key: str | bytes) -> bytes:
    if not key:
        raise ValueError("审计日志密钥 XUEJI_AUDIT_KEY 未设置")
    return key.encode("utf-8") if isinstance(key, str) else key


def chain_hash(prev_hash: str, payload: str, key: str | bytes) -> str:
    """HMAC-SHA256, keyed by the audit key, over ``prev_hash + payload``; lower-case hex."""
    message = (prev_hash + payload).encode("utf-8")
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


def entry_hash_of(fields: Mapping[str, Any], key: str | bytes) -> str:
    """The hash an entry with these fields (and its ``prev_hash``) must carry."""
    return chain_hash(fields["prev_hash"], canonical_payload(fields), key)


def head_mac(chain: str, last_seq: int, last_hash: str, key: str | bytes) -> str:
    """Authenticates a chain's head row, so that it can't be rewound to hide removed entries
    by whoever can write the table but doesn't hold the key. (An authentic older head
    copied back from a backup is caught by the anchors.)"""
    message = f"audit-head:{chain}:{int(last_seq)}:{last_hash}".encode()
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


# --- action codes ------------------------------------------------------------------------
#: Chinese names of the action codes in use. A code is ``area.event``; an unknown code is
#: shown as it is. Apps add theirs here when they start recording them.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.login_refused": "登录被拒绝",
    "auth.logout": "注销",
    "auth.locked": "账号锁定",
    "auth.unlocked": "账号自动解锁",
    "auth.totp_enrolled": "绑定动态口令",
    "auth.totp_failed": "动态口令错误",
    "scope.denied": "越权访问被拒绝",
    "account.created": "新增用户",
    "account.locked": "锁定账号",
    "account.unlocked": "解锁账号",
    "account.dormant_locked": "锁定长期未登录账号",
    "account.password_changed": "修改密码",
    "account.password_reset": "重置密码",
    "account.forced_offline": "强制下线",
    "api.token_issued": "生成接口令牌",
    "export.second_account_verified": "导出第二账号验证",
    "export.second_account_failed": "导出第二账号验证失败",
    "org.divisions_loaded": "加载行政区划",
    "org.school_created": "新增学校",
    "org.school_updated": "修改学校",
    "org.campus_saved": "保存校区",
    "org.term_created": "学年学期设置",
    "org.grade_created": "新增年级",
    "org.class_created": "新增班级",
}

#: Chinese names of the actor roles copied into entries; the organisation app fills it
#: when it is ready (the audit app sits below it and imports nothing of it).
ROLE_LABELS: dict[str, str] = {}

# --- how entries are shown: registries the apps above fill in their ready() -------------
#: Chinese names of object types (``app_label.model_name`` or a pseudo type such as
#: ``registration.upload_batch``) where the model's ``verbose_name`` is not the right
#: word or there is no model. Other types are named by their model's ``verbose_name``.
OBJECT_TYPE_LABELS: dict[str, str] = {}

#: Chinese labels of the keys used in ``before`` / ``after``: by key (any object type) and
#: by ``(object_type, key)``. A key that is a field of the object's model is labelled with
#: the field's ``verbose_name`` without registering it.
FIELD_LABELS: dict[str | tuple[str, str], str] = {}

#: Chinese names of the values of a key (a code → name mapping, or a function returning
#: the name or None): by key and by ``(object_type, key)``. Model fields with choices need
#: no entry.
VALUE_LABELS: dict[str | tuple[str, str], Mapping[str, str] | Callable[[Any], str | None]] = {}


def register_object_types(labels: Mapping[str, str]) -> None:
    """Name object types in Chinese (``{"workflow.business": "业务"}``); the last
    registration of a type wins."""
    OBJECT_TYPE_LABELS.update(labels)


def register_field_labels(labels: Mapping[str, str], *, object_type: str | None = None) -> None:
    """Label ``before``/``after`` keys in Chinese. Without ``object_type`` the labels hold for
    every object type, and the first app to label a key keeps it (give an ``object_type``
    for a meaning particular to one type)."""
    for key, label in labels.items():
        if object_type is None:
            FIELD_LABELS.setdefault(key, label)
        else:
            FIELD_LABELS[(object_type, key)] = label


def register_value_labels(
    key: str, labels: Mapping[str, str] | Callable[[Any], str | None], *,
    object_type: str | None = None,
) -> None:
    """Name the values of ``key`` in Chinese (a mapping, or a function for open sets)."""
    VALUE_LABELS[key if object_type is None else (object_type, key)] = labels


#: Keys common to many entries, labelled here once.
register_field_labels({
    "name": "名称", "status": "状态", "note": "备注", "reason": "原因", "count": "数量",
    "username": "用户名", "usernames": "用户名", "role": "角色", "unit": "单位",
    "real_name": "姓名", "school": "学校", "student": "学生", "students": "学生",
    "kind": "业务类型", "stage": "学段", "created": "新建数量", "source": "来源",
    "what": "对象", "lookup": "查找条件", "locked_at": "锁定时间", "id_number": "身份证件号",
    "rows": "行号", "class": "班级", "national_number": "学籍号", "template": "模板",
})
register_value_labels("role", ROLE_LABELS)

#: The areas (the part before the dot) with their Chinese names, for the search form.
ACTION_AREAS = {
    "auth": "登录与安全",
    "scope": "数据范围",
    "account": "用户管理",
    "api": "接口",
    "org": "学校与组织",
    "student": "学籍数据",
    "workflow": "业务审核",
    "export": "数据导出",
}


def action_label(code: str) -> str:
    """The Chinese name of an action code, or the code itself."""
    return ACTION_LABELS.get(code, code)


# --- secrets are never logged (F-16) ---------------------------------------------------
_SECRET_SUBSTRINGS = ("password", "passwd", "secret", "credential", "passphrase")
_SECRET_WORDS = frozenset(
    {"pwd", "token", "tokens", "otp", "totp", "hotp", "apikey", "sessionid", "captcha", "cookie",
     "csrfmiddlewaretoken", "authorization"}
)
_SECRET_PAIRS = frozenset({("api", "key"), ("session", "key"), ("private", "key"),
                           ("access", "key"), ("secret", "key")})
_SECRET_CHINESE = ("密码", "口令", "密钥", "验证码")
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def is_secret_key(name: Any) -> bool:
    """True for a key named like a password, secret, token or one-time code."""
    return _is_secret_text(str(name))


#: Every secret key contains one of these (lower-cased): a key without any is not one —
#: one search instead of the word split below (a payload of 10,000 records has as many
#: distinct keys, "张三(G…)").
_MAYBE_SECRET = re.compile("|".join(re.escape(w) for w in sorted(
    {*_SECRET_SUBSTRINGS, *_SECRET_WORDS, *(first for first, _ in _SECRET_PAIRS), *_SECRET_CHINESE})))


@functools.lru_cache(maxsize=8192)
def _is_secret_text(text: str) -> bool:
    # Memoised: a payload of many records repeats the same few keys (field names).
    lowered = text.lower()
    if not _MAYBE_SECRET.search(lowered):
        return False
    if any(part in lowered for part in _SECRET_SUBSTRINGS):
        return True
    if any(word in text for word in _SECRET_CHINESE):
        return True
    words = [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", text).lower()) if w]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def strip_secrets(value: Any) -> Any:
    """``value`` with every mapping key named like a secret removed, at any depth."""
    if isinstance(value, Mapping):
        return {k: strip_secrets(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list | tuple):
        return [strip_secrets(v) for v in value]
    return value


# --- verification ------------------------------------------------------------------------
class Break(StrEnum):
    """What is wrong with a chain at its first broken entry."""

    EDITED = "内容被篡改"
    MISSING = "记录缺失"
    TAIL_REMOVED = "末尾记录被删除"
    HEAD_TAMPERED = "链头被篡改"
    UNREGISTERED = "存在未登记到链头的记录"
    ROLLED_BACK = "链头被回退"
    ANCHOR_MISMATCH = "与锚点不符"


@dataclass(frozen=True)
class Head:
    """A chain's head row as the verifier sees it."""

    chain: str
    last_seq: int
    last_hash: str
    mac: str = ""

    @property
    def is_pristine(self) -> bool:
        return self.last_seq == 0 and self.last_hash == GENESIS_HASH

    def is_authentic(self, key: str | bytes) -> bool:
        return bool(_HEX64.match(self.last_hash or "")) and hmac.compare_digest(
            self.mac or "", head_mac(self.chain, self.last_seq, self.last_hash, key)
        )


@dataclass(frozen=True)
class Verdict:
    """The result of walking one chain: ``ok``, or the first broken ``seq`` and why."""

    ok: bool
    count: int
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    reason: Break | None = None
    detail: str = ""
    chain: str = NATIONAL_CHAIN

    @property
    def message(self) -> str:
        if self.ok:
            return f"审计日志完整: {self.count} 条"
        return f"审计日志校验失败: 第 {self.broken_seq} 条 {self.reason}。{self.detail}"

    def broken(self, seq: int, reason: Break, detail: str) -> Verdict:
        return Verdict(False, self.count, self.last_seq, self.last_hash, seq, reason, detail,
                       self.chain)


def verify_chain(
    entries: Iterable[Mapping[str, Any]], head: Head | None, key: str | bytes,
    chain: str | None = None,
) -> Verdict:
    """Walk one chain's ``entries`` (mappings with :data:`CHAIN_FIELDS`, in ``seq`` order,
    streamed: only the previous entry is kept) and compare the end with its ``head``.

    Reports the first problem found:

    - :attr:`Break.MISSING` — a gap in ``seq`` (the first missing number is reported), or a
      ``prev_hash`` that is not the previous entry's hash;
    - :attr:`Break.EDITED` — the entry's content (its chain included) no longer matches its
      hash;
    - :attr:`Break.TAIL_REMOVED` — the head names entries after the last one present;
    - :attr:`Break.HEAD_TAMPERED` — the head row is not authentic or does not match;
    - :attr:`Break.UNREGISTERED` — entries exist after the entry the head names.
    """
    chain = chain if chain is not None else (head.chain if head is not None else NATIONAL_CHAIN)
    start = Verdict(True, 0, chain=chain)
    if head is not None and not head.is_pristine and not head.is_authentic(key):
        return start.broken(head.last_seq, Break.HEAD_TAMPERED,
                            "链头记录的校验码不符,链头可能被改写。")

    count = 0
    last_seq = 0
    last_hash = GENESIS_HASH

    def here() -> Verdict:
        return Verdict(True, count, last_seq, last_hash, chain=chain)

    for entry in entries:
        seq = int(entry["seq"])
        if seq != last_seq + 1:
            if seq <= last_seq:
                return here().broken(seq, Break.MISSING, f"序号 {seq} 重复或顺序错乱。")
            missing = (f"{last_seq + 1}" if seq == last_seq + 2
                       else f"{last_seq + 1}-{seq - 1}")
            return here().broken(last_seq + 1, Break.MISSING,
                                 f"序号 {missing} 的记录不存在(在第 {seq} 条之前)。")
        if entry["prev_hash"] != last_hash:
            return here().broken(seq, Break.MISSING,
                                 "前序哈希与上一条记录不符,上一条记录被删除或替换。")
        if str(entry.get("chain", chain)) != chain:
            return here().broken(seq, Break.EDITED, "记录所属的链与其所在位置不符。")
        expected = entry_hash_of(entry, key)
        if not hmac.compare_digest(str(entry["entry_hash"] or ""), expected):
            return here().broken(seq, Break.EDITED, "记录内容与其哈希不符。")
        count += 1
        last_seq, last_hash = seq, entry["entry_hash"]

    head_seq = 0 if head is None else head.last_seq
    if head_seq > last_seq:
        missing = f"{last_seq + 1}" if head_seq == last_seq + 1 else f"{last_seq + 1}-{head_seq}"
        return here().broken(last_seq + 1, Break.TAIL_REMOVED,
                             f"链头记录最后一条为第 {head_seq} 条,序号 {missing} 的记录不存在。")
    if head_seq < last_seq:
        if head is None:
            return here().broken(head_seq + 1, Break.HEAD_TAMPERED, "链头记录不存在。")
        return here().broken(head_seq + 1, Break.UNREGISTERED,
                             f"链头记录最后一条为第 {head_seq} 条,其后的记录未经登记。")
    if head is not None and head.last_hash != last_hash:
        return here().broken(last_seq, Break.HEAD_TAMPERED, "链头记录的哈希与最后一条记录不符。")
    return here()


# --- anchors: the chains' heads, written down outside the database -----------------------
#: Lines of the anchor file: ``time<TAB>chain<TAB>seq<TAB>hash<TAB>signature``; lines
#: starting with ``#`` are comments.
ANCHOR_FIELDS = 5


def derive_anchor_key(audit_key: str | bytes) -> bytes:
    """The default anchor key: derived from the audit key (so one secret is kept), but a
    different key, so an anchor signature can't stand in for a chain hash."""
    return hmac.new(_key_bytes(audit_key), b"xueji-audit-anchor-key", hashlib.sha256).digest()


def anchor_signature(time: str, chain: str, seq: int, entry_hash: str, key: str | bytes) -> str:
    message = f"audit-anchor:{time}:{chain}:{int(seq)}:{entry_hash}".encode()
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """一个锚点: at ``time`` the chain ``chain`` had reached entry ``seq`` with hash
    ``entry_hash``. Anchors only ever grow: a later check finds that entry in place."""

    time: str
    chain: str
    seq: int
    entry_hash: str

    def line(self, key: str | bytes) -> str:
        signature = anchor_signature(self.time, self.chain, self.seq, self.entry_hash, key)
        return f"{self.time}\t{self.chain}\t{self.seq}\t{self.entry_hash}\t{signature}\n"

    @property
    def local_time(self) -> str:
        """The time as YYYY-MM-DD HH:MM:SS (as written: the server's zone)."""
        return self.time.replace("T", " ")[:19]


class AnchorLineError(ValueError):
    """A line of the anchor file that is malformed or whose signature is wrong."""


def parse_anchor_line(line: str, key: str | bytes) -> Anchor | None:
    """The anchor on ``line``; None for a blank or comment line. Raises
    :class:`AnchorLineError` for a malformed line or a wrong signature."""
    text = line.rstrip("\r\n")
    if not text.strip() or text.startswith("#"):
        return None
    parts = text.split("\t")
    if len(parts) != ANCHOR_FIELDS:
        raise AnchorLineError("格式不对")
    time, chain, seq_text, entry_hash, signature = parts
    if not is_chain_name(chain) or not seq_text.isdigit() or not _HEX64.match(entry_hash):
        raise AnchorLineError("格式不对")
    seq = int(seq_text)
    if not hmac.compare_digest(signature, anchor_signature(time, chain, seq, entry_hash, key)):
        raise AnchorLineError("签名不符")
    return Anchor(time, chain, seq, entry_hash)


def check_against_anchor(
    verdict: Verdict, anchor: Anchor, head: Head | None, stored_hash: str | None
) -> Verdict:
    """Compare a chain that walked clean (``verdict``) with its newest ``anchor``:
    the anchored entry must still be there with the anchored hash, and the head must not
    stand before it. ``stored_hash`` is the hash of the chain's entry ``anchor.seq`` now
    (None when there is none)."""
    if not verdict.ok:
        return verdict
    head_seq = 0 if head is None else head.last_seq
    when = anchor.local_time
    if stored_hash is None or head_seq < anchor.seq:
        if head_seq < anchor.seq:
            lost = (f"第 {head_seq + 1} 条" if head_seq + 1 == anchor.seq
                    else f"第 {head_seq + 1}-{anchor.seq} 条")
            whole = "整条链(含链头)被删除" if head is None and verdict.count == 0 else (
                f"链头只到第 {head_seq} 条")
            return verdict.broken(
                head_seq + 1, Break.ROLLED_BACK,
                f"锚点({when})记录本链已到第 {anchor.seq} 条,现在{whole}:"
                f"{lost}末尾记录被删除,链头被回退到旧的状态。",
            )
        return verdict.broken(anchor.seq, Break.TAIL_REMOVED,
                              f"锚点({when})记录的第 {anchor.seq} 条已不存在。")
    if not hmac.compare_digest(stored_hash, anchor.entry_hash):
        return verdict.broken(
            anchor.seq, Break.ANCHOR_MISMATCH,
            f"第 {anchor.seq} 条的哈希与锚点({when})不符:本链在此之前被改写或整体替换。",
        )
    return verdict


# --- the whole log -----------------------------------------------------------------------
#: Functions naming chains (``{"44": "广东省"}``) for messages; the organisation app
#: registers one (the audit app can't look divisions up).
CHAIN_NAMERS: list[Callable[[str], str | None]] = []


def chain_name(chain: str) -> str:
    if chain == NATIONAL_CHAIN:
        return "全国"
    for namer in CHAIN_NAMERS:
        try:
            name = namer(chain)
        except Exception:  # noqa: BLE001 - a name is only decoration
            name = None
        if name:
            return name
    return ""


@dataclass(frozen=True)
class LogVerdict:
    """Every chain's verdict, and what was found in the anchor file.

    Errors (``ok`` is False): a broken chain; a line of the anchor file that is malformed
    or wrongly signed (someone changed the record kept apart); a missing anchor file while
    the log has entries (nothing can show that the newest entries were not removed).
    Warnings only: a chain with entries that has no anchor yet (it gets one now)."""

    chains: tuple[Verdict, ...]
    anchor_path: str = ""
    anchor_file_exists: bool = True
    anchors: Mapping[str, Anchor] = field(default_factory=dict)
    bad_anchor_lines: tuple[tuple[int, str], ...] = ()

    @property
    def count(self) -> int:
        return sum(v.count for v in self.chains)

    @property
    def broken(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.chains if not v.ok)

    @property
    def anchor_problems(self) -> list[str]:
        problems = []
        if not self.anchor_file_exists and self.count:
            problems.append(f"锚点文件 {self.anchor_path} 不存在:无法确认末尾记录未被删除、链头未被回退"
                            "(首次启用时运行 manage.py audit_anchor 建立)")
        if self.bad_anchor_lines:
            shown = "、".join(f"第 {n} 行{why}" for n, why in self.bad_anchor_lines[:5])
            more = f"等 {len(self.bad_anchor_lines)} 行" if len(self.bad_anchor_lines) > 5 else ""
            problems.append(f"锚点文件被篡改: {shown}{more}")
        return problems

    @property
    def warnings(self) -> list[str]:
        if not self.anchor_file_exists:
            return []
        return [f"链 {v.chain}: 尚无锚点" for v in self.chains
                if v.ok and v.count and v.chain not in self.anchors]

    @property
    def ok(self) -> bool:
        return not self.broken and not self.anchor_problems

    # The first broken chain's details, for callers that want one answer.
    @property
    def first(self) -> Verdict | None:
        return self.broken[0] if self.broken else None

    @property
    def broken_seq(self) -> int | None:
        return self.first.broken_seq if self.first else None

    @property
    def reason(self) -> Break | None:
        return self.first.reason if self.first else None

    @property
    def message(self) -> str:
        if self.ok:
            return f"审计日志完整: {len(self.chains)} 条链,共 {self.count} 条"
        lines = [f"链 {v.chain}: {v.message}" for v in self.broken]
        return ";".join(lines + self.anchor_problems)
