"""Audit-log rules as pure functions: canonical form, the hash chain and its verification.

No database here. An entry is handled as a plain mapping of its hashed fields
(:data:`HASHED_FIELDS`); the service layer builds the mapping before it inserts a row and
the verifier reads the same mapping back with ``values()``.

The chain (审计日志防篡改链)::

    entry_hash(n) = HMAC-SHA256(key, prev_hash(n) + canonical_payload(entry n))
    prev_hash(n)  = entry_hash(n - 1), and 64 zeros for the first entry

``seq`` is gapless (1, 2, 3 …) and part of the payload, so an edited row, a removed row and
a reordered row all break the chain. The newest entry is also recorded in a single head
row, itself authenticated with the key (:func:`head_mac`), so removing the newest entries
shows too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: prev_hash of the first entry.
GENESIS_HASH = "0" * 64

#: The fields of an entry covered by its hash, in no particular order (the canonical form
#: sorts them). The foreign keys ``actor`` and ``school`` are navigation aids only and are
#: not hashed: deleting a user sets ``actor`` to NULL, and the text copies
#: (``actor_username``, ``actor_name`` …) keep the record.
HASHED_FIELDS = (
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


def _canonical_json_value(value: Any) -> Any:
    """Numbers as the JSON column gives them back on every backend: PostgreSQL's jsonb
    returns an integral float (``1e16``, ``2.0``) as an integer, so integral floats are
    hashed as integers on both sides."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json_value(v) for v in value]
    return value


def canonical_payload(fields: Mapping[str, Any]) -> str:
    """The stable JSON text of an entry's hashed fields.

    Sorted keys, no whitespace, non-ASCII text as ``\\uXXXX`` escapes, the time in UTC,
    the IP address in normal form. ``before``/``after`` must already be plain
    JSON values (what the JSON column gives back), which the service guarantees."""
    data = {name: fields.get(name) for name in HASHED_FIELDS}
    data["seq"] = int(data["seq"])
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


def head_mac(last_seq: int, last_hash: str, key: str | bytes) -> str:
    """Authenticates the head row, so that it can't be rewound to hide removed entries
    by whoever can write the table but doesn't hold the key."""
    message = f"audit-head:{int(last_seq)}:{last_hash}".encode()
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
    text = str(name)
    lowered = text.lower()
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
    """What is wrong with the chain at the first broken entry."""

    EDITED = "内容被篡改"
    MISSING = "记录缺失"
    TAIL_REMOVED = "末尾记录被删除"
    HEAD_TAMPERED = "链头被篡改"
    UNREGISTERED = "存在未登记到链头的记录"


@dataclass(frozen=True)
class Head:
    """The head row as the verifier sees it."""

    last_seq: int
    last_hash: str
    mac: str = ""

    @property
    def is_pristine(self) -> bool:
        return self.last_seq == 0 and self.last_hash == GENESIS_HASH


@dataclass(frozen=True)
class Verdict:
    """The result of walking the chain: ``ok``, or the first broken ``seq`` and why."""

    ok: bool
    count: int
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    reason: Break | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return f"审计日志完整: {self.count} 条"
        return f"审计日志校验失败: 第 {self.broken_seq} 条 {self.reason}。{self.detail}"


def _broken(count, last_seq, last_hash, seq, reason, detail) -> Verdict:
    return Verdict(False, count, last_seq, last_hash, seq, reason, detail)


def verify_chain(
    entries: Iterable[Mapping[str, Any]], head: Head | None, key: str | bytes
) -> Verdict:
    """Walk ``entries`` (mappings with :data:`CHAIN_FIELDS`, in ``seq`` order, streamed:
    only the previous entry is kept) and compare the end with ``head``.

    Reports the first problem found:

    - :attr:`Break.MISSING` — a gap in ``seq`` (the first missing number is reported), or a
      ``prev_hash`` that is not the previous entry's hash;
    - :attr:`Break.EDITED` — the entry's content no longer matches its hash;
    - :attr:`Break.TAIL_REMOVED` — the head names entries after the last one present;
    - :attr:`Break.HEAD_TAMPERED` — the head row is not authentic or does not match;
    - :attr:`Break.UNREGISTERED` — entries exist after the entry the head names.
    """
    if head is not None and not head.is_pristine:
        if not _HEX64.match(head.last_hash or "") or not hmac.compare_digest(
            head.mac or "", head_mac(head.last_seq, head.last_hash, key)
        ):
            return _broken(0, 0, GENESIS_HASH, head.last_seq, Break.HEAD_TAMPERED,
                           "链头记录的校验码不符,链头可能被改写。")

    count = 0
    last_seq = 0
    last_hash = GENESIS_HASH
    for entry in entries:
        seq = int(entry["seq"])
        if seq != last_seq + 1:
            if seq <= last_seq:
                return _broken(count, last_seq, last_hash, seq, Break.MISSING,
                               f"序号 {seq} 重复或顺序错乱。")
            missing = (f"{last_seq + 1}" if seq == last_seq + 2
                       else f"{last_seq + 1}-{seq - 1}")
            return _broken(count, last_seq, last_hash, last_seq + 1, Break.MISSING,
                           f"序号 {missing} 的记录不存在(在第 {seq} 条之前)。")
        if entry["prev_hash"] != last_hash:
            return _broken(count, last_seq, last_hash, seq, Break.MISSING,
                           "前序哈希与上一条记录不符,上一条记录被删除或替换。")
        expected = entry_hash_of(entry, key)
        if not hmac.compare_digest(str(entry["entry_hash"] or ""), expected):
            return _broken(count, last_seq, last_hash, seq, Break.EDITED,
                           "记录内容与其哈希不符。")
        count += 1
        last_seq, last_hash = seq, entry["entry_hash"]

    head_seq = 0 if head is None else head.last_seq
    if head_seq > last_seq:
        missing = f"{last_seq + 1}" if head_seq == last_seq + 1 else f"{last_seq + 1}-{head_seq}"
        return _broken(count, last_seq, last_hash, last_seq + 1, Break.TAIL_REMOVED,
                       f"链头记录最后一条为第 {head_seq} 条,序号 {missing} 的记录不存在。")
    if head_seq < last_seq:
        if head is None:
            return _broken(count, last_seq, last_hash, head_seq + 1, Break.HEAD_TAMPERED,
                           "链头记录不存在。")
        return _broken(count, last_seq, last_hash, head_seq + 1, Break.UNREGISTERED,
                       f"链头记录最后一条为第 {head_seq} 条,其后的记录未经登记。")
    if head is not None and head.last_hash != last_hash:
        return _broken(count, last_seq, last_hash, last_seq, Break.HEAD_TAMPERED,
                       "链头记录的哈希与最后一条记录不符。")
    return Verdict(True, count, last_seq, last_hash)
