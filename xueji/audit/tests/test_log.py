"""record_event, the model guards and verify_audit against a real database."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
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


def _verify_fails() -> str:
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit", stdout=StringIO())
    return str(raised.value)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run record_event's after-commit work (the anchor writes), as a real commit would."""
    def write(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return record_event(**kwargs)
    return write


@pytest.fixture
def chain(users, org, committed):
    """``chain(n)``: n entries in Tianhe's chain (4401)."""
    def build(n=5):
        return [
            committed(action="org.school_updated", summary=f"修改学校第{i + 1}次",
                      actor=users["tianhe"], target=org["school"],
                      before={"name": f"名{i}"}, after={"name": f"名{i + 1}"})
            for i in range(n)
        ]
    return build


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _head_row(chain_name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_seq, last_hash, mac FROM audit_head WHERE chain = %s", [chain_name])
        return cursor.fetchone()


def _put_head_row(chain_name, row):
    _raw("UPDATE audit_head SET last_seq = %s, last_hash = %s, mac = %s WHERE chain = %s",
         [*row, chain_name])


def _chains_ok() -> bool:
    """Every chain walks clean (the anchor file is not looked at: entries written with
    plain record_event in a test never commit, so nothing anchored them)."""
    verdict = verify_audit_log()
    return all(v.ok for v in verdict.chains)


def _by_chain(verdict) -> dict:
    return {v.chain: v for v in verdict.chains}


# --- the chains ----------------------------------------------------------------------------
def test_chain_of_entries_verifies(chain):
    entries = chain()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert {e.chain for e in entries} == {"4401"}
    assert entries[0].prev_hash == rules.GENESIS_HASH
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert later.prev_hash == earlier.entry_hash
        assert later.pk > earlier.pk
    head = AuditHead.objects.get()
    assert (head.chain, head.last_seq, head.last_hash) == ("4401", 5, entries[-1].entry_hash)
    out = _verify_ok()
    assert "链 4401(广州市): 完整 5 条" in out
    assert f"链头: 4401:5:{entries[-1].entry_hash}" in out
    assert "审计日志完整: 1 条链,共 5 条" in out


def test_empty_log_verifies(db):
    assert "审计日志完整: 0 条链,共 0 条" in _verify_ok()


def test_entries_go_to_their_regions_chain(users, org):
    """Per city by default; '' (the ministry, anonymous events) is the national chain."""
    tianhe = record_event(action="org.school_updated", summary="天河", actor=users["tianhe"],
                          target=org["school"])
    province = record_event(action="auth.login", summary="省", actor=users["province"])
    ministry = record_event(action="auth.login", summary="部", actor=users["ministry"])
    anonymous = record_event(action="auth.login_failed", summary="未知账号")
    guangxi = record_event(action="x.y", summary="广西", actor=users["ministry"],
                           authority_prefix="450102")
    guangxi2 = record_event(action="x.y", summary="广西", actor=users["ministry"],
                            authority_prefix="4501")
    assert [(e.chain, e.seq) for e in (tianhe, province, ministry, anonymous, guangxi, guangxi2)] == [
        ("4401", 1), ("44", 1), ("00", 1), ("00", 2), ("4501", 1), ("4501", 2)]
    assert set(AuditHead.objects.values_list("chain", flat=True)) == {"4401", "44", "00", "4501"}
    with override_settings(XUEJI_AUDIT_CHAIN_DIGITS=2):
        e = record_event(action="x.y", summary="按省", actor=users["tianhe"], target=org["school"])
    assert (e.chain, e.seq) == ("44", 2)
    assert _chains_ok()
    verdict = verify_audit_log()
    assert {v.chain: v.count for v in verdict.chains} == {"00": 2, "44": 2, "4401": 1, "4501": 2}


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
    assert _chains_ok()


# --- tampering, chain by chain: each case breaks Tianhe's chain and nothing else ------------
def _edit(entries):
    _raw("UPDATE audit_entry SET summary = %s WHERE chain = '4401' AND seq = 3", ["被改过的摘要"])


def _edit_actor(entries):
    _raw("UPDATE audit_entry SET actor_username = 'someone_else' WHERE chain = '4401' AND seq = 2")


def _move_to_other_chain(entries):
    _raw("UPDATE audit_entry SET chain = '4403' WHERE chain = '4401' AND seq = 5")


def _delete_middle(entries):
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq = 3")


def _delete_last(entries):
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq = 5")


def _delete_tail_forge_head(entries):
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq >= 4")
    _raw("UPDATE audit_head SET last_seq = 3, last_hash = %s WHERE chain = '4401'",
         [entries[2].entry_hash])


def _delete_head_row(entries):
    _raw("DELETE FROM audit_head WHERE chain = '4401'")


def _insert_behind_heads_back(entries):
    _raw(
        "INSERT INTO audit_entry (chain, seq, occurred_at, actor_username, actor_name, actor_role,"
        " unit_name, authority_prefix, action, object_type, object_id, summary, prev_hash,"
        " entry_hash) VALUES ('4401', 6, %s, '', '', '', '', '440106', 'x.forged', '', '', '伪造',"
        " %s, %s)",
        [entries[-1].occurred_at, entries[-1].entry_hash, "f" * 64],
    )


TAMPERING = [
    # (what is done, first broken seq, reason, words in the message)
    pytest.param(_edit, 3, rules.Break.EDITED, "内容被篡改", id="edit"),
    pytest.param(_edit_actor, 2, rules.Break.EDITED, "内容被篡改", id="edit-actor"),
    pytest.param(_move_to_other_chain, 5, rules.Break.TAIL_REMOVED, "末尾记录被删除", id="move-chain"),
    pytest.param(_delete_middle, 3, rules.Break.MISSING, "记录缺失", id="delete-middle"),
    pytest.param(_delete_last, 5, rules.Break.TAIL_REMOVED, "末尾记录被删除", id="delete-last"),
    pytest.param(_delete_tail_forge_head, 3, rules.Break.HEAD_TAMPERED, "链头被篡改",
                 id="delete-tail-forge-head"),
    pytest.param(_delete_head_row, 1, rules.Break.HEAD_TAMPERED, "链头被篡改", id="delete-head"),
    pytest.param(_insert_behind_heads_back, 6, rules.Break.UNREGISTERED, "未登记",
                 id="insert-unregistered"),
]


@pytest.mark.parametrize(("tamper", "seq", "reason", "words"), TAMPERING)
def test_tampering_is_caught_in_its_chain_only(chain, users, committed, tamper, seq, reason, words):
    entries = chain()
    for i in range(3):  # a second chain (Guangxi) and the national chain stay intact
        committed(action="x.y", summary=f"广西{i}", actor=users["ministry"], authority_prefix="450102")
        committed(action="auth.login_failed", summary=f"未知账号{i}")
    tamper(entries)
    verdict = verify_audit_log()
    assert not verdict.ok
    chains = _by_chain(verdict)
    assert (chains["4401"].broken_seq, chains["4401"].reason) == (seq, reason)
    assert chains["4501"].ok and chains["4501"].count == 3
    assert chains["00"].ok and chains["00"].count == 3
    message = _verify_fails()
    assert "链 4401" in message and f"第 {seq} 条" in message and words in message
    assert "链 4501" not in message


def test_deleted_tail_and_restored_old_head_is_caught_by_the_anchor(chain):
    """The attack the head's MAC can't stop: remove the newest entries and copy back an
    authentic older head row (from a backup). verify_audit, with no option, finds it in
    the anchor file that an earlier check wrote."""
    entries = chain(3)
    old_head = _head_row("4401")
    entries += chain(2)
    assert "本次写入 1 条" in _verify_ok()  # the daily check anchors 4401 at seq 5
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq >= 4")
    _put_head_row("4401", old_head)
    # the chain alone now looks whole
    assert rules.verify_chain(
        AuditEntry.objects.filter(chain="4401").order_by("seq").values(*rules.CHAIN_FIELDS),
        AuditHead.objects.get(chain="4401").as_rule(), settings.XUEJI_AUDIT_KEY).ok
    verdict = verify_audit_log()
    assert (verdict.broken_seq, verdict.reason) == (4, rules.Break.ROLLED_BACK)
    message = _verify_fails()
    assert "链头被回退" in message and "第 4-5 条末尾记录被删除" in message


@override_settings(XUEJI_AUDIT_ANCHOR_EVERY=1)
def test_rollback_is_caught_by_anchors_of_the_writers_themselves(chain):
    """Without any check in between: with an anchor per entry (XUEJI_AUDIT_ANCHOR_EVERY=1)
    the writing processes anchored entry 5 themselves."""
    chain(3)
    old_head = _head_row("4401")
    chain(2)
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq >= 4")
    _put_head_row("4401", old_head)
    verdict = verify_audit_log()
    assert verdict.reason == rules.Break.ROLLED_BACK


def test_whole_chain_removed_is_caught_by_the_anchor(chain, users, committed):
    chain(2)
    committed(action="auth.login_failed", summary="未知账号")
    _verify_ok()
    _raw("DELETE FROM audit_entry WHERE chain = '4401'")
    _raw("DELETE FROM audit_head WHERE chain = '4401'")
    verdict = verify_audit_log()
    assert _by_chain(verdict)["4401"].reason == rules.Break.ROLLED_BACK
    assert _by_chain(verdict)["00"].ok
    assert "整条链(含链头)被删除" in _verify_fails()


def test_whole_log_restored_from_an_old_backup_is_caught(chain, users, committed):
    """Everything (entries and heads, every chain) put back to an earlier state."""
    chain(2)
    committed(action="auth.login_failed", summary="未知账号")
    heads = {c: _head_row(c) for c in ("4401", "00")}
    chain(2)
    committed(action="auth.login_failed", summary="未知账号")
    _verify_ok()
    _raw("DELETE FROM audit_entry WHERE seq >= 3 AND chain = '4401'")
    _raw("DELETE FROM audit_entry WHERE seq >= 2 AND chain = '00'")
    for c, row in heads.items():
        _put_head_row(c, row)
    verdict = verify_audit_log()
    assert {v.chain: v.reason for v in verdict.broken} == {
        "4401": rules.Break.ROLLED_BACK, "00": rules.Break.ROLLED_BACK}


def test_chain_rewritten_below_the_anchor_is_caught(chain):
    """An anchored entry with another hash (the chain was replaced by someone holding
    the audit key but not the anchor key, or by another database's copy)."""
    entries = chain(3)
    _verify_ok()
    _raw("DELETE FROM audit_entry WHERE chain = '4401'")
    key = settings.XUEJI_AUDIT_KEY
    prev = rules.GENESIS_HASH
    for e in entries:  # re-create the chain with other content and valid hashes
        fields = dict(e.chain_fields(), summary="另写的", prev_hash=prev)
        fields["entry_hash"] = rules.entry_hash_of(fields, key)
        _raw("INSERT INTO audit_entry (chain, seq, occurred_at, actor_username, actor_name,"
             " actor_role, unit_name, authority_prefix, ip_address, action, object_type, object_id,"
             " summary, before, after, prev_hash, entry_hash) VALUES"
             " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
             [fields["chain"], fields["seq"], fields["occurred_at"], fields["actor_username"],
              fields["actor_name"], fields["actor_role"], fields["unit_name"],
              fields["authority_prefix"], fields["ip_address"], fields["action"],
              fields["object_type"], fields["object_id"], fields["summary"],
              json.dumps(fields["before"]), json.dumps(fields["after"]), prev, fields["entry_hash"]])
        prev = fields["entry_hash"]
    _put_head_row("4401", (3, prev, rules.head_mac("4401", 3, prev, key)))
    verdict = verify_audit_log()
    assert (verdict.broken_seq, verdict.reason) == (3, rules.Break.ANCHOR_MISMATCH)


# --- the anchor file -----------------------------------------------------------------------
def _anchor_file() -> Path:
    return Path(settings.XUEJI_AUDIT_ANCHOR_PATH)


def test_writers_anchor_after_commit_at_most_every_n_entries(users, org, committed):
    with override_settings(XUEJI_AUDIT_ANCHOR_EVERY=3, XUEJI_AUDIT_ANCHOR_SECONDS=3600):
        entries = [committed(action="org.school_updated", summary=str(i), actor=users["tianhe"],
                             target=org["school"]) for i in range(7)]
    lines = _anchor_file().read_text().splitlines()
    assert [line.split("\t")[1:3] for line in lines] == [["4401", "1"], ["4401", "4"], ["4401", "7"]]
    assert lines[-1].split("\t")[3] == entries[-1].entry_hash
    assert "链 4401(广州市): 完整 7 条,锚点 第 7 条" in _verify_ok()


def test_rolled_back_entry_is_not_anchored(users, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            record_event(action="org.school_updated", summary="将回滚", actor=users["tianhe"],
                         target=org["school"])
            raise RuntimeError("业务失败")
    assert not _anchor_file().exists()


def test_anchor_write_failure_does_not_fail_the_operation(users, org, committed, tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with override_settings(XUEJI_AUDIT_ANCHOR_PATH=str(blocker / "anchors.log")):
        entry = committed(action="org.school_updated", summary="照常", actor=users["tianhe"],
                          target=org["school"])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert "锚点写入失败" in caplog.text


def test_missing_anchor_file_is_an_error(chain):
    chain(2)
    _anchor_file().unlink()
    verdict = verify_audit_log()
    assert not verdict.ok and all(v.ok for v in verdict.chains)
    message = _verify_fails()
    assert "锚点文件" in message and "不存在" in message
    # audit_anchor (run after looking into it) starts the file again
    call_command("audit_anchor", stdout=StringIO())
    assert "审计日志完整" in _verify_ok()


def test_chain_without_anchor_is_a_warning(users, org):
    record_event(action="auth.login_failed", summary="未知账号")  # committed without anchoring
    _anchor_file().parent.mkdir(parents=True, exist_ok=True)
    _anchor_file().write_text("# 锚点\n")
    out = _verify_ok()
    assert "警告: 链 00: 尚无锚点" in out
    assert "本次写入 1 条" in out
    assert "警告" not in _verify_ok()


@pytest.mark.parametrize("change", [
    pytest.param(lambda t: t.replace("\t4401\t5\t", "\t4401\t9\t"), id="seq-raised"),
    pytest.param(lambda t: t.replace("\t4401\t5\t", "\t4401\t3\t"), id="seq-lowered"),
    pytest.param(lambda t: t + "2026-01-01T00:00:00+08:00\t4401\t9\t" + "a" * 64 + "\t" + "b" * 64 + "\n",
                 id="forged-line"),
    pytest.param(lambda t: t + "垃圾\n", id="garbage"),
])
def test_tampered_anchor_file_is_an_error(chain, change):
    chain()
    _verify_ok()
    path = _anchor_file()
    path.write_text(change(path.read_text()))
    verdict = verify_audit_log()
    assert not verdict.ok
    assert "锚点文件被篡改" in _verify_fails()


def test_half_written_last_line_is_ignored(chain):
    chain(2)
    _verify_ok()
    with _anchor_file().open("a") as handle:
        handle.write("2026-01-01T00:00:00+08:00\t4401\t2")  # another process is writing it
    assert verify_audit_log().ok


def test_audit_anchor_command(chain, users, committed):
    chain(3)
    committed(action="auth.login_failed", summary="未知账号")
    out = StringIO()
    call_command("audit_anchor", stdout=out)
    assert "本次写入 1 条" in out.getvalue()  # 4401 was anchored at seq 1 by its writer …
    lines = _anchor_file().read_text().splitlines()
    assert {tuple(line.split("\t")[1:3]) for line in lines} >= {("4401", "3"), ("00", "1")}
    out = StringIO()
    call_command("audit_anchor", stdout=out)
    assert "本次写入 0 条" in out.getvalue()  # nothing new


def test_audit_anchor_refuses_a_rewound_head(chain):
    chain(3)
    old_head = _head_row("4401")
    chain(2)
    call_command("audit_anchor", stdout=StringIO())
    _raw("DELETE FROM audit_entry WHERE chain = '4401' AND seq >= 4")
    _put_head_row("4401", old_head)
    with pytest.raises(CommandError, match="链头被回退"):
        call_command("audit_anchor", stdout=StringIO())


def test_extra_anchor_option_still_works(chain):
    entries = chain(3)
    out = StringIO()
    call_command("verify_audit", anchor=[f"4401:3:{entries[2].entry_hash}"], stdout=out)
    assert "完整" in out.getvalue()
    with pytest.raises(CommandError, match="第 4 条"):
        call_command("verify_audit", anchor=[f"4401:4:{'a' * 64}"], stdout=StringIO())
    with pytest.raises(CommandError, match="锚点格式"):
        call_command("verify_audit", anchor=["nonsense"], stdout=StringIO())


# --- the model refuses changes ------------------------------------------------------------
def test_model_refuses_save_of_existing_entry(chain):
    entry = chain(1)[0]
    entry.summary = "改"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    fetched = AuditEntry.objects.get(pk=entry.pk)
    fetched.summary = "改"
    with pytest.raises(AuditLogImmutable):
        fetched.save()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "修改学校第1次"


def test_model_refuses_delete(chain):
    entry = chain(1)[0]
    with pytest.raises(AuditLogImmutable, match="不可删除"):
        entry.delete()
    assert AuditEntry.objects.count() == 1


def test_queryset_refuses_update_and_delete(users, chain):
    chain(2)
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.all().update(summary="x")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(seq=1).delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(chain="00", seq=9, summary="x", action="x")])
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
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor_id is None
    assert (entry.actor_username, entry.actor_name) == ("temp_admin", "临时管理员")
    assert entry.authority_prefix == "440106"
    assert _chains_ok()


# --- transactions --------------------------------------------------------------------------
def test_rolled_back_event_leaves_no_entry_and_chain_verifies(users, org, chain, committed):
    chain(2)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record_event(action="org.school_updated", summary="将回滚", actor=users["tianhe"],
                         target=org["school"])
            raise RuntimeError("业务失败")
    assert not AuditEntry.objects.filter(summary="将回滚").exists()
    assert AuditHead.objects.get().last_seq == 2
    entry = committed(action="org.school_updated", summary="回滚之后",
                      actor=users["tianhe"], target=org["school"])
    assert entry.seq == 3  # no gap left by the rolled-back entry
    assert "链 4401(广州市): 完整 3 条" in _verify_ok()


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
    assert _chains_ok()


def test_secrets_are_stripped(users):
    entry = record_event(
        action="account.password_changed", summary="修改密码", actor=users["tianhe"],
        before={"password": "old-secret-1", "username": "th_admin"},
        after={"password": "new-secret-2", "new_password2": "new-secret-2", "otp_token": "123456",
               "profile": {"api_token": "tok", "phone": "13800000000"}, "secret": "s"},
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.before == {"username": "th_admin"}
    assert entry.after == {"profile": {"phone": "13800000000"}}
    stored = str(AuditEntry.objects.values_list("before", "after").get(pk=entry.pk))
    for secret in ("old-secret-1", "new-secret-2", "123456", "tok"):
        assert secret not in stored
    assert _chains_ok()


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
    assert _chains_ok()
