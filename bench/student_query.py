"""Benchmark: 在校生查询 (``reports:students``) over a province of ``--records`` students.

Builds (in a throwaway database, or ``DATABASE_URL``) ``--schools`` schools spread over
the counties of 广东省 (44), each with 6 grades × 4 classes, and ``--records`` students
(95 % 在校, 3 % 休学, 2 % 毕业) with their 学籍号 rows, inserted set-based with
``common.bulk.insert_rows`` (COPY on PostgreSQL) and not timed. Then times, through the
Django test client (the whole request: scope, conditions, capped count, page query,
rendering), the first page for a province, a city (广州), a county (天河) and a school
registrar, each with no condition and with common conditions (name prefix, gender +
stage + entry year, a flag, a 学籍号, sort by name), ``--repeat`` times each.

With ``--export`` (default 100,000) it then runs the Excel export job of a query with
that many rows in a child process (its own peak memory) and reports rows/s and peak MB.

    .venv/bin/python bench/student_query.py                       # SQLite
    bash scripts/pg-throwaway run -- .venv/bin/python bench/student_query.py   # PostgreSQL

Prints one JSON object (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

CHUNK = 20_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "子涵一诺欣怡梓轩浩然雨桐宇轩思彤俊杰嘉怡"


def build(n_records: int, n_schools: int) -> dict:
    from dedup import People
    from django.db import connection, transaction

    from xueji.common import bulk
    from xueji.org.models import Authority, Division, Grade, School, SchoolClass
    from xueji.students.models import Student, StudentNumber

    counties = sorted(c[:6] for c in Division.objects.filter(level=3, code__startswith="44")
                      .values_list("code", flat=True))
    all_counties = sorted(c[:6] for c in Division.objects.filter(level=3).values_list("code", flat=True))
    people = People(all_counties)
    authorities = {a.code: a.pk for a in Authority.objects.filter(level=3, code__startswith="44")}
    with transaction.atomic():
        schools = School.objects.bulk_create([
            School(code=f"{3440000000 + s}", name=f"基准学校{s}", division_id=counties[s % len(counties)] + "000000",
                   supervisor_id=authorities[counties[s % len(counties)] + "000000"], school_type="211",
                   has_primary=True, primary_years=6, address_code=counties[s % len(counties)] + "000000",
                   address="-")
            for s in range(n_schools)], batch_size=2000)
        grades = Grade.objects.bulk_create(
            [Grade(school=school, stage="1", entry_year=2020 + y) for school in schools for y in range(6)],
            batch_size=5000)
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school_id=g.school_id, grade=g, code=f"{g.entry_year}1{c:02d}", name=f"{c}班")
             for g in grades for c in range(1, 5)], batch_size=5000)
    placement = [(k.school_id, k.grade_id, k.pk, k.grade.entry_year) for k in classes]
    columns = ["id", "national_number", "number_kind", "name", "gender", "birth_date", "id_type", "id_number",
               "school_id", "grade_id", "klass_id", "status", "ethnicity", "entry_month", "only_child",
               "home_address", "native_place_code", "phone", "current_address", "postal_address"]
    per_school = max(n_records // n_schools, 1)

    def student(i: int) -> tuple:
        number = people.id_number(i)
        school = (i // per_school) % n_schools
        klass = placement[school * 24 + (i % 24)]
        status = "10" if i % 100 < 95 else ("11" if i % 100 < 98 else "20")
        return (i + 1, "G" + number, "G", SURNAMES[i % 20] + GIVEN[(i * 7) % 20] + GIVEN[(i * 13) % 20],
                people.gender(i), people.birth(i).isoformat(), "1", number, klass[0], klass[1], klass[2], status,
                "01" if i % 10 else "02", f"{klass[3]}09", bool(i % 3), "测试路1号", number[:6] + "000000",
                "13800138000", "测试路1号", "测试路1号")

    for start in range(0, n_records, CHUNK):
        rows = [student(i) for i in range(start, min(start + CHUNK, n_records))]
        with transaction.atomic():
            bulk.insert_rows(Student, columns, rows)
            bulk.insert_rows(StudentNumber, ["number", "student_id", "kind"], [(r[1], r[0], "G") for r in rows])
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Student]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    return {"schools": n_schools, "classes": len(classes), "sample_number": "G" + people.id_number(n_records // 2),
            "school_code": schools[0].code}


def users(info: dict) -> dict:
    from xueji.accounts.models import Role
    from xueji.org.models import Authority, School
    from xueji.testing import make_user

    gd = Authority.objects.get(code="440000000000")
    gz = Authority.objects.get(code="440100000000")
    county = Authority.objects.filter(level=3, code__startswith="4401",
                                      schools__isnull=False).order_by("code").first()
    school = School.objects.filter(supervisor=county).order_by("code").first()
    return {
        "province": make_user("bench_gd", Role.AUTHORITY_REGISTRAR, authority=gd),
        "city": make_user("bench_gz", Role.AUTHORITY_REGISTRAR, authority=gz),
        "county": make_user("bench_county", Role.AUTHORITY_REGISTRAR, authority=county),
        "school": make_user("bench_school", Role.SCHOOL_REGISTRAR, school=school),
    }


def conditions(info: dict) -> dict:
    return {
        "first page": {},
        "name prefix 王": {"name": "王"},
        "gender + stage + entry year": {"gender": "2", "stage": "1", "entry_year": "2023"},
        "flag 独生子女 + 民族": {"only_child": "1", "ethnicity": "02"},
        "学籍号": {"number": info["sample_number"]},
        "sort by name": {"sort": "name"},
        "page 10": {"page": "10"},
    }


def p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1)


def time_pages(who: dict, info: dict, repeat: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    url = reverse("reports:students")
    out = {}
    for level, user in who.items():
        client = Client()
        client.force_login(user)
        for label, params in conditions(info).items():
            assert client.get(url, params).status_code == 200  # warm up
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(url, params)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            out[f"{level} / {label}"] = {"p50_ms": round(sorted(samples)[len(samples) // 2], 1),
                                         "p95_ms": p95(samples)}
    return out


def export_child(rows: int) -> dict:
    """In a fresh process: the export job of ``rows`` students (the province registrar,
    entry years chosen to give at least that many), its rows/s and this process's peak."""
    from xueji.accounts.models import User
    from xueji.jobs.models import Job
    from xueji.reports import jobs

    owner = User.objects.get(username="bench_gd")
    second = User.objects.get(username="bench_gd2")
    base_rss = _common.max_rss_mb()
    start = time.perf_counter()
    job = jobs.submit("excel", owner, page="students", query={}, ids=None,
                      columns=["name", "national_number", "id_number", "gender", "birth_date", "school_name",
                               "grade", "klass", "native_place_code", "ethnicity", "home_address"],
                      sort="", count=rows, second=second)
    elapsed = time.perf_counter() - start
    job = Job.objects.get(pk=job.pk)
    done = job.done
    return {"rows": done, "seconds": round(elapsed, 2), "rows_per_s": round(done / elapsed),
            "peak_mb": _common.max_rss_mb(), "rss_before_mb": base_rss, "status": job.status,
            "file_mb": round(job.output_file.size / 1e6, 1)}


def concurrent(var_dir: str, n_users: int, requests_each: int, info: dict, think=(1.0, 5.0)) -> dict:
    """``n_users`` threads, each logged in as its own user (school registrars of different
    schools, and county/city/province registrars), against the real server (gunicorn via
    scripts/serve.py on loopback), each requesting the first page with a condition
    ``requests_each`` times, each after a think time drawn from ``think`` seconds (a person
    reading the page; 1–5 s). Returns errors and latency percentiles."""
    import socket
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings
    from django.db import connections
    from django.test import Client

    from xueji.accounts.models import Role, User
    from xueji.org.models import Authority, School
    from xueji.testing import make_user

    people = []
    schools = list(School.objects.order_by("pk").values_list("pk", flat=True)[: n_users])
    counties = list(Authority.objects.filter(level=3, code__startswith="44", schools__isnull=False).distinct()
                    .order_by("code")[:10])
    for i in range(n_users):
        name = f"bench_c{i}"
        user = User.objects.filter(username=name).first()
        if user is None:
            if i % 5 == 4:
                kind = (i // 5) % 3
                authority = (counties[i % len(counties)] if kind == 0 else
                             Authority.objects.get(code="440100000000") if kind == 1 else
                             Authority.objects.get(code="440000000000"))
                user = make_user(name, Role.AUTHORITY_REGISTRAR, authority=authority)
            else:
                user = make_user(name, Role.SCHOOL_REGISTRAR, school=School.objects.get(pk=schools[i % len(schools)]))
        client = Client()
        client.force_login(user)
        people.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    connections.close_all()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "XUEJI_ENV": "test", "XUEJI_VAR_DIR": var_dir, "XUEJI_REQUIRE_2FA": "0",
           "DJANGO_SETTINGS_MODULE": "xueji.settings", "XUEJI_LOG_LEVEL": "WARNING"}
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, str(root / "scripts" / "serve.py"), "--bind", f"127.0.0.1:{port}",
                               "--workers", os.environ.get("BENCH_WEB_WORKERS", "2")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        queries = [{}, {"name": "王"}, {"gender": "2", "stage": "1", "entry_year": "2023"}, {"only_child": "1"},
                   {"number": info["sample_number"]}, {"sort": "name"}]

        def one(cookie: str, params: dict) -> tuple[float, int]:
            url = base + "/reports/students/" + ("?" + urllib.parse.urlencode(params) if params else "")
            request = urllib.request.Request(url, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    body = response.read()
                    status = response.status if b"student-list" in body else 599
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            return (time.perf_counter() - start) * 1000, status

        def user_loop(index: int) -> list[tuple[float, int]]:
            rng = random.Random(index)
            out = []
            for k in range(requests_each):
                time.sleep(rng.uniform(*think))  # a person reads the page before the next query
                out.append(one(people[index], queries[(index + k) % len(queries)]))
            return out

        for index in range(len(people)):  # warm up: each session once
            one(people[index], {})
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n_users) as pool:
            results = [r for chunk in pool.map(user_loop, range(n_users)) for r in chunk]
        wall = time.perf_counter() - start
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    samples = sorted(ms for ms, _ in results)
    errors = sum(1 for _, status in results if status != 200)
    return {"users": n_users, "requests": len(results), "errors": errors,
            "p50_ms": round(samples[len(samples) // 2], 1), "p95_ms": p95(samples),
            "max_ms": round(samples[-1], 1), "requests_per_s": round(len(results) / wall, 1),
            "web_workers": int(os.environ.get("BENCH_WEB_WORKERS", "2")), "think_s": list(think)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--export", type=int, default=100_000, help="rows of the export run (0: none)")
    parser.add_argument("--var-dir", help="use this directory instead of a temporary one (kept)")
    parser.add_argument("--concurrent", type=int, default=50, help="users against the real server (0: none)")
    parser.add_argument("--requests", type=int, default=20, help="requests of each concurrent user")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument("--reuse", action="store_true", help="--var-dir already holds the data: do not build")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        _common.django_setup(args.var_dir, migrate=False)
        from xueji.reports import rules

        rules.EXPORT_CAP = args.export_child
        print(json.dumps(export_child(args.export_child)))
        return
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp:
        var_dir = args.var_dir or tmp
        Path(var_dir).mkdir(parents=True, exist_ok=True)
        _common.django_setup(var_dir, migrate=not args.reuse)
        random.seed(1)
        started = time.perf_counter()
        info_file = Path(var_dir) / "student_query.json"
        if args.reuse:
            info = json.loads(info_file.read_text())
        else:
            info = build(args.records, args.schools)
            info_file.write_text(json.dumps(info))
        build_s = round(time.perf_counter() - started, 1)
        from xueji.accounts.models import Role, User
        from xueji.testing import make_user

        if not User.objects.filter(username="bench_gd").exists():
            who = users(info)
            make_user("bench_gd2", Role.AUTHORITY_REGISTRAR, authority=who["province"].authority)
        else:
            who = {k: User.objects.get(username=f"bench_{n}") for k, n in
                   (("province", "gd"), ("city", "gz"), ("county", "county"), ("school", "school"))}
        from xueji.students.models import Student

        result = {"database": _common.database(), "machine": _common.machine(),
                  "records": Student.objects.count(), "schools": args.schools, "build_s": build_s,
                  "date": time.strftime("%Y-%m-%d")}
        if not args.skip_pages:
            result["pages"] = time_pages(who, info, args.repeat)
        if args.export:
            from django.db import connections

            connections.close_all()
            env = dict(os.environ)
            child = subprocess.run([sys.executable, __file__, "--export-child", str(args.export), "--var-dir", var_dir],
                                   env=env, capture_output=True, text=True)
            if child.returncode:
                result["export_error"] = child.stderr[-2000:]
            else:
                result["export"] = json.loads(child.stdout.strip().splitlines()[-1])
        if args.concurrent:
            result["concurrent"] = concurrent(var_dir, args.concurrent, args.requests, info,
                                              think=(args.think_min, args.think_max))
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
