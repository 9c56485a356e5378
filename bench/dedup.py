"""Benchmark: 查重 (identity de-duplication) against a national-size set of records.

Builds (in a throwaway database, or ``DATABASE_URL``) ``--schools`` schools over every
county, each with one class, and ``--records`` students, each with its identity claim
(``students.IdentityClaim``, key ``1:<resident ID>``): valid, distinct resident IDs over
all 3,133 county codes and 13 birth years. Inserted set-based (``executemany`` on SQLite,
``COPY`` on PostgreSQL), not timed with the queries. Then times:

- one 查重 lookup, ``students.services.find_conflicts([key])``, for ``--repeat`` random
  keys that are held (the holder's school and number are fetched) and as many that are
  not; for reference, the same lookup as a four-column ``values_list`` and as raw SQL
  (where the time goes: database or ORM);
- de-duplicating a batch: ``find_conflicts`` of ``--batch-size`` (10,000) keys of which
  ``--present`` (5 %) are held, ``--batches`` times with fresh keys;
- claiming such a batch: ``claim_identities`` of the absent keys (one read + one
  insert, what ``_register_batch`` does after the read), rolled back each time.

Prints one JSON object (milliseconds; p50/p99/max over the samples). Run through
``make bench`` (SQLite) or with ``DATABASE_URL`` set (PostgreSQL), e.g.
``bash scripts/pg-throwaway run -- .venv/bin/python bench/dedup.py --records 5000000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

CHUNK = 50_000
FIRST_BIRTH = dt.date(2008, 1, 1)
BIRTH_DAYS = 13 * 365
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class People:
    """Person ``i`` → a distinct valid resident ID: county ``i mod C``, birth day
    ``(i div C) mod D``, so any ``i < C·D`` (14.9 million) is unique."""

    def __init__(self, counties: list[str]) -> None:
        self.counties = counties
        self.days = [FIRST_BIRTH + dt.timedelta(days=d) for d in range(BIRTH_DAYS)]
        self.ymd = [f"{d:%Y%m%d}" for d in self.days]
        self.capacity = len(counties) * BIRTH_DAYS

    def birth(self, i: int) -> dt.date:
        return self.days[(i // len(self.counties)) % BIRTH_DAYS]

    def gender(self, i: int) -> str:
        return "1" if (i // 7) % 2 else "2"

    def id_number(self, i: int) -> str:
        c = len(self.counties)
        order = ((i * 7919) % 499) * 2 + (1 if self.gender(i) == "1" else 2)
        first17 = f"{self.counties[i % c]}{self.ymd[(i // c) % BIRTH_DAYS]}{order:03d}"
        return first17 + _CHECK[sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True)) % 11]

    def key(self, i: int) -> str:
        return "1:" + self.id_number(i)


def _insert(table: str, columns: list[str], rows) -> None:
    """Set-based insert of an iterable of tuples: COPY on PostgreSQL, executemany else."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(c) for c in columns)
    batch: list[tuple] = []

    def flush() -> None:
        if not batch:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(table)} ({column_sql}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {qn(table)} ({column_sql}) VALUES ({placeholders})", batch)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            flush()
    flush()


def _reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def build(n_records: int, n_schools: int, people: People, counties: list[str]) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from xueji.org.models import Authority, Grade, School, SchoolClass
    from xueji.students.models import IdentityClaim, NumberKind, Student

    year = 2026
    authorities = {a.code: a.pk for a in Authority.objects.filter(level=3)}
    with transaction.atomic():
        schools = School.objects.bulk_create([
            School(code=f"{3000000000 + s}", name=f"基准学校{s}", division_id=counties[s % len(counties)] + "000000",
                   supervisor_id=authorities[counties[s % len(counties)] + "000000"], school_type="211",
                   has_primary=True, primary_years=6, address_code=counties[s % len(counties)] + "000000",
                   address="-")
            for s in range(n_schools)
        ], batch_size=2000)
        grades = Grade.objects.bulk_create(
            [Grade(school=school, stage="1", entry_year=year - 2) for school in schools], batch_size=2000)
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=grade, code=f"{year - 2}101", name="1班")
             for school, grade in zip(schools, grades, strict=True)], batch_size=2000)
    placement = [(s.pk, g.pk, c.pk) for s, g, c in zip(schools, grades, classes, strict=True)]

    # One prototype row of every Student column (defaults as the ORM would write them);
    # the columns that vary are overwritten per record.
    now = timezone.now()
    proto = Student(national_number="G" + "0" * 18, number_kind=NumberKind.OFFICIAL_ID, name="王小明", gender="1",
                    birth_date=FIRST_BIRTH, id_type="1", id_number="", school_id=0, grade_id=0, klass_id=0,
                    current_address="测试路1号", postal_address="测试路1号", home_address="测试路1号",
                    phone="13800138000", postcode="510000", ethnicity="01", entry_month=f"{year - 2}09")
    proto.registered_at = proto.updated_at = now
    fields = [f for f in Student._meta.concrete_fields]
    columns = [f.column for f in fields]
    template = [f.get_db_prep_save(getattr(proto, f.attname), connection) for f in fields]
    where = {name: columns.index(name) for name in (
        "id", "national_number", "name", "gender", "birth_date", "id_number", "school_id", "grade_id", "klass_id")}
    adapt_date = connection.ops.adapt_datefield_value
    names = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "子涵一诺欣怡梓轩浩然雨桐宇轩思彤俊杰嘉怡"

    def students():
        for i in range(n_records):
            row = list(template)
            number = people.id_number(i)
            school, grade, klass = placement[i % len(placement)]
            row[where["id"]] = i + 1
            row[where["national_number"]] = "G" + number
            row[where["name"]] = names[i % 20] + given[(i * 7) % 20] + given[(i * 13) % 20]
            row[where["gender"]] = people.gender(i)
            row[where["birth_date"]] = adapt_date(people.birth(i))
            row[where["id_number"]] = number
            row[where["school_id"]], row[where["grade_id"]], row[where["klass_id"]] = school, grade, klass
            yield tuple(row)

    _insert(Student._meta.db_table, columns, students())

    claim_fields = [IdentityClaim._meta.get_field(n) for n in ("id", "key", "school", "student", "registration_id",
                                                                 "claimed_at")]
    claimed_at = claim_fields[-1].get_db_prep_save(now, connection)

    def claims():
        for i in range(n_records):
            yield (i + 1, people.key(i), placement[i % len(placement)][0], i + 1, None, claimed_at)

    _insert(IdentityClaim._meta.db_table, [f.column for f in claim_fields], claims())
    _reset_sequences(Student, IdentityClaim)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=2_000, help="single lookups of each kind (held / free)")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--present", type=float, default=0.05, help="share of a batch's keys already held")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--var-dir", help="use this directory instead of a temporary one (kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp:
        var_dir = args.var_dir or tmp
        Path(var_dir).mkdir(parents=True, exist_ok=True)
        _common.django_setup(var_dir)
        from django.conf import settings
        from django.db import connection, transaction

        from xueji.org.models import Division
        from xueji.students import services
        from xueji.students.models import IdentityClaim

        counties = sorted(code[:6] for code in Division.objects.filter(level=3).values_list("code", flat=True))
        people = People(counties)
        if args.records + args.repeat + args.batches * args.batch_size > people.capacity:
            raise SystemExit(f"at most {people.capacity:,} distinct identities")
        started = time.perf_counter()
        build(args.records, args.schools, people, counties)
        build_s = time.perf_counter() - started
        rng = random.Random(args.seed)
        fresh = iter(range(args.records, people.capacity))  # identities nobody holds

        for _ in range(50):  # warm up connection and statement cache
            services.find_conflicts([people.key(rng.randrange(args.records))])
        # Each sample is one call with a list of one key.
        held = [[people.key(rng.randrange(args.records))] for _ in range(args.repeat)]
        free = [[people.key(next(fresh))] for _ in range(args.repeat)]
        mixed = held + free
        rng.shuffle(mixed)
        single_held = _common.time_calls(services.find_conflicts, held)
        single_free = _common.time_calls(services.find_conflicts, free)
        single_all = _common.time_calls(services.find_conflicts, mixed)
        assert len(services.find_conflicts(held[0])) == 1 and not services.find_conflicts(free[0])
        # Where the time of one lookup goes: the same question as four columns through the
        # ORM, and as one prepared SQL statement (no ORM).
        narrow = _common.time_calls(
            lambda keys: list(IdentityClaim.objects.filter(key__in=keys).values_list(
                "key", "school__name", "school__code", "student__national_number")), mixed)
        qn = connection.ops.quote_name
        sql = (f"SELECT c.{qn('key')}, s.name, s.code, st.national_number FROM students_identityclaim c "
               "JOIN org_school s ON s.id = c.school_id LEFT JOIN students_student st ON st.id = c.student_id "
               f"WHERE c.{qn('key')} = %s")
        with connection.cursor() as cursor:
            raw = _common.time_calls(lambda keys: (cursor.execute(sql, [keys[0]]), cursor.fetchall()), mixed)

        n_present = round(args.batch_size * args.present)
        batch_ms, claim_ms = [], []
        from xueji.org.models import School

        school_id = School.objects.order_by("pk").values_list("pk", flat=True).first()
        for _ in range(args.batches):
            present = [people.key(i) for i in rng.sample(range(args.records), n_present)]
            absent = [people.key(next(fresh)) for _ in range(args.batch_size - n_present)]
            keys = present + absent
            rng.shuffle(keys)
            start = time.perf_counter()
            found = services.find_conflicts(keys)
            batch_ms.append((time.perf_counter() - start) * 1000)
            assert len(found) == n_present, (len(found), n_present)
            with transaction.atomic():
                start = time.perf_counter()
                lost = services.claim_identities([(k, school_id, None) for k in absent])
                claim_ms.append((time.perf_counter() - start) * 1000)
                assert not lost
                transaction.set_rollback(True)

        if connection.vendor == "sqlite":
            size_mb = round(os.path.getsize(settings.DATABASES["default"]["NAME"]) / 1e6)
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size_mb = round(cursor.fetchone()[0] / 1e6)
        results = {
            "database": _common.database(),
            "records": IdentityClaim.objects.count(),
            "schools": args.schools,
            "database_mb": size_mb,
            "build_seconds": round(build_s, 1),
            "single_lookup_held": single_held,
            "single_lookup_free": single_free,
            "single_lookup_mixed": single_all,
            "reference_single_values_list_4_columns": narrow,
            "reference_single_raw_sql": raw,
            f"batch_find_conflicts_{args.batch_size}_keys_{n_present}_held": _common.percentiles(batch_ms),
            f"batch_claim_identities_{args.batch_size - n_present}_keys_rolled_back": _common.percentiles(claim_ms),
            "targets": {
                "single p99 <= 5 ms": single_all["p99_ms"] <= 5,
                "10,000-key batch <= 1 s": max(batch_ms) <= 1000,
            },
            "machine": _common.machine(),
            "date": dt.datetime.now(dt.UTC).date().isoformat(),
        }
        connection.close()
        print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
