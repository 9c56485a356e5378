"""record_event, the model guards and verify_audit against a real database."""

from __future__ import annotations

import datetime as dt
import decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory, override_settings

from xueji.audit import rules
from xueji.audit.models import AuditEntry, AuditHead, AuditLogImmutable
from xueji.audit.services import client_ip, record_event, verify_audit_log

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _verify_ok() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def _chain(users, org, n=5):
    entries = []
    for i in range(n):
        entries.append(record_event(
            action="org.school_updated", summary=f"修改学校第{i + 1}次",
            actor=users["tianhe"], target=org["school"],
            before={"name": f"名{i}"}, after={"name": f"名{i + 1}"},
        ))
    return entries


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the chain -----------------------------------------------------------------------------
def test_chain_of_entries_verifies(users, org):
    entries = _chain(users, org)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == rules.GENESIS_HASH
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert later.prev_hash == earlier.entry_hash
    head = AuditHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, entries[-1].entry_hash)
    out = _verify_ok()
    assert "审计日志完整: 5 条" in out
    assert f"链头: 5:{entries[-1].entry_hash}" in out


def test_empty_log_verifies(db):
    assert "审计日志完整: 0 条" in _verify_ok()


def test_stored_rows_hash_as_written(users, org):
    """What comes back from the database hashes to the stored hash (JSON, time, IP)."""
    request = RequestFactory().get("/", REMOTE_ADDR="2001:0db8::0001")
    record_event(
        action="org.school_updated", summary="含各种类型", actor=users["tianhe"], request=request,
        target=org["school"],
        after={"date": dt.date(2026, 9, 1), "amount": decimal.Decimal("1.50"), "n": 2.0,
               "big": 1e16, "nested": {"list": [1, "二", None, True]}},
    )
    entry = AuditEntry.objects.get()
    assert entry.ip_address == "2001:db8::1"
    assert entry.after["date"] == "2026-09-01" and entry.after["amount"] == "1.50"
    assert entry.hash_is_valid
    assert verify_audit_log().ok


def test_edited_row_is_caught(users, org):
    _chain(users, org)
    _raw("UPDATE audit_auditentry SET summary = %s WHERE seq = %s", ["被改过的摘要", 3])
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")
    assert "第 3 条" in str(raised.value)
    assert "内容被篡改" in str(raised.value)
    assert not AuditEntry.objects.get(seq=3).hash_is_valid


def test_edited_before_after_is_caught(users, org):
    _chain(users, org)
    _raw("UPDATE audit_auditentry SET actor_username = %s WHERE seq = %s", ["someone_else", 2])
    verdict = verify_audit_log()
    assert (verdict.broken_seq, verdict.reason) == (2, rules.Break.EDITED)


def test_deleted_middle_row_is_caught(users, org):
    _chain(users, org)
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")
    assert "第 3 条" in str(raised.value)
    assert "记录缺失" in str(raised.value)


def test_deleted_last_row_is_caught(users, org):
    _chain(users, org)
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [5])
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")
    assert "第 5 条" in str(raised.value)
    assert "末尾记录被删除" in str(raised.value)


def test_deleted_tail_and_rewound_head_is_caught(users, org):
    """Rewinding the head to the new last entry needs the key (the head's MAC)."""
    entries = _chain(users, org)
    _raw("DELETE FROM audit_auditentry WHERE seq >= %s", [4])
    _raw("UPDATE audit_audithead SET last_seq = %s, last_hash = %s", [3, entries[2].entry_hash])
    verdict = verify_audit_log()
    assert verdict.reason == rules.Break.HEAD_TAMPERED
    with pytest.raises(CommandError, match="链头被篡改"):
        call_command("verify_audit")


def test_entry_inserted_behind_the_heads_back_is_caught(users, org):
    entries = _chain(users, org, n=2)
    _raw(
        "INSERT INTO audit_auditentry (seq, occurred_at, actor_username, actor_name, actor_role,"
        " unit_name, authority_prefix, action, object_type, object_id, summary, prev_hash,"
        " entry_hash) VALUES (%s, %s, '', '', '', '', '', 'x.forged', '', '', '伪造', %s, %s)",
        [3, entries[1].occurred_at, entries[1].entry_hash, "f" * 64],
    )
    verdict = verify_audit_log()
    assert (verdict.ok, verdict.broken_seq) == (False, 3)


def test_anchor_detects_rollback_of_everything(users, org):
    entries = _chain(users, org, n=3)
    anchor = f"3:{entries[2].entry_hash}"
    out = StringIO()
    call_command("verify_audit", anchor=[anchor], stdout=out)
    assert "完整" in out.getvalue()
    with pytest.raises(CommandError, match="第 4 条"):
        call_command("verify_audit", anchor=[f"4:{'a' * 64}"])


# --- the model refuses changes ------------------------------------------------------------
def test_model_refuses_save_of_existing_entry(users, org):
    entry = _chain(users, org, n=1)[0]
    entry.summary = "改"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    fetched = AuditEntry.objects.get(seq=entry.seq)
    fetched.summary = "改"
    with pytest.raises(AuditLogImmutable):
        fetched.save()
    assert AuditEntry.objects.get(seq=entry.seq).summary == "修改学校第1次"


def test_model_refuses_delete(users, org):
    entry = _chain(users, org, n=1)[0]
    with pytest.raises(AuditLogImmutable, match="不可删除"):
        entry.delete()
    assert AuditEntry.objects.count() == 1


def test_queryset_refuses_update_and_delete(users, org):
    _chain(users, org, n=2)
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.all().update(summary="x")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(seq=1).delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(seq=9, summary="x", action="x")])
    entries = list(AuditEntry.objects.all())
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_update(entries, ["summary"])
    with pytest.raises(AuditLogImmutable):
        users["tianhe"].audit_entries.all().delete()
    with pytest.raises(AuditLogImmutable):
        AuditHead.objects.all().delete()
    assert AuditEntry.objects.count() == 2
    assert verify_audit_log().ok


def test_entry_outlives_its_user(org):
    user = make_user("temp_admin", role="authority_admin", authority=org["tianhe"],
                     real_name="临时管理员")
    entry = record_event(action="account.created", summary="新增用户", actor=user, target=user)
    user.delete()
    entry = AuditEntry.objects.get(seq=entry.seq)
    assert entry.actor_id is None
    assert (entry.actor_username, entry.actor_name) == ("temp_admin", "临时管理员")
    assert entry.authority_prefix == "440106"
    assert verify_audit_log().ok


# --- transactions --------------------------------------------------------------------------
def test_rolled_back_event_leaves_no_entry_and_chain_verifies(users, org):
    _chain(users, org, n=2)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record_event(action="org.school_updated", summary="将回滚", actor=users["tianhe"],
                         target=org["school"])
            raise RuntimeError("业务失败")
    assert not AuditEntry.objects.filter(summary="将回滚").exists()
    assert AuditHead.objects.get().last_seq == 2
    entry = record_event(action="org.school_updated", summary="回滚之后",
                         actor=users["tianhe"], target=org["school"])
    assert entry.seq == 3  # no gap left by the rolled-back entry
    assert "审计日志完整: 3 条" in _verify_ok()


def test_event_joins_callers_transaction(users, org):
    with transaction.atomic():
        record_event(action="org.school_updated", summary="一起提交", actor=users["tianhe"])
        assert AuditEntry.objects.filter(summary="一起提交").exists()
    assert AuditEntry.objects.filter(summary="一起提交").exists()


# --- derived fields ------------------------------------------------------------------------
def test_fields_derived_from_actor_target_and_request(users, org):
    request = RequestFactory().post("/org/schools/1/", REMOTE_ADDR="10.1.2.3")
    request.user = users["tianhe"]
    entry = record_event(action="org.school_updated", summary="修改学校", request=request,
                         target=org["school"])
    assert entry.actor == users["tianhe"]
    assert entry.actor_username == "th_admin" and entry.actor_name == "天河管理员"
    assert entry.actor_role == "authority_admin"
    assert entry.unit_name == "天河区教育局"
    assert entry.ip_address == "10.1.2.3"
    assert (entry.object_type, entry.object_id) == ("org.school", str(org["school"].pk))
    assert entry.school == org["school"]
    assert entry.authority_prefix == "440106"


def test_authority_prefix_precedence(users, org):
    # a city user acting on a Baiyun school: the school's supervisor decides
    e = record_event(action="org.school_updated", summary="s", actor=users["city"],
                     target=org["baiyun_school"])
    assert e.authority_prefix == "440111"
    # explicit beats everything ('' is an explicit value: ministry-only)
    e = record_event(action="x.y", summary="s", actor=users["city"], target=org["baiyun_school"],
                     authority_prefix="")
    assert e.authority_prefix == ""
    # an authority target
    e = record_event(action="x.y", summary="s", actor=users["province"], target=org["tianhe"])
    assert e.authority_prefix == "440106"
    # a user target: that user's unit
    e = record_event(action="account.locked", summary="s", actor=users["city"],
                     target=users["baiyun"])
    assert e.authority_prefix == "440111"
    e = record_event(action="account.locked", summary="s", actor=users["city"],
                     target=users["school"])
    assert e.authority_prefix == "440106" and e.school == org["school"]
    # no target: the actor's scope; a school user's is the supervisor's
    e = record_event(action="auth.login", summary="s", actor=users["city"])
    assert e.authority_prefix == "4401" and e.school is None
    e = record_event(action="auth.login", summary="s", actor=users["school"])
    assert e.authority_prefix == "440106" and e.school == org["school"]
    assert e.unit_name == "天河区第一小学"
    # no actor at all (failed login with an unknown name): ministry only
    e = record_event(action="auth.login_failed", summary="s", after={"username": "nobody"})
    assert (e.authority_prefix, e.actor_username, e.actor_id) == ("", "", None)
    from django.contrib.auth.models import AnonymousUser

    e = record_event(action="scope.denied", summary="s", actor=AnonymousUser())
    assert e.actor_id is None and e.actor_username == ""
    # a parent has no scope
    e = record_event(action="auth.login", summary="s", actor=users["parent"])
    assert e.authority_prefix == ""
    # a (type, id) pair as target
    e = record_event(action="x.y", summary="s", actor=users["city"], target=("students.student", 42))
    assert (e.object_type, e.object_id) == ("students.student", "42")
    assert verify_audit_log().ok


def test_secrets_are_stripped(users):
    entry = record_event(
        action="account.password_changed", summary="修改密码", actor=users["tianhe"],
        before={"password": "old-secret-1", "username": "th_admin"},
        after={"password": "new-secret-2", "new_password2": "new-secret-2", "otp_token": "123456",
               "profile": {"api_token": "tok", "phone": "13800000000"}, "secret": "s"},
    )
    entry = AuditEntry.objects.get(seq=entry.seq)
    assert entry.before == {"username": "th_admin"}
    assert entry.after == {"profile": {"phone": "13800000000"}}
    stored = str(AuditEntry.objects.values_list("before", "after").get(seq=entry.seq))
    for secret in ("old-secret-1", "new-secret-2", "123456", "tok"):
        assert secret not in stored
    assert verify_audit_log().ok


def test_ip_from_forwarded_header_only_behind_trusted_proxy():
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert client_ip(request) == "10.0.0.9"
    with override_settings(XUEJI_TRUSTED_PROXY=True):
        assert client_ip(request) == "5.6.7.8"  # the address our proxy appended
    with override_settings(XUEJI_TRUSTED_PROXY=2):
        assert client_ip(request) == "1.2.3.4"
    with override_settings(XUEJI_TRUSTED_PROXY=True):
        junk = factory.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="not-an-ip")
        assert client_ip(junk) == "10.0.0.9"
    assert client_ip(None) is None


def test_overlong_text_is_truncated_consistently(users):
    entry = record_event(action="x.y", summary="长" * 5000, actor=users["tianhe"],
                         target=("x.thing", "9" * 200))
    assert len(entry.object_id) == 64
    assert verify_audit_log().ok
