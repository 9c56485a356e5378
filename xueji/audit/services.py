"""Audit writes (审计日志写入) and the chain check.

Every business operation calls :func:`record_event` inside its own transaction, after its
other writes: the entry commits or rolls back with the effect it describes.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from . import anchors, rules
from .models import AuditEntry, AuditHead

#: Rows fetched per round trip when the chain is walked.
VERIFY_CHUNK_SIZE = 2000


# --- deriving the entry's fields ---------------------------------------------------------
def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or — only behind a trusted reverse proxy
    (``XUEJI_TRUSTED_PROXY``) — the address that proxy appended to ``X-Forwarded-For``.

    ``XUEJI_TRUSTED_PROXY`` = True (or 1) trusts one proxy: the right-most address of the
    header is taken, since a client can put anything it likes further left. An integer
    *n* trusts a chain of *n* proxies. False (the default) ignores the header."""
    if request is None:
        return None
    meta = getattr(request, "META", {}) or {}
    remote = rules.canonical_ip(meta.get("REMOTE_ADDR")) or None
    hops = getattr(settings, "XUEJI_TRUSTED_PROXY", False)
    hops = 1 if hops is True else (int(hops) if hops else 0)
    if hops > 0:
        forwarded = [p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            candidate = rules.canonical_ip(forwarded[-hops])
            if candidate:
                return candidate
    return remote


def _request_user(request):
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _target_identity(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, "" if target.pk is None else str(target.pk)
    if isinstance(target, tuple | list) and len(target) == 2:
        return str(target[0]), "" if target[1] is None else str(target[1])
    raise TypeError("target 须为模型实例或 (对象类型, 对象标识)")


def _label(obj) -> str:
    return obj._meta.label_lower if isinstance(obj, models.Model) else ""


def _school_of(target):
    """The school a target belongs to: the school itself, or its ``school`` link. The
    audit app sits below the organisation and looks nothing up: it recognises a school
    by its model label and reads the link only when it is already loaded or given."""
    if _label(target) == "org.school":
        return target
    if isinstance(target, models.Model) and getattr(target, "school_id", None):
        school = getattr(target, "school", None)
        if _label(school) == "org.school":
            return school
    return None


def _authority_prefix_of(target) -> str | None:
    """The prefix of an authority target, or of a target's ``authority`` link."""
    if _label(target) == "org.authority":
        return target.prefix
    if isinstance(target, models.Model) and getattr(target, "authority_id", None):
        authority = getattr(target, "authority", None)
        if _label(authority) == "org.authority":
            return authority.prefix
    return None


def _json_value(value: Any) -> Any:
    """A plain JSON value, secrets removed (:func:`rules.strip_secrets`, done as the JSON
    text is read back: every object, at any depth), exactly as the JSON column will give
    it back."""
    if value is None:
        return None
    text = json.dumps(value, cls=DjangoJSONEncoder)
    value = json.loads(text, object_hook=_without_secrets)
    return _strip_nul(value) if "\\u0000" in text else value  # (U+0000 is always written escaped)


def _without_secrets(obj: dict) -> dict:
    if any(map(rules.is_secret_key, obj)):
        return rules.strip_secrets(obj)
    return obj


def _strip_nul(value: Any) -> Any:
    # PostgreSQL can't store U+0000 in text or jsonb.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value


def _text(value: Any, field: str) -> str:
    text = "" if value is None else str(value).replace("\x00", "")
    limit = AuditEntry._meta.get_field(field).max_length
    return text[:limit] if limit else text


# --- the head rows ------------------------------------------------------------------------
def chain_digits() -> int:
    return int(getattr(settings, "XUEJI_AUDIT_CHAIN_DIGITS", rules.DEFAULT_CHAIN_DIGITS))


def _locked_head(chain: str) -> AuditHead:
    """The chain's head row, locked until the end of the transaction (``SELECT … FOR
    UPDATE``; SQLite ignores it, but there every write transaction starts IMMEDIATE and so
    holds the database's write lock already). Writers of other chains lock other rows and
    don't wait."""
    head = AuditHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        # The chain's first entry (or the table was emptied by a test flush): create the
        # row — INSERT … ON CONFLICT DO NOTHING, so a concurrent writer doing the same
        # makes this one wait for it and then find its row — and lock it.
        AuditHead.objects.bulk_create([AuditHead(chain=chain)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(chain=chain)
    return head


def _insert(entry: AuditEntry) -> None:
    """The entry's INSERT (a seam: ``xueji.testing.FailingAudit`` makes it fail)."""
    entry.save()


# --- writing -------------------------------------------------------------------------------
def record_event(
    *,
    action: str,
    summary: str,
    actor=None,
    request=None,
    target=None,
    before: Any = None,
    after: Any = None,
    school=None,
    authority_prefix: str | None = None,
    unit_name: str | None = None,
) -> AuditEntry:
    """记录审计事件: append one entry to the audit chain and return it.

    - ``action``: a short dotted code, ``area.event`` (``auth.login_failed``,
      ``scope.denied``, ``org.school_created`` …); ``summary``: one Chinese sentence.
    - ``actor``: the user acting; when omitted, the authenticated ``request.user``. Its
      username, real name, role and unit name are copied into the entry, so the entry
      outlives the account.
    - ``request``: gives the IP address (``REMOTE_ADDR``; ``X-Forwarded-For`` only when
      ``settings.XUEJI_TRUSTED_PROXY``) and the actor.
    - ``target``: the model instance acted on (``object_type`` = ``app_label.model_name``,
      ``object_id`` = its pk), or an ``(object_type, object_id)`` pair.
    - ``before`` / ``after``: the changed values; serialised with ``DjangoJSONEncoder``,
      and every key named like a password, secret, token or one-time code is removed.
    - ``school``: the school the event concerns; defaults to the target's school (the
      target itself when it is a school), then the actor's school.
    - ``authority_prefix``: whose scope the entry falls in. Default: the school's
      supervising authority, else the target authority's prefix (an authority, or a
      target with an ``authority`` link), else ``actor.scope_prefix``, else '' (only the
      ministry sees it).
    - ``unit_name``: default the actor's unit name, else the school's name.

    The entry goes to the chain of its ``authority_prefix`` (``rules.chain_of``: the
    province, by default the city). Joins the caller's transaction when there is one;
    writers of one chain are serialised on its head row, which stays locked until that
    transaction ends, so call this after the operation's other writes.
    """
    if not action:
        raise ValueError("审计事件须有操作类型 action")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser
    if actor is None:
        actor = _request_user(request)
    object_type, object_id = _target_identity(target)

    if school is None:
        school = _school_of(target)
    if school is None and actor is not None and getattr(actor, "school_id", None):
        school = actor.school

    if authority_prefix is None:
        if school is not None:
            authority_prefix = school.supervisor.prefix
        else:
            authority_prefix = _authority_prefix_of(target)
    if authority_prefix is None and actor is not None:
        authority_prefix = getattr(actor, "scope_prefix", None)
    if authority_prefix is None:
        authority_prefix = ""

    if unit_name is None:
        unit_name = getattr(actor, "unit_name", "") if actor is not None else ""
        if not unit_name and school is not None:
            unit_name = school.name

    fields = {
        "actor_username": _text(actor.get_username() if actor is not None else "", "actor_username"),
        "actor_name": _text(getattr(actor, "real_name", "") if actor is not None else "", "actor_name"),
        "actor_role": _text(getattr(actor, "role", "") if actor is not None else "", "actor_role"),
        "unit_name": _text(unit_name, "unit_name"),
        "authority_prefix": _text(authority_prefix, "authority_prefix"),
        "ip_address": client_ip(request),
        "action": _text(action, "action"),
        "object_type": _text(object_type, "object_type"),
        "object_id": _text(object_id, "object_id"),
        "summary": _text(summary, "summary"),
        "before": _json_value(before),
        "after": _json_value(after),
    }
    key = settings.XUEJI_AUDIT_KEY
    chain = rules.chain_of(fields["authority_prefix"], chain_digits())

    with transaction.atomic(savepoint=False):
        head = _locked_head(chain)
        fields["chain"] = chain
        fields["seq"] = head.last_seq + 1
        fields["occurred_at"] = timezone.now()
        fields["prev_hash"] = head.last_hash
        fields["entry_hash"] = rules.entry_hash_of(fields, key)
        entry = AuditEntry(actor=actor, school=school, **fields)
        _insert(entry)
        head.last_seq = entry.seq
        head.last_hash = entry.entry_hash
        head.mac = rules.head_mac(chain, head.last_seq, head.last_hash, key)
        head.save(update_fields=["last_seq", "last_hash", "mac"])
        # Once the entry is committed, this process may write it to the anchor file
        # (every XUEJI_AUDIT_ANCHOR_EVERY entries or XUEJI_AUDIT_ANCHOR_SECONDS per chain).
        transaction.on_commit(partial(anchors.entry_committed, chain, entry.seq, entry.entry_hash))
    return entry


# --- checking ------------------------------------------------------------------------------
def current_heads() -> dict[str, rules.Head]:
    return {head.chain: head.as_rule() for head in AuditHead.objects.all()}


def _head(chain: str) -> rules.Head | None:
    head = AuditHead.objects.filter(chain=chain).first()
    return None if head is None else head.as_rule()


def _chains_with_entries() -> list[str]:
    return list(AuditEntry.objects.order_by("chain").values_list("chain", flat=True).distinct())


def _stored_hash(chain: str, seq: int) -> str | None:
    return (AuditEntry.objects.filter(chain=chain, seq=seq)
            .values_list("entry_hash", flat=True).first())


def verify_chain_in_db(chain: str, head: rules.Head | None, chunk_size: int) -> rules.Verdict:
    """Walk one chain, streaming, without blocking its writers.

    ``head`` was read first and the entries up to it are checked against it; writers that
    commit meanwhile only add entries after it. Entries after the head are then checked
    to be registered in a head read *after* them (an entry and its head update commit
    together, so a later head always covers every entry already visible)."""
    key = settings.XUEJI_AUDIT_KEY
    entries = AuditEntry.objects.filter(chain=chain).order_by("seq")
    if head is None and entries.exists():
        head = _head(chain)  # the chain's very first entry may have committed in between
    if head is not None:
        entries = entries.filter(seq__lte=head.last_seq)
    # No head but entries: the head row was removed; walk everything and report it.
    rows = entries.values(*rules.CHAIN_FIELDS).iterator(chunk_size=chunk_size)
    verdict = rules.verify_chain(rows, head, key, chain)
    if not verdict.ok or head is None:
        return verdict
    newest = AuditEntry.objects.filter(chain=chain).aggregate(newest=Max("seq"))["newest"] or 0
    later_head = _head(chain)
    registered = 0 if later_head is None else later_head.last_seq
    if newest > registered:
        return verdict.broken(registered + 1, rules.Break.UNREGISTERED,
                              f"链头记录最后一条为第 {registered} 条,其后的记录未经登记。")
    return verdict


def verify_audit_log(chunk_size: int = VERIFY_CHUNK_SIZE) -> rules.LogVerdict:
    """Walk every chain (streaming) and compare each with its newest anchor.

    The anchor file is read *before* the heads: an anchor is written only after its entry
    committed, so every anchor read names an entry the heads read afterwards cover."""
    anchor_file = anchors.read_anchors()
    heads = current_heads()
    chains = sorted(set(heads) | set(_chains_with_entries()) | set(anchor_file.latest))
    verdicts = []
    for chain in chains:
        head = heads.get(chain)
        verdict = verify_chain_in_db(chain, head, chunk_size)
        anchor = anchor_file.latest.get(chain)
        if anchor is not None and verdict.ok:
            head = head or _head(chain)
            verdict = rules.check_against_anchor(verdict, anchor, head,
                                                 _stored_hash(chain, anchor.seq))
        verdicts.append(verdict)
    return rules.LogVerdict(
        chains=tuple(verdicts),
        anchor_path=str(anchor_file.path),
        anchor_file_exists=anchor_file.exists,
        anchors=anchor_file.latest,
        bad_anchor_lines=tuple(anchor_file.bad_lines),
    )


def anchor_verified(verdict: rules.LogVerdict) -> int:
    """After a clean check: append an anchor for every chain whose verified end is newer
    than its newest anchor. Returns the number of lines written."""
    if not verdict.ok:
        return 0
    fresh = [
        rules.Anchor(anchors.now_text(), v.chain, v.last_seq, v.last_hash)
        for v in verdict.chains
        if v.last_seq > 0 and (verdict.anchors.get(v.chain) is None
                               or verdict.anchors[v.chain].seq < v.last_seq)
    ]
    return anchors.append_anchors(fresh)


def anchor_heads() -> tuple[int, list[str]]:
    """``manage.py audit_anchor``: append an anchor for each chain's current head, cheaply
    (no walk of the chain): only a head that is authentic, not behind the chain's newest
    anchor and whose entry is in place is anchored. Returns (lines written, problems)."""
    key = settings.XUEJI_AUDIT_KEY
    anchor_file = anchors.read_anchors()
    problems = [f"锚点文件第 {n} 行{why}" for n, why in anchor_file.bad_lines]
    fresh = []
    for chain, head in sorted(current_heads().items()):
        if head.is_pristine:
            continue
        anchor = anchor_file.latest.get(chain)
        label = chain_label(chain)
        if not head.is_authentic(key):
            problems.append(f"{label}: 链头记录的校验码不符,未写锚点")
        elif anchor is not None and head.last_seq < anchor.seq:
            problems.append(f"{label}: 链头(第 {head.last_seq} 条)落后于锚点(第 {anchor.seq} 条),"
                            "链头被回退,未写锚点")
        elif _stored_hash(chain, head.last_seq) != head.last_hash:
            problems.append(f"{label}: 链头所指的第 {head.last_seq} 条不存在或不符,未写锚点")
        elif anchor is None or anchor.seq < head.last_seq:
            fresh.append(rules.Anchor(anchors.now_text(), chain, head.last_seq, head.last_hash))
    return anchors.append_anchors(fresh), problems


def chain_label(chain: str) -> str:
    """``链 4401(广州市)``: the chain's code with the region's name when known."""
    name = rules.chain_name(chain)
    return f"链 {chain}({name})" if name else f"链 {chain}"
