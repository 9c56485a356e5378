"""Concurrent writers queue on the head row and leave one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from xueji.audit.models import AuditEntry
from xueji.audit.services import record_event, verify_audit_log

WRITERS = 6
EVENTS_EACH = 10


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(users, org):
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
                    record_event(action="org.school_updated", summary=f"写入者{n}第{i}条",
                                 actor=actor, target=school, after={"n": n, "i": i})
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
    total = WRITERS * EVENTS_EACH
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    verdict = verify_audit_log(chunk_size=7)
    assert verdict.ok and verdict.count == total
