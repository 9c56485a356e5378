"""全国学籍号 (F-26) and identity keys: pure rules and the database guarantees."""

import datetime as dt
import threading

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from xueji.students import numbers, services
from xueji.students.models import IdentityClaim, NumberSequence


def test_sequence_counts_digits_then_letters():
    assert numbers.encode_sequence(1) == "0001"
    assert numbers.encode_sequence(9) == "0009"
    assert numbers.encode_sequence(10) == "000A"
    assert numbers.encode_sequence(35) == "000Z"
    assert numbers.encode_sequence(36) == "0010"
    assert numbers.encode_sequence(numbers.MAX_SEQUENCE) == "ZZZZ"
    with pytest.raises(ValueError):
        numbers.encode_sequence(0)
    with pytest.raises(ValueError):
        numbers.encode_sequence(numbers.MAX_SEQUENCE + 1)


@given(st.integers(1, numbers.MAX_SEQUENCE - 1))
def test_sequence_order_is_preserved(n):
    assert numbers.encode_sequence(n) < numbers.encode_sequence(n + 1)


def test_number_shapes():
    assert numbers.official_number("44010620140101123x") == "G44010620140101123X"
    prefix = numbers.sequence_prefix("L", "441623000000", dt.date(2003, 6, 16))
    assert prefix == "L44162320030616"
    assert len(numbers.sequenced_number(prefix, 1)) == 19
    with pytest.raises(ValueError):
        numbers.sequence_prefix("G", "441623000000", dt.date(2003, 6, 16))


def test_identity_keys():
    assert numbers.identity_key("1", "44010620140101123x") == "1:44010620140101123X"
    assert numbers.identity_key("A", " e1234567 ") == "A:E1234567"
    assert numbers.identity_key("Z", "") is None
    assert numbers.identity_key("Z", "123") is None
    assert numbers.identity_key("1", "") is None


@pytest.mark.django_db
def test_sequenced_numbers_never_repeat():
    got = [services.next_sequenced_number("J", "440106000000", dt.date(2019, 5, 1)) for _ in range(40)]
    assert len(set(got)) == 40
    assert got[0] == "J44010620190501" + "0001" and got[9] == "J440106201905010" + "00A"
    batch = services.allocate_sequenced_numbers("J", [("440106000000", dt.date(2019, 5, 1))] * 3)
    assert batch == ["J4401062019050100" + s for s in ("15", "16", "17")]
    assert NumberSequence.objects.get(prefix="J44010620190501").last == 43


@pytest.mark.django_db
def test_claims_conflict_names_the_holder(world):
    conflicts = services.claim_identities([("1:X1", world.th_school.pk, None)])
    assert conflicts == {}
    conflicts = services.claim_identities([("1:X1", world.hz_school.pk, None), ("1:X2", world.hz_school.pk, None)])
    assert list(conflicts) == ["1:X1"]
    assert "天河测试小学" in conflicts["1:X1"].message and "3440106001" in conflicts["1:X1"].message
    assert IdentityClaim.objects.get(key="1:X2").school == world.hz_school


@pytest.mark.django_db
def test_checked_claims_still_catch_a_key_taken_after_the_check(world):
    """``checked=True`` skips the read, not the database: a key claimed between the
    caller's check and the insert is reported, the others are claimed, and a key twice
    in one batch is claimed once."""
    services.claim_identities([("1:Z1", world.th_school.pk, 1)])
    conflicts = services.claim_identities(
        [("1:Z2", world.hz_school.pk, 2), ("1:Z1", world.hz_school.pk, 3), ("1:Z2", world.hz_school.pk, 4)],
        checked=True)
    assert list(conflicts) == ["1:Z1"] and "天河测试小学" in conflicts["1:Z1"].message
    assert IdentityClaim.objects.get(key="1:Z2").registration_id == 2
    assert IdentityClaim.objects.get(key="1:Z1").school == world.th_school


@pytest.mark.django_db
def test_release_claims_frees_pending_only(world):
    services.claim_identities([("1:Y1", world.th_school.pk, 7), ("1:Y2", world.th_school.pk, 8)])
    assert services.release_claims([7]) == 1
    assert not IdentityClaim.objects.filter(key="1:Y1").exists()
    assert services.claim_identities([("1:Y1", world.hz_school.pk, 9)]) == {}


@pytest.mark.django_db(transaction=True)
def test_two_schools_claim_one_id_at_the_same_moment(world):
    """Exactly one wins, whatever the timing: the unique key decides, not a check."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite can't serve two threads; file SQLite and PostgreSQL can")
    barrier = threading.Barrier(2)
    results = {}

    def register(school):
        try:
            barrier.wait()
            results[school.pk] = services.claim_identities([("1:RACE", school.pk, None)])
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(s,)) for s in (world.th_school, world.hz_school)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(bool(c) for c in results.values())
    assert outcomes == [False, True]
    assert IdentityClaim.objects.filter(key="1:RACE").count() == 1
