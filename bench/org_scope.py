"""Benchmark: data-scope reads of the organisation at national scale.

Builds (in a throwaway database) the national division list and authority tree plus
``--schools`` schools spread over every county, with a supervising authority at county,
city or province level, then times the reads every page and API call makes:

- the count of a province registrar's schools (``schools_for``),
- the first page of the school list sorted by code (what 学校列表 shows),
- one school looked up by id inside a county's scope (``get_in_scope`` path),
- one authority's users (``users_for``) with 5 accounts per school.

Prints one JSON object with p50/p99 in milliseconds. Run through ``make bench``
(SQLite) or with ``DATABASE_URL`` set (PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _setup(var_dir: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("XUEJI_ENV", "test")
    os.environ["XUEJI_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_divisions", verbosity=0)


def _build(n_schools: int) -> None:
    from django.db import transaction

    from xueji.accounts.models import Role, User
    from xueji.org.models import Authority, School

    authorities = {a.code: a for a in Authority.objects.exclude(level=0)}
    counties = sorted(c for c, a in authorities.items() if a.level == 3)
    schools = []
    for i in range(n_schools):
        county = counties[i % len(counties)]
        # 1 in 20 schools is run by the city, 1 in 50 by the province.
        if i % 50 == 0:
            supervisor = authorities[county[:2] + "0000000000"]
        elif i % 20 == 0:
            supervisor = authorities.get(county[:4] + "00000000") or authorities[county]
        else:
            supervisor = authorities[county]
        schools.append(School(
            code=f"{3000000000 + i}", name=f"学校{i}", division_id=county, supervisor=supervisor,
            school_type="211", has_primary=True, primary_years=6, address_code=county, address="-",
        ))
    with transaction.atomic():
        School.objects.bulk_create(schools, batch_size=5000)
    password = User(username="x").password or "!"
    users = []
    for school_id in School.objects.values_list("pk", flat=True):
        for k in range(5):
            users.append(User(username=f"u{school_id}_{k}", real_name="某", role=Role.SCHOOL_REGISTRAR,
                              school_id=school_id, password=password))
    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=5000)


def _time(fn, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _setup(var_dir)
        from django.db import connection

        from xueji.accounts.models import Role, User
        from xueji.accounts.selectors import users_for
        from xueji.org import selectors
        from xueji.org.models import Authority, School

        started = time.perf_counter()
        _build(args.schools)
        build_s = time.perf_counter() - started

        def user_for(code: str, role=Role.AUTHORITY_REGISTRAR) -> User:
            return User(username=f"bench{code}", real_name="基准", role=role,
                        authority=Authority.objects.get(code=code))

        province = user_for("440000000000")
        county = user_for("440106000000")
        admin = user_for("440106000000", Role.AUTHORITY_ADMIN)
        county_school_ids = list(selectors.schools_for(county).values_list("pk", flat=True))
        probe = county_school_ids[len(county_school_ids) // 2]
        results = {
            "database": connection.vendor,
            "schools": School.objects.count(),
            "users": User.objects.count(),
            "build_seconds": round(build_s, 1),
            "province_school_count": _time(lambda: selectors.schools_for(province).count(), args.repeat),
            "province_list_first_page": _time(
                lambda: list(selectors.schools_for(province).select_related("division", "supervisor")
                             .order_by("code", "pk")[:20]), args.repeat),
            "county_get_in_scope": _time(
                lambda: selectors.schools_for(county).filter(pk=probe).first(), args.repeat),
            "county_admin_users_first_page": _time(
                lambda: list(users_for(admin).order_by("username", "pk")[:20]), args.repeat),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        }
        print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
