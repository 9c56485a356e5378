"""Benchmark: the summer peak of a large province replayed (issue 10) — 毕业, 升级, 招生入学 and
小学新生注册 of ``--students`` records (default 2,000,000) through the real services.

Data building (timed apart, not counted): the province's counties of 广州, 深圳 and 佛山,
schools of every 学制 (6 / 5-year primary, 3 / 4-year junior, 3-year senior, 九年一贯制 6-3
and 5-4, 十二年一贯制 — the combinations of bench/promotion.py, weighted towards primary
schools, 200 pupils a primary grade, 300 a junior, 400 a senior one), each grade of the
ending school year with its 在校 records (SQL, ``_common.insert_students``), the entering
grades of the new school year with ten classes, a registrar and a leader per school, a
registrar per authority, the default chains; the province's term makes the ending school
year the current one for 毕业 (the replay starts in July), the admission lists (one .xlsx
per importing county, default import setting 区县) and the registration sheets (one per
primary school, bench/record_writer.py's rows, bench/registration_import.py's workbook).

Phases (``--phases``, in this order; each needs the ones before it):

1. ``graduation``: per school and stage its registrar submits the final grade
   (``start_graduation``), the school leader and the county pass it (``decide_batch``), the
   registrar executes it (``execute_graduation``: inline up to 500 students, else a job run
   by the worker code, ``jobs_worker --batch``);
2. ``promotion``: the province's registrar starts it (``start_promotion``: run, business
   window, job) and the worker runs the job (``promotion.services.run_job``);
3. ``admission``: each county imports its list (``import_results``), each school admits
   its rows (``admit``), the chain passes them (``decide_many`` by the school leaders, then
   every authority holding open ones, until none is open: the graduating county too when
   crossing counties, the graduating city for high school across cities), each school
   retrieves (``retrieve``) and places them automatically into its ten classes
   (``place_automatically``);
4. ``registration``: each primary school's registrar submits its sheet (``submit_upload``,
   15 % of ``--students`` in all) and the worker imports them (``jobs_worker --batch``), up
   to 待学校审核.

``--clients N`` (PostgreSQL default 2, the cores here; SQLite 1): N forked processes act at
once in each step, each taking the next school (its graduation batch, its admissions, its
sheet), the next county's list or the next authority's reviews when done with the last, and
the registration sheets are taken by N task workers (DECISIONS 186, 192); ``*_clients_s`` are each client's own seconds in a step. ``--profile`` / ``--cprofile`` (with
``--clients 1``): each step's statements by shape / its Python profile on stderr.

Prints one JSON object: data building, each phase's seconds (and its steps), the total,
the load average at each phase's start and end, and ``yardstick_s`` — one core's seconds for
a fixed piece of Python (``_common.yardstick``), to compare figures of different machines.

    .venv/bin/python bench/peak.py --students 50000
    bash scripts/pg-throwaway run -- .venv/bin/python bench/peak.py --students 2000000
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from admission import Statements  # noqa: E402
from promotion import SYSTEMS  # noqa: E402
from record_writer import make_rows, seed_registry  # noqa: E402
from registration_import import ENTRY, _write_shared_strings  # noqa: E402

PHASES = ("graduation", "promotion", "admission", "registration")
CITIES = ("4401", "4403", "4406")  # 广州, 深圳, 佛山
#: how many schools of each of promotion.SYSTEMS in a cycle of 16
WEIGHTS = (6, 1, 3, 1, 2, 1, 1, 1)
PER_GRADE = {"1": 200, "2": 300, "3": 400}
#: age at entry of each stage (the records' birth year = entry year − this)
BIRTH_AGE = {"1": 6, "2": 12, "3": 15}
ENTERING_CLASSES = 10
REGISTRATION_SHARE = 0.15
#: one in CROSS admissions goes to another county (初中) or city (高中)
CROSS = 4


def _load() -> float:
    return round(os.getloadavg()[0], 2)


class _Clock:
    """Seconds of named steps, and the load at each phase's ends. With ``profile`` each
    step also prints its statements by shape (bench/admission.py's ``Statements``), with
    ``cprofile`` its Python profile (stderr)."""

    def __init__(self, profile: bool = False, cprofile: bool = False):
        self.steps: dict[str, float] = {}
        self.clients: dict[str, list[float]] = {}
        self.stats = Statements(profile) if profile else None
        self.cprofile = cprofile
        self.profiler = None

    def start(self) -> None:
        """Before a phase: statement counting and the Python profile, if asked for."""
        from django.db import connection

        if self.stats is not None:
            connection.ensure_connection()
            if not getattr(connection, "_peak_timed", False):
                connection._commit = self.stats.timed_commit(connection._commit)
                connection._peak_timed = True
            connection.execute_wrappers.append(self.stats)
        self._restart()

    def stop(self) -> None:
        from django.db import connection

        if self.stats is not None and self.stats in connection.execute_wrappers:
            connection.execute_wrappers.remove(self.stats)
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler = None

    def _restart(self) -> None:
        if self.cprofile:
            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def step(self, name: str, started: float) -> None:
        self.steps[name] = round(self.steps.get(name, 0) + time.perf_counter() - started, 3)
        if CLIENT_SECONDS:  # the clients' own seconds in this step's fan-outs, summed per client
            self.clients[name] = [round(sum(s), 1) for s in zip(*CLIENT_SECONDS, strict=True)]
            CLIENT_SECONDS.clear()
        if self.profiler is not None:
            self.profiler.disable()
            print(f"--- {name}: Python", file=sys.stderr)
            stats = pstats.Stats(self.profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(20)
            stats.sort_stats("cumulative").print_stats(r"xueji|jobs|tasks", 30)
            self._restart()
        if self.stats is not None:
            self.stats.report(name)


def _worker() -> None:
    """The background worker's code in this process: every queued job, then return (with
    the immediate backend of the test suite the jobs have run already)."""
    from django.core.management import call_command

    from xueji.jobs.services import _backend_kind

    if _backend_kind() == "immediate":
        return
    call_command("jobs_worker", "--batch", "--interval", "0", verbosity=0)


# --- the province -------------------------------------------------------------------------

def build(students: int, var_dir: Path, year: int, per_grade: dict[str, int] | None = None,
          weights: tuple[int, ...] = WEIGHTS) -> dict:
    """The province (see the module's docstring); ``per_grade``: students a grade by stage
    (default PER_GRADE), ``weights``: schools of each of SYSTEMS in a cycle (the suite's
    smoke test: one of each, a tenth of the students)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from xueji.accounts.models import Role, User
    from xueji.admission import rules as admission_rules
    from xueji.common.xlsx_writer import XlsxStream
    from xueji.org.models import Authority, Grade, School, SchoolClass, Term
    from xueji.students.excel import build_template
    from xueji.workflow.services import load_default_configs

    load_default_configs()
    province = Authority.objects.get(code="440000000000")
    counties = {c: list(Authority.objects.filter(level=3, code__startswith=c).select_related("division")
                        .order_by("code")) for c in CITIES}
    cycle = [SYSTEMS[k] for k, w in enumerate(weights) for _ in range(w)]
    per_grade = per_grade or PER_GRADE
    cycle_size = sum(per_grade[st] * y for stages, _ in cycle for st, y in stages.items())
    n_schools = max(len(cycle), round(students * len(cycle) / cycle_size))
    # about 50 schools a county (at least 2 counties a city)
    per_city = max(2, min(len(min(counties.values(), key=len)), n_schools // (50 * len(CITIES))))
    county_list = [(city, c) for city in CITIES for c in counties[city][:per_city]]
    ending = year - 1
    today = timezone.localdate()
    Term.objects.create(authority=province, school_year=ending, semester="2", start_date=dt.date(year, 1, 1),
                        end_date=max(dt.date(year, 8, 31), today + dt.timedelta(days=1)))
    password = make_password(None)
    users = [User(username="province", real_name="省级学籍管理员", role=Role.AUTHORITY_REGISTRAR, authority=province,
                  password=password)]
    for city in CITIES:
        users.append(User(username=f"city{city}", real_name=f"市{city}", role=Role.AUTHORITY_REGISTRAR,
                          authority=Authority.objects.get(code=f"{city}00000000"), password=password))
    for _, county in county_list:
        users.append(User(username=f"county{county.code[:6]}", real_name=f"区县{county.code[:6]}",
                          role=Role.AUTHORITY_REGISTRAR, authority=county, password=password))
    made = serial = 0
    schools: list[dict] = []
    with transaction.atomic():
        s = 0
        while made < students:
            stages, school_type = cycle[s % len(cycle)]
            city, county = county_list[s % len(county_list)]
            school = School.objects.create(
                code=f"3{county.code[:6]}{s:03d}"[:10] if s < 1000 else f"4{s:09d}", name=f"高峰学校{s}",
                division=county.division, supervisor=county, school_type=school_type,
                has_primary="1" in stages, has_junior="2" in stages, has_senior="3" in stages,
                primary_years=stages.get("1"), junior_years=stages.get("2"), senior_years=stages.get("3"),
                address_code=county.division.code, address="测试路1号")
            info = {"pk": school.pk, "code": school.code, "city": city, "county": county.pk, "stages": stages,
                    "finals": {}, "entering": {}}
            for stage, years in stages.items():
                for n in range(1, years + 1):
                    entry = ending - n + 1
                    grade = Grade.objects.create(school=school, stage=stage, entry_year=entry)
                    klass = SchoolClass.objects.create(school=school, grade=grade, code=f"{entry}{stage}01",
                                                       name="1班")
                    count = min(per_grade[stage], students - made)
                    _common.insert_students(school.pk, grade.pk, klass.pk, count, serial,
                                            birth_date=f"{entry - BIRTH_AGE[stage]}-03-01",
                                            gender=None)
                    if n == years and count > 0:
                        info["finals"][stage] = (grade.pk, serial, count)
                    serial += count
                    made += count
                grade = Grade.objects.create(school=school, stage=stage, entry_year=year)
                info["entering"][stage] = [SchoolClass.objects.create(
                    school=school, grade=grade, code=f"{year}{stage}{k:02d}", name=f"{k}班").pk
                    for k in range(1, ENTERING_CLASSES + 1)]
            users += [User(username=f"reg{s}", real_name=f"学籍管理员{s}", role=Role.SCHOOL_REGISTRAR, school=school,
                           password=password),
                      User(username=f"lead{s}", real_name=f"主管领导{s}", role=Role.SCHOOL_LEADER, school=school,
                           password=password)]
            schools.append(info)
            s += 1
        User.objects.bulk_create(users, batch_size=2000)
    # the admission lists: each graduate of a primary / junior final grade to a school of the
    # next stage — its county's (its city's for high school), one in CROSS another county's (city's)
    by_stage: dict[str, dict] = {"2": {}, "3": {}}
    for info in schools:
        for stage in ("2", "3"):
            if stage in info["stages"]:
                key = info["county"] if stage == "2" else info["city"]
                by_stage[stage].setdefault(key, []).append(info)
    sheets: dict[int, list] = {}  # importing county id → rows
    turn = 0
    for info in schools:
        for stage, (_, base, count) in info["finals"].items():
            if stage == "3":
                continue
            nxt = "2" if stage == "1" else "3"
            home = info["county"] if nxt == "2" else info["city"]
            pools = by_stage[nxt]
            if not pools:  # a tiny province without schools of the next stage
                continue
            keys = sorted(pools, key=str)
            for n in range(1, count + 1):
                turn += 1
                key = home
                if turn % CROSS == 0 or key not in pools:
                    others = [k for k in keys if k != home] or keys
                    key = others[turn % len(others)]
                target = pools[key][turn % len(pools[key])]
                sheets.setdefault(target["county"], []).append(
                    [f"L{base + n:018d}", f"学生{base + n}", info["code"], target["code"],
                     admission_rules.STAGE_NAMES[nxt]])
    lists = []
    for county_id, rows in sorted(sheets.items()):
        path = var_dir / f"admission-{county_id}.xlsx"
        with XlsxStream(path, "招生结果") as stream:
            stream.append(admission_rules.HEADERS)
            for r in rows:
                stream.append(r)
        lists.append((county_id, str(path), len(rows)))
    # the registration sheets: 15 % of the students, over the primary schools
    primary = [info for info in schools if "1" in info["stages"]]
    wanted = round(students * REGISTRATION_SHARE)
    template = build_template(ENTRY)
    registrations, start = [], 0
    all_rows = []
    for k, info in enumerate(primary):
        count = wanted // len(primary) + (1 if k < wanted % len(primary) else 0)
        if not count:
            continue
        school = School.objects.get(pk=info["pk"])
        classes = list(SchoolClass.objects.filter(pk__in=info["entering"]["1"]).order_by("code"))
        rows = make_rows(count, {"school": school, "classes": (classes * 2)[:20], "year": year},
                         duplicates=False, start=start)
        start += count
        path = var_dir / f"registration-{info['pk']}.xlsx"
        _write_shared_strings(path, template, rows)
        registrations.append((info["pk"], str(path), count))
        all_rows.extend(rows)
    verified = seed_registry(all_rows, 50)
    del all_rows
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the records of a province are years old by July: vacuumed (visibility map set,
            # no autovacuum of the freshly built tables racing the first phase) and analysed
            # (VACUUM cannot run in a transaction: the suite's smoke test builds inside one)
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return {"schools": schools, "counties": [c.pk for _, c in county_list], "lists": lists,
            "registrations": registrations, "students": made, "registry_verified": verified,
            "graduates": sum(c for info in schools for _, _, c in info["finals"].values())}


# --- the phases -------------------------------------------------------------------------------

_COUNTER = None  # the fan-out's shared "next item" counter (multiprocessing.Value)


def _claim(items) -> Iterator:
    """The items this client takes, one at a time from a counter all clients of the fan-out
    share: a client that finishes early takes the next county (as registrars act whenever
    they are ready), instead of each client having a fixed share (which left one core idle
    for up to a quarter of a step, ``*_clients_s``)."""
    items = list(items)
    while True:
        with _COUNTER.get_lock():
            i = _COUNTER.value
            _COUNTER.value = i + 1
        if i >= len(items):
            return
        yield items[i]


def _claimed_schools(world: dict, wanted=None):
    """The schools (``(index, info)``; those ``wanted(info)`` only, if given) this client
    claims, one at a time: each school's registrar and leader act on their own, as in
    July. (Claimed by county, one county's schools per claim, the last county of a step
    kept one client busy while the other waited: 5–8 s of idle core per step at
    2,000,000, ``*_clients_s``.)"""
    return _claim((s, info) for s, info in enumerate(world["schools"]) if wanted is None or wanted(info))


#: Each fan-out's seconds per client (the step's clients: how evenly the work was split).
CLIENT_SECONDS: list[list[float]] = []


def _fan_out(clients: int, work) -> list:
    """``work(k)`` for k in 0 … clients − 1, each in a forked process with its own database
    connection (one client: here), as many registrars, authorities and task workers act at
    once in July. Returns what each returned (pickled back); a client's failure is raised."""
    import multiprocessing

    global _COUNTER
    context = multiprocessing.get_context("fork")
    _COUNTER = context.Value("i", 0)
    if clients == 1:
        return [work(0)]
    import pickle
    import traceback

    from django.db import connections

    connections.close_all()
    pipes, processes = [], []
    for k in range(clients):
        receiver, sender = context.Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:  # the client
            receiver.close()
            code = 0
            started = time.perf_counter()
            try:
                outcome = ("ok", work(k), time.perf_counter() - started)
            except BaseException:  # reported to the parent, which raises it
                outcome, code = ("error", traceback.format_exc(), 0.0), 1
            try:
                connections.close_all()
                sender.send_bytes(pickle.dumps(outcome))
            finally:
                os._exit(code)
        sender.close()
        pipes.append(receiver)
        processes.append(pid)
    results, errors, busy = [], [], []
    for receiver, pid in zip(pipes, processes, strict=True):
        try:
            kind, value, seconds = pickle.loads(receiver.recv_bytes())
        except EOFError:
            kind, value, seconds = "error", "the client died without a report", 0.0
        os.waitpid(pid, 0)
        (results if kind == "ok" else errors).append(value)
        busy.append(seconds)
    CLIENT_SECONDS.append(busy)
    if errors:
        raise RuntimeError("a client failed:\n" + "\n".join(errors))
    return results


def graduation(world: dict, clock: _Clock, year: int, clients: int = 1) -> dict:
    from django.utils import timezone

    from xueji.accounts.models import User
    from xueji.graduation import services
    from xueji.workflow import batches
    from xueji.workflow.models import BatchOperation

    users = {u.username: u for u in User.objects.select_related("school", "authority")}
    county_users = {u.authority_id: u for u in users.values() if u.username.startswith("county")}
    day = min(dt.date(year, 7, 10), timezone.localdate()).isoformat()

    def submit(k: int) -> list[tuple[int, int]]:
        return [(s, services.start_graduation(users[f"reg{s}"], kind="20", date=day, by="grade", grades=[grade]).pk)
                for s, info in _claimed_schools(world) for _stage, (grade, _, _) in sorted(info["finals"].items())]

    started = time.perf_counter()
    submitted = [item for part in _fan_out(clients, submit) for item in part]
    clock.step("graduation.submit", started)

    def mine(k: int):
        """The batches this client claims, one at a time (the school leader's and its
        county's decisions on one batch stay together)."""
        return _claim(submitted)

    def review(k: int) -> None:
        for s, pk in mine(k):
            batches.decide_batch(BatchOperation.objects.get(pk=pk), users[f"lead{s}"], True)
            batches.decide_batch(BatchOperation.objects.get(pk=pk), county_users[world["schools"][s]["county"]], True)

    started = time.perf_counter()
    _fan_out(clients, review)
    clock.step("graduation.review", started)

    def execute(k: int) -> int:
        jobs = sum(services.execute_graduation(users[f"reg{s}"], BatchOperation.objects.get(pk=pk)) is not None
                   for s, pk in mine(k))
        _worker()
        return jobs

    started = time.perf_counter()
    jobs = sum(_fan_out(clients, execute))
    clock.step("graduation.execute", started)
    return {"batches": len(submitted), "jobs": jobs}


def promotion(world: dict, clock: _Clock) -> dict:
    from django.utils import timezone

    from xueji.accounts.models import User
    from xueji.promotion import selectors, services
    from xueji.promotion.models import PromotionRun

    actor = User.objects.select_related("authority").get(username="province")
    moment = selectors.moment_at(actor.authority, timezone.localtime().year)
    started = time.perf_counter()
    run = services.start_promotion(actor, now=max(timezone.now(), moment + dt.timedelta(minutes=1)))
    _worker()
    clock.step("promotion.job", started)
    run = PromotionRun.objects.get(pk=run.pk)
    return {"status": run.status, "moved": run.moved, "promoted_schools": run.promoted_schools,
            "blocked_schools": run.blocked_schools, "workers": services.workers()}


def admission(world: dict, clock: _Clock, year: int, clients: int = 1) -> dict:
    from django.db.models import Count

    from xueji.accounts.models import User
    from xueji.admission import rules, services
    from xueji.admission.models import AdmissionResult, State
    from xueji.org.models import SchoolClass
    from xueji.students.excel import read_rows
    from xueji.workflow import services as workflow
    from xueji.workflow.models import Business, BusinessStatus

    users = {u.username: u for u in User.objects.select_related("school", "authority")}
    by_authority = {u.authority_id: u for u in users.values() if u.authority_id}

    def admitting(k: int):
        """The admitting schools client k claims (one at a time)."""
        return _claimed_schools(world, lambda info: {"2", "3"} & set(info["stages"]))

    def import_lists(k: int) -> tuple[int, int]:
        imported = refused = 0
        for county_id, path, _rows in _claim(world["lists"]):
            with open(path, "rb") as handle:
                outcome = services.import_results(by_authority[county_id], read_rows(handle, headers=rules.HEADERS))
            imported += outcome.created
            refused += len(outcome.failures)
            assert not outcome.failures, outcome.as_result()["failures"][:3]
        return imported, refused

    started = time.perf_counter()
    counts = _fan_out(clients, import_lists)
    imported, refused = sum(c[0] for c in counts), sum(c[1] for c in counts)
    clock.step("admission.import", started)

    def each_school(state: str, service):
        """Client k's admitting schools call ``service`` on their rows in ``state``."""
        def work(k: int) -> None:
            for s, info in admitting(k):
                ids = list(AdmissionResult.objects.filter(admitting_school_id=info["pk"], state=state)
                           .values_list("pk", flat=True))
                if ids:
                    service(users[f"reg{s}"], ids)
        return work

    admit = each_school(State.WAITING, services.admit)

    started = time.perf_counter()
    _fan_out(clients, admit)
    clock.step("admission.admit", started)

    def leaders(k: int) -> None:
        for s, info in admitting(k):
            workflow.decide_many(Business.objects.filter(school_id=info["pk"], status=BusinessStatus.OPEN,
                                                         position=0), users[f"lead{s}"], True)

    def authorities(holders: list[int]):
        def work(k: int) -> None:
            for authority_id in _claim(holders):
                workflow.decide_many(Business.objects.filter(status=BusinessStatus.OPEN,
                                                             current_authority_id=authority_id),
                                     by_authority[authority_id], True)
        return work

    started = time.perf_counter()
    _fan_out(clients, leaders)
    rounds = 0
    while rounds < 6:
        holders = sorted(set(Business.objects.filter(status=BusinessStatus.OPEN, current_authority__isnull=False)
                             .values_list("current_authority_id", flat=True)))
        if not holders:
            break
        rounds += 1
        _fan_out(clients, authorities(holders))
    clock.step("admission.review", started)

    retrieve = each_school(State.APPROVED, services.retrieve)

    started = time.perf_counter()
    _fan_out(clients, retrieve)
    clock.step("admission.retrieve", started)

    def place(k: int) -> None:
        for s, info in admitting(k):
            for stage in ("2", "3"):
                if stage not in info["stages"]:
                    continue
                classes = list(SchoolClass.objects.filter(pk__in=info["entering"][stage]))
                ids = list(AdmissionResult.objects.filter(admitting_school_id=info["pk"], stage=stage,
                                                          state=State.RETRIEVED).values_list("pk", flat=True))
                if ids:
                    services.place_automatically(users[f"reg{s}"], ids, classes)

    started = time.perf_counter()
    _fan_out(clients, place)
    clock.step("admission.place", started)
    states = dict(AdmissionResult.objects.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {"imported": imported, "refused_rows": refused, "review_rounds": rounds, "states": states}


def registration(world: dict, clock: _Clock, clients: int = 1) -> dict:
    from django.core.files import File
    from django.db.models import Sum

    from xueji.accounts.models import User
    from xueji.registration import services
    from xueji.registration.models import Upload

    users = {u.school_id: u for u in User.objects.filter(username__startswith="reg").select_related("school")}
    def submit(k: int) -> None:
        for school_id, path, _count in _claim(world["registrations"]):
            _submit(school_id, path)

    def _submit(school_id: int, path) -> None:
        user = users[school_id]
        with open(path, "rb") as handle:
            services.submit_upload(user.school, ENTRY, user, File(handle, name=Path(path).name))

    started = time.perf_counter()
    _fan_out(clients, submit)
    clock.step("registration.submit", started)
    started = time.perf_counter()
    _fan_out(clients, lambda k: _worker())
    clock.step("registration.import", started)
    totals = Upload.objects.aggregate(rows=Sum("total_rows"), passed=Sum("passed_rows"), failed=Sum("failed_rows"))
    statuses = sorted(set(Upload.objects.values_list("status", flat=True)))
    return {"uploads": len(world["registrations"]), **totals, "upload_statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2_000_000)
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="comma-separated, among " + ", ".join(PHASES) + " (run in that order)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("XUEJI_PROMOTION_WORKERS", "2")),
                        help="threads of the promotion job on PostgreSQL")
    parser.add_argument("--clients", type=int, default=None,
                        help="processes acting at once in each phase (schools split by county; default: 2 on "
                             "PostgreSQL — the cores of this machine — and 1 on SQLite, which has one writer)")
    parser.add_argument("--profile", action="store_true",
                        help="print each step's statements by shape, their time and COMMIT's (stderr)")
    parser.add_argument("--cprofile", action="store_true", help="print each step's Python profile (stderr)")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phase {unknown}")
    os.environ["XUEJI_PROMOTION_WORKERS"] = str(args.workers)
    # Jobs go through the database backend's queue and the worker's code, as with ``make run``.
    os.environ["XUEJI_TEST_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    with tempfile.TemporaryDirectory(prefix="xueji-bench-peak-") as var_dir:
        started = time.perf_counter()
        _common.django_setup(var_dir)
        from django.db import connection
        from django.urls import get_resolver

        from xueji.admission.services import admission_year

        get_resolver().url_patterns  # noqa: B018  (a running worker has loaded them)
        year = admission_year()
        clients = args.clients or (2 if connection.vendor == "postgresql" else 1)
        if clients > 1 and (args.profile or args.cprofile):
            parser.error("--profile / --cprofile need --clients 1")
        world = build(args.students, Path(var_dir), year)
        result = {"students": world["students"], "schools": len(world["schools"]),
                  "counties": len(world["counties"]), "graduates": world["graduates"],
                  "admission_rows": sum(n for _, _, n in world["lists"]),
                  "registration_rows": sum(n for _, _, n in world["registrations"]),
                  "database": _common.database(), "machine": _common.machine(), "cpu": _common.cpu_model(),
                  "yardstick_s": _common.yardstick(), "clients": clients,
                  "date": dt.date.today().isoformat(), "year": year,
                  "build_s": round(time.perf_counter() - started, 1), "phases": {}}
        clock = _Clock(args.profile, args.cprofile)
        total = 0.0
        for phase in PHASES:
            if phase not in phases:
                continue
            load = _load()
            clock.start()
            started = time.perf_counter()
            if phase == "graduation":
                detail = graduation(world, clock, year, clients)
            elif phase == "promotion":
                detail = promotion(world, clock)
            elif phase == "admission":
                detail = admission(world, clock, year, clients)
            else:
                detail = registration(world, clock, clients)
            seconds = time.perf_counter() - started
            clock.stop()
            total += seconds
            result["phases"][phase] = {"s": round(seconds, 1), "load_before": load, "load_after": _load(),
                                       **{k.split(".", 1)[1] + "_s": v for k, v in clock.steps.items()
                                          if k.startswith(phase + ".")},
                                       **{k.split(".", 1)[1] + "_clients_s": v for k, v in clock.clients.items()
                                          if k.startswith(phase + ".")}, **detail}
            print(json.dumps({phase: result["phases"][phase]}, ensure_ascii=False), file=sys.stderr, flush=True)
        result["total_s"] = round(total, 1)
        if world["students"] >= 2_000_000 and connection.vendor == "postgresql" and len(phases) == len(PHASES):
            result["target_total_le_600_s"] = total <= 600
        connection.close()
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
