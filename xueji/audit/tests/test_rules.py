"""The pure rules: canonical form, chain hash, chain verification, secret stripping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from xueji.audit import rules

KEY = "test-audit-key"


def _entry(seq, prev_hash, **overrides):
    fields = {
        "chain": "4401",
        "seq": seq,
        "occurred_at": dt.datetime(2026, 9, 1, 8, 0, seq, tzinfo=dt.UTC),
        "actor_username": "th_admin",
        "actor_name": "天河管理员",
        "actor_role": "authority_admin",
        "unit_name": "天河区教育局",
        "authority_prefix": "440106",
        "ip_address": "10.0.0.1",
        "action": "org.school_updated",
        "object_type": "org.school",
        "object_id": "1144010601",
        "summary": f"第{seq}次修改",
        "before": {"name": "旧名"},
        "after": {"name": "新名"},
        "prev_hash": prev_hash,
    }
    fields.update(overrides)
    fields["entry_hash"] = rules.entry_hash_of(fields, KEY)
    return fields


def _chain(n):
    entries, prev = [], rules.GENESIS_HASH
    for seq in range(1, n + 1):
        entry = _entry(seq, prev)
        entries.append(entry)
        prev = entry["entry_hash"]
    head = rules.Head("4401", n, prev, rules.head_mac("4401", n, prev, KEY))
    return entries, head


def test_canonical_payload_is_stable_and_compact():
    a = _entry(1, rules.GENESIS_HASH)
    b = dict(reversed(list(a.items())))  # other key order
    b["occurred_at"] = a["occurred_at"].astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert rules.canonical_payload(a) == rules.canonical_payload(b)
    text = rules.canonical_payload(a)
    assert " " not in text and "\n" not in text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["occurred_at"] == "2026-09-01T08:00:01.000000Z"
    assert "prev_hash" not in data and "entry_hash" not in data


def test_canonical_payload_matches_what_databases_give_back():
    a = _entry(1, rules.GENESIS_HASH, ip_address="2001:0db8:0000::0001",
               after={"n": 1e16, "x": 2.0, "y": 2.5})
    b = dict(a, ip_address="2001:db8::1", after={"n": 10**16, "x": 2, "y": 2.5})
    assert rules.canonical_payload(a) == rules.canonical_payload(b)


def test_naive_timestamp_refused():
    with pytest.raises(ValueError):
        rules.canonical_timestamp(dt.datetime(2026, 9, 1, 8, 0))


def test_chain_hash_is_hmac_over_prev_and_payload():
    import hashlib
    import hmac

    payload = '{"a":1}'
    expected = hmac.new(KEY.encode(), (rules.GENESIS_HASH + payload).encode(), hashlib.sha256).hexdigest()
    assert rules.chain_hash(rules.GENESIS_HASH, payload, KEY) == expected
    assert rules.chain_hash(rules.GENESIS_HASH, payload, "other key") != expected
    assert len(expected) == 64


def test_intact_chain_verifies():
    entries, head = _chain(5)
    verdict = rules.verify_chain(iter(entries), head, KEY)
    assert verdict.ok and verdict.count == 5
    assert verdict.message == "审计日志完整: 5 条"


def test_empty_chain_verifies():
    assert rules.verify_chain([], None, KEY).ok
    assert rules.verify_chain([], rules.Head("4401", 0, rules.GENESIS_HASH), KEY).ok


def test_edited_entry_is_reported():
    entries, head = _chain(5)
    entries[2] = dict(entries[2], summary="改过的摘要")
    verdict = rules.verify_chain(entries, head, KEY)
    assert not verdict.ok
    assert (verdict.broken_seq, verdict.reason) == (3, rules.Break.EDITED)
    assert "内容被篡改" in verdict.message and "第 3 条" in verdict.message


def test_edited_json_is_reported():
    entries, head = _chain(3)
    entries[1] = dict(entries[1], after={"name": "别的名字"})
    verdict = rules.verify_chain(entries, head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (2, rules.Break.EDITED)


def test_wrong_key_fails():
    entries, head = _chain(2)
    verdict = rules.verify_chain(entries, rules.Head("4401", 0, rules.GENESIS_HASH), "wrong")
    assert not verdict.ok and verdict.broken_seq == 1


def test_missing_middle_entry_is_reported():
    entries, head = _chain(5)
    del entries[2]
    verdict = rules.verify_chain(entries, head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (3, rules.Break.MISSING)


def test_missing_first_entry_is_reported():
    entries, head = _chain(3)
    verdict = rules.verify_chain(entries[1:], head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (1, rules.Break.MISSING)


def test_relinked_entry_is_reported():
    """An entry whose prev_hash does not name its predecessor (renumbered to hide a gap)."""
    entries, head = _chain(4)
    forged = dict(entries[3], seq=3)
    verdict = rules.verify_chain([entries[0], entries[1], forged], head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (3, rules.Break.MISSING)


def test_removed_tail_is_reported():
    entries, head = _chain(5)
    verdict = rules.verify_chain(entries[:3], head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (4, rules.Break.TAIL_REMOVED)
    assert "末尾记录被删除" in verdict.message


def test_rewound_head_without_key_is_reported():
    entries, head = _chain(5)
    forged = rules.Head("4401", 3, entries[2]["entry_hash"], head.mac)
    verdict = rules.verify_chain(entries[:3], forged, KEY)
    assert verdict.reason == rules.Break.HEAD_TAMPERED


def test_missing_head_is_reported():
    entries, _ = _chain(2)
    verdict = rules.verify_chain(entries, None, KEY, "4401")
    assert not verdict.ok and verdict.reason == rules.Break.HEAD_TAMPERED


def test_entries_after_head_are_reported():
    entries, _ = _chain(4)
    h = entries[1]["entry_hash"]
    verdict = rules.verify_chain(entries, rules.Head("4401", 2, h, rules.head_mac("4401", 2, h, KEY)), KEY)
    assert (verdict.broken_seq, verdict.reason) == (3, rules.Break.UNREGISTERED)


def test_head_of_another_chain_is_not_authentic():
    """A head row copied from another chain (same seq and hash) fails: the MAC covers the
    chain."""
    entries, head = _chain(3)
    moved = rules.Head("4403", head.last_seq, head.last_hash, head.mac)
    assert not moved.is_authentic(KEY)
    assert rules.verify_chain(entries, moved, KEY).reason == rules.Break.HEAD_TAMPERED


def test_entry_moved_to_another_chain_is_reported():
    """The chain is hashed: relabelling an entry's chain breaks its hash."""
    entries, head = _chain(3)
    entries[1] = dict(entries[1], chain="4403")
    verdict = rules.verify_chain(entries, head, KEY)
    assert (verdict.broken_seq, verdict.reason) == (2, rules.Break.EDITED)
    assert rules.canonical_payload(dict(entries[0], chain="4403")) != rules.canonical_payload(entries[0])


@pytest.mark.parametrize(("prefix", "digits", "chain"), [
    ("", 4, "00"), (None, 4, "00"), ("44", 4, "44"), ("4401", 4, "4401"), ("440106", 4, "4401"),
    ("440106", 2, "44"), ("4401", 2, "44"), ("440106", 6, "440106"), ("4", 4, "00"),
    ("ab12", 4, "00"),
])
def test_chain_of(prefix, digits, chain):
    assert rules.chain_of(prefix, digits) == chain


def test_chain_digits_must_be_a_level():
    with pytest.raises(ValueError):
        rules.chain_of("440106", 3)


# --- anchors -------------------------------------------------------------------------------
ANCHOR_KEY = rules.derive_anchor_key(KEY)


def test_anchor_line_round_trip():
    anchor = rules.Anchor("2026-09-01T08:00:00+08:00", "4401", 12, "a" * 64)
    line = anchor.line(ANCHOR_KEY)
    assert line.endswith("\n") and line.count("\t") == 4
    assert rules.parse_anchor_line(line, ANCHOR_KEY) == anchor
    assert anchor.local_time == "2026-09-01 08:00:00"
    assert rules.parse_anchor_line("# comment\n", ANCHOR_KEY) is None
    assert rules.parse_anchor_line("\n", ANCHOR_KEY) is None
    assert ANCHOR_KEY != KEY.encode()


@pytest.mark.parametrize("change", [
    lambda t: t.replace("\t12\t", "\t13\t"),           # seq raised
    lambda t: t.replace("\t4401\t", "\t4403\t"),       # other chain
    lambda t: t.replace("a" * 64, "b" * 64),             # other hash
    lambda t: t.replace("08:00:00", "09:00:00"),         # other time
    lambda t: t.rsplit("\t", 1)[0] + "\t" + "0" * 64,    # forged signature
    lambda t: t.replace("\t", " "),                      # not the format
    lambda t: t.replace("\t12\t", "\tx\t"),
])
def test_tampered_anchor_line_is_refused(change):
    line = rules.Anchor("2026-09-01T08:00:00+08:00", "4401", 12, "a" * 64).line(ANCHOR_KEY)
    with pytest.raises(rules.AnchorLineError):
        rules.parse_anchor_line(change(line), ANCHOR_KEY)


def test_anchor_signed_with_another_key_is_refused():
    line = rules.Anchor("2026-09-01T08:00:00+08:00", "4401", 12, "a" * 64).line(b"other")
    with pytest.raises(rules.AnchorLineError, match="签名不符"):
        rules.parse_anchor_line(line, ANCHOR_KEY)


def _anchored(entries, seq):
    return rules.Anchor("2026-09-01T08:00:00+08:00", "4401", seq, entries[seq - 1]["entry_hash"])


def test_chain_that_reaches_its_anchor_passes():
    entries, head = _chain(5)
    verdict = rules.verify_chain(entries, head, KEY)
    for seq in (1, 5):
        checked = rules.check_against_anchor(verdict, _anchored(entries, seq), head,
                                             entries[seq - 1]["entry_hash"])
        assert checked.ok


def test_rewound_head_with_valid_mac_is_caught_by_the_anchor():
    """Entries 4-5 removed and an authentic older head (from a backup) put back: the chain
    alone looks whole, the anchor shows it was longer."""
    entries, _ = _chain(5)
    h3 = entries[2]["entry_hash"]
    old_head = rules.Head("4401", 3, h3, rules.head_mac("4401", 3, h3, KEY))
    verdict = rules.verify_chain(entries[:3], old_head, KEY)
    assert verdict.ok
    checked = rules.check_against_anchor(verdict, _anchored(entries, 5), old_head, None)
    assert not checked.ok
    assert (checked.broken_seq, checked.reason) == (4, rules.Break.ROLLED_BACK)
    assert "第 4-5 条末尾记录被删除" in checked.detail and "链头被回退" in checked.message


def test_whole_chain_removed_is_caught_by_the_anchor():
    entries, _ = _chain(2)
    verdict = rules.verify_chain([], None, KEY, "4401")
    checked = rules.check_against_anchor(verdict, _anchored(entries, 2), None, None)
    assert checked.reason == rules.Break.ROLLED_BACK
    assert "整条链(含链头)被删除" in checked.detail


def test_chain_replaced_below_the_anchor_is_caught():
    entries, head = _chain(3)
    other = rules.Anchor("2026-09-01T08:00:00+08:00", "4401", 3, "c" * 64)
    verdict = rules.verify_chain(entries, head, KEY)
    checked = rules.check_against_anchor(verdict, other, head, entries[2]["entry_hash"])
    assert (checked.broken_seq, checked.reason) == (3, rules.Break.ANCHOR_MISMATCH)


def test_log_verdict_errors_and_warnings():
    entries, head = _chain(2)
    clean = rules.verify_chain(entries, head, KEY)
    anchor = _anchored(entries, 2)
    whole = rules.LogVerdict(chains=(clean,), anchors={"4401": anchor})
    assert whole.ok and whole.count == 2 and not whole.warnings
    assert whole.message == "审计日志完整: 1 条链,共 2 条"
    unanchored = rules.LogVerdict(chains=(clean,), anchors={})
    assert unanchored.ok and unanchored.warnings == ["链 4401: 尚无锚点"]
    no_file = rules.LogVerdict(chains=(clean,), anchor_file_exists=False, anchor_path="/x")
    assert not no_file.ok and "锚点文件 /x 不存在" in no_file.message
    empty_no_file = rules.LogVerdict(chains=(), anchor_file_exists=False)
    assert empty_no_file.ok
    bad = rules.LogVerdict(chains=(clean,), anchors={"4401": anchor}, bad_anchor_lines=((3, "签名不符"),))
    assert not bad.ok and "锚点文件被篡改: 第 3 行签名不符" in bad.message
    broken = rules.LogVerdict(chains=(clean, clean.broken(1, rules.Break.EDITED, "x")))
    assert not broken.ok and (broken.broken_seq, broken.reason) == (1, rules.Break.EDITED)


def test_verify_streams():
    """verify_chain consumes a generator once and keeps nothing but the last entry."""
    entries, head = _chain(50)
    verdict = rules.verify_chain((e for e in entries), head, KEY)
    assert verdict.ok and verdict.count == 50


@pytest.mark.parametrize("name", [
    "password", "password1", "new_password", "PASSWORD_HASH", "passwd", "pwd", "secret",
    "client_secret", "token", "api_token", "csrfmiddlewaretoken", "otp", "otp_token",
    "totpCode", "api_key", "apiKey", "session_key", "sessionid", "captcha", "登录密码",
    "验证码", "用户口令", "密钥", "PrivateKey", "accessKey", "Cookie", "Authorization", "HOTP",
])
def test_secret_key_names(name):
    assert rules.is_secret_key(name)


@pytest.mark.parametrize("name", [
    "username", "name", "photo", "id_number", "phone", "address", "key_data", "school",
    "second_username", "keyword", "otpless", "hotpot", "footpath", "张三(G440106201001010011)",
    "张三(G440106201001010011)家庭成员", "commute_distance", "session", "private_school", "access_road",
])
def test_ordinary_key_names(name):
    assert not rules.is_secret_key(name)


def test_strip_secrets_at_any_depth():
    value = {"username": "a", "password": "x", "nested": [{"token": "t", "ok": 1}],
             "inner": {"otp": "123456", "phone": "13800000000"}}
    assert rules.strip_secrets(value) == {
        "username": "a", "nested": [{"ok": 1}], "inner": {"phone": "13800000000"},
    }


def test_action_label():
    assert rules.action_label("auth.login_failed") == "登录失败"
    assert rules.action_label("x.unknown") == "x.unknown"
