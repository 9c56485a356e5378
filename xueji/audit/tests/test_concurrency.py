"""Concurrent writers: in one chain they queue on its head row and leave it gapless; in
different chains (regions) they don't wait on each other (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from xueji.audit.models import AuditEntry
from xueji.audit.services import record_event, verify_audit_log

WRITERS = 6
EVENTS_EACH = 10


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_their_chains_gapless(users, org):
    """Six writers, half in Tianhe's chain (4401) and half in Guangxi's (4501)."""
    if _in_memory_sqlite():
        pytest.skip("in-memory SQLite shares one cache between threads and can't queue writers;"
                    " a file database (the deployment) and PostgreSQL can")
    actor = users["tianhe"]
    school = org["school"]
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    if n % 2:
                        record_event(action="org.school_updated", summary=f"写入者{n}第{i}条",
                                     actor=actor, target=school, after={"n": n, "i": i})
                    else:
                        record_event(action="x.y", summary=f"写入者{n}第{i}条", actor=actor,
                                     authority_prefix="450102", after={"n": n, "i": i})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    each = WRITERS // 2 * EVENTS_EACH
    for chain in ("4401", "4501"):
        seqs = AuditEntry.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True)
        assert list(seqs) == list(range(1, each + 1))
    verdict = verify_audit_log(chunk_size=7)
    assert all(v.ok for v in verdict.chains) and verdict.count == 2 * each


def _lock_timeout(ms: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(ms)}ms'")


@pytest.mark.django_db(transaction=True)
def test_writers_in_different_regions_do_not_wait(users, org):
    """A writer in Guangdong (chain 4401) holds its transaction open after record_event; a
    writer in Guangxi (chain 4501) completes meanwhile, under a lock timeout that would
    end it if it had to wait for a lock. The control: a second Guangdong writer does hit
    that timeout — it queues on the same head row."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction on the whole database "
                    "(BEGIN IMMEDIATE): there chains can't be written in parallel anyway")
    # Both chains exist already (their head rows are committed).
    record_event(action="x.y", summary="广东", actor=users["tianhe"], target=org["school"])
    record_event(action="x.y", summary="广西", actor=users["ministry"], authority_prefix="450102")

    holding = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def guangdong_writer() -> None:
        try:
            with transaction.atomic():
                record_event(action="x.y", summary="广东,事务未结束", actor=users["tianhe"],
                             target=org["school"])
                holding.set()
                release.wait(timeout=60)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            holding.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=guangdong_writer)
    thread.start()
    try:
        assert holding.wait(timeout=60)
        assert not errors, errors
        with transaction.atomic():
            _lock_timeout(5000)
            entry = record_event(action="x.y", summary="广西,不等待", actor=users["city"],
                                 authority_prefix="450102")
        assert (entry.chain, entry.seq) == ("4501", 2)
        with pytest.raises(OperationalError, match="lock"):
            with transaction.atomic():
                _lock_timeout(300)
                record_event(action="x.y", summary="广东,须排队", actor=users["city"],
                             target=org["school"])
    finally:
        release.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert list(AuditEntry.objects.filter(chain="4401").order_by("seq")
                .values_list("summary", flat=True)) == ["广东", "广东,事务未结束"]
    assert all(v.ok for v in verify_audit_log().chains)
