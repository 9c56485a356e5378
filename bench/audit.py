"""Benchmark: the audit log — record_event throughput, writers in one chain or in two
regions' chains, and verify_audit over a large log.

In a throwaway database (or ``DATABASE_URL``):

1. ``record_event`` single-threaded: ``--events`` entries, each in its own transaction
   (what a service does: one operation, one entry), actor and target given as text,
   small ``before``/``after``; entries per second.
2. Two writer processes at once, ``--events`` entries each (each in its own
   transaction, ``--hold-ms`` of other work after record_event before the commit, as a
   service that audits last still has its commit to do): both in Guangzhou's chain
   (4401: they queue on one head row), then one in Guangzhou and one in Nanning (4401,
   4501: different head rows). Wall time and entries per second over both. On SQLite every
   write transaction takes the database's write lock (BEGIN IMMEDIATE), so the two cases
   cost the same there; the partitioning shows on PostgreSQL.
3. ``verify_audit`` over ``--verify-entries`` entries (default 1,000,000) in ``--chains``
   chains: the entries are built set-based with the real hash chain (rules.entry_hash_of,
   raw INSERTs; not timed), one anchor per chain, then
   ``services.verify_audit_log()`` is timed; entries per second and the peak RSS of this
   process (the check streams).

Prints one JSON object. ``bash scripts/pg-throwaway run -- .venv/bin/python bench/audit.py``
for PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

GUANGZHOU = "440106"
NANNING = "450102"
_COLUMNS = ("chain", "seq", "occurred_at", "actor_username", "actor_name", "actor_role",
            "unit_name", "authority_prefix", "ip_address", "action", "object_type", "object_id",
            "summary", "before", "after", "prev_hash", "entry_hash")


def _event(i: int, prefix: str) -> None:
    from xueji.audit.services import record_event

    record_event(action="org.school_updated", summary=f"修改学校基本信息 第{i}次",
                 target=("org.school", 1000 + i % 500), authority_prefix=prefix,
                 unit_name="天河区教育局", before={"name": f"旧名{i}", "principal": "张"},
                 after={"name": f"新名{i}", "principal": "李"})


def single_writer(events: int) -> dict:
    from django.db import transaction

    start = time.perf_counter()
    for i in range(events):
        with transaction.atomic():
            _event(i, GUANGZHOU)
    seconds = time.perf_counter() - start
    return {"events": events, "seconds": round(seconds, 2), "per_second": round(events / seconds)}


def _writer(prefix: str, events: int, hold_ms: float, go, done) -> None:
    from django.db import connections, transaction

    go.wait()
    try:
        for i in range(events):
            with transaction.atomic():
                _event(i, prefix)
                if hold_ms:
                    time.sleep(hold_ms / 1000)
    finally:
        connections.close_all()
        done.put(time.perf_counter())


def two_writers(prefixes: tuple[str, str], events: int, hold_ms: float) -> dict:
    from django.db import connections

    connections.close_all()  # the children open their own connections
    context = multiprocessing.get_context("fork")
    go = context.Event()
    done = context.Queue()
    workers = [context.Process(target=_writer, args=(p, events, hold_ms, go, done)) for p in prefixes]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    start = time.perf_counter()
    go.set()
    ends = [done.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise RuntimeError(f"writer failed with exit code {worker.exitcode}")
    seconds = max(ends) - start
    total = events * len(workers)
    return {"chains": sorted({p[:4] for p in prefixes}), "events": total, "hold_ms": hold_ms,
            "seconds": round(seconds, 2), "per_second": round(total / seconds)}


def build_log(entries: int, chains: int) -> None:
    """``entries`` entries over ``chains`` chains with a valid chain and head rows, inserted
    with raw SQL in batches (the model refuses bulk inserts), and one anchor per chain."""
    from django.conf import settings
    from django.db import connection, transaction

    from xueji.audit import anchors, rules
    from xueji.audit.models import AuditEntry, AuditHead

    key = settings.XUEJI_AUDIT_KEY
    names = [f"{11 + n // 20:02d}{1 + n % 20:02d}" for n in range(chains)]
    state = {name: (0, rules.GENESIS_HASH) for name in names}
    t0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    sql = (f"INSERT INTO {AuditEntry._meta.db_table} ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})")
    adapt = connection.ops.adapt_datetimefield_value
    batch = []
    for i in range(entries):
        chain = names[i % chains]
        seq, prev = state[chain]
        fields = {
            "chain": chain, "seq": seq + 1, "occurred_at": t0 + dt.timedelta(milliseconds=i),
            "actor_username": f"user{i % 997}", "actor_name": "测试用户", "actor_role": "school_registrar",
            "unit_name": "测试学校", "authority_prefix": chain + "06", "ip_address": "10.0.0.1",
            "action": "org.school_updated", "object_type": "org.school", "object_id": str(i % 5000),
            "summary": f"修改学校基本信息 第{i}次", "before": {"name": f"旧名{i}"},
            "after": {"name": f"新名{i}"}, "prev_hash": prev,
        }
        fields["entry_hash"] = rules.entry_hash_of(fields, key)
        state[chain] = (seq + 1, fields["entry_hash"])
        row = dict(fields, occurred_at=adapt(fields["occurred_at"]),
                   before=json.dumps(fields["before"]), after=json.dumps(fields["after"]))
        batch.append([row[c] for c in _COLUMNS])
        if len(batch) == 20_000 or i == entries - 1:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch = []
    AuditHead.objects.bulk_create([
        AuditHead(chain=c, last_seq=s, last_hash=h, mac=rules.head_mac(c, s, h, key))
        for c, (s, h) in state.items()
    ], update_conflicts=True, unique_fields=["chain"], update_fields=["last_seq", "last_hash", "mac"])
    anchors.append_anchors(rules.Anchor(anchors.now_text(), c, s, h) for c, (s, h) in state.items())


def verify(entries: int, chains: int) -> dict:
    from xueji.audit.services import verify_audit_log

    start = time.perf_counter()
    build_log(entries, chains)
    built = time.perf_counter() - start
    rss_before = _common.current_rss_mb()
    start = time.perf_counter()
    verdict = verify_audit_log()
    seconds = time.perf_counter() - start
    if not verdict.ok:
        raise RuntimeError(verdict.message)
    return {"entries": verdict.count, "chains": len(verdict.chains), "build_seconds": round(built, 1),
            "seconds": round(seconds, 1), "per_second": round(verdict.count / seconds),
            "rss_before_mb": rss_before, "peak_rss_mb": _common.max_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--hold-ms", type=float, default=2.0)
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    parser.add_argument("--chains", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.conf import settings
        from django.core.management import call_command

        settings.XUEJI_AUDIT_ANCHOR_PATH = str(Path(var_dir) / "anchors.log")
        call_command("migrate", verbosity=0)
        result = {"machine": _common.machine(), "database": _common.database(),
                  "date": dt.date.today().isoformat()}
        result["single_writer"] = single_writer(args.events)
        result["two_writers_same_chain"] = two_writers((GUANGZHOU, GUANGZHOU), args.events, args.hold_ms)
        result["two_writers_two_regions"] = two_writers((GUANGZHOU, NANNING), args.events, args.hold_ms)
        if args.verify_entries:
            result["verify"] = verify(args.verify_entries, args.chains)
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
