"""Benchmark: 学籍注册 Excel import (居民身份证小学新生注册) end to end, and the naive way.

In a throwaway database (or ``DATABASE_URL``) it sets up the national divisions and
authorities, the default approval chains, a primary school in 天河区 with 20 first-grade
classes of the current school year and its 学籍管理员, and another school that already
holds some of the sheet's IDs. It then writes a real template workbook (not timed):
``students.excel.build_template`` with ``--rows`` rows spliced into its data sheet,
strings in a shared-string table as Excel and WPS save them (``--writer openpyxl``:
appended by openpyxl in write-only mode instead, which stores strings inline). About
50 of the 72 columns are filled (two family members). ``--bad-share`` (5 %) of the rows
are bad, spread evenly over the ten kinds of ``BAD_KINDS``; 98 % of the good IDs are in
the simulated population registry, the others on its not-found list (they register with
认证不通过). Then:

1. (``--naive-rows``) imports the first rows the naive way in a child process —
   openpyxl (read-only) reads every row, the same ``clean_row``, then per row one
   ``IdentityClaim ... exists()`` query, one ``Student`` save and one ``IdentityClaim``
   save, all in one transaction (generous to the naive path: no business, audit,
   registry call or payload) — and removes what it wrote;
2. imports the whole sheet through the task path in a fresh child process, as the page
   does: ``registration.services.submit_upload`` stores the file and queues the job
   (database backend), then the worker code — ``manage.py jobs_worker --batch``, called in
   that process — claims the task and runs it (``jobs.services.execute`` →
   ``process_upload``, to 待学校审核, 查重认证 done), timed end to end (file stored, job
   queued, read, cleaned, de-duplicated, businesses, registrations, claims, registry, row
   errors, audit, progress and heartbeat) until the job is 已完成 (its ``finished_at``);
   the worker is a fresh process that loads the URL map first, untimed, as a running
   worker has done when it started (``jobs_worker`` does it at its start);
3. checks that every bad row, and no good one, was refused.

Peak memory is ``ru_maxrss`` of the child process that did only the import (Python,
Django, calamine and the import; the RSS right before the import is printed too).
``--repeat N`` restores the database (SQLite: a file copy; PostgreSQL: a template database)
and imports again, reporting the median.
Diagnosis: ``--breakdown`` (wall time inside the main functions), ``--tracemalloc``
(Python heap: peak, and what ``register_rows``'s result holds), ``--profile FILE``
(cProfile; the top lines go to stderr), ``--prepare-only --var-dir DIR`` (set up and
print the import command). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

ENTRY = "primary-resident"
SCHOOL_CODE = "3440106001"
OTHER_SCHOOL_CODE = "3440105001"
REGISTRAR = "bench_registrar"
DIVISION = "440106000000"
CLASSES = 20
#: 1 in UNVERIFIED good rows is on the simulated population registry's not-found list
#: (认证不通过, still registered pending review, as the SPEC wants).
UNVERIFIED = 50
BAD_KINDS = (
    "wrong_check_digit",      # last character of the ID changed
    "impossible_date",        # 出生日期 20xx0230
    "unknown_division",       # 出生地行政区划代码 a 12-digit code not in the division list
    "empty_required",         # 民族 left empty
    "class_not_of_school",    # 班号 of a class the school does not have
    "entry_age",              # five years old on 31 August (ID consistent with it)
    "duplicate_in_sheet",     # a copy of an earlier good row (same batch or an earlier one)
    "already_registered",     # ID held by a record in another school
    "bad_member_name",        # 成员1姓名 "x1"
    "id_as_float",            # 身份证件号 stored by Excel as a number (1.2e17)
)
UNKNOWN_DIVISION = "440199000000"


# --- the sheet ----------------------------------------------------------------------------

def school_year() -> int:
    from django.utils import timezone

    from xueji.org.rules import school_year_of

    return school_year_of(timezone.localdate())


def class_codes(year: int) -> list[str]:
    return [f"{year}1{k:02d}" for k in range(1, CLASSES + 1)]


def make_rows(n: int, year: int, bad_share: float) -> tuple[list[dict], dict[int, str]]:
    """``n`` rows ({header: value}) and {index: bad kind}. Good rows are unique and valid;
    every ``1/bad_share``-th row is bad, cycling through BAD_KINDS."""
    from xueji.registration.testing import first_grade_birth, person_name, resident_id, student_row

    classes = class_codes(year)
    every = max(1, round(1 / bad_share)) if bad_share > 0 else 0
    rows: list[dict] = []
    bad: dict[int, str] = {}
    for i in range(n):
        birth = first_grade_birth(year, i)
        row = student_row(SCHOOL_CODE, classes[i % CLASSES], i, birth=birth, division=DIVISION)
        # A fuller row than the minimum, as schools fill it: commute, two family members.
        row.update({
            "上下学距离": 1.5 + (i % 30) / 10,  # the one column not formatted as text: a number
            "上下学方式": "1", "是否需要乘坐校车": "否", "学生来源": "1",
            "成员1联系电话": f"139{i % 100000000:08d}", "成员1现住址": "测试路1号", "成员1民族": "01",
            "成员1工作单位": "测试公司",
            "成员2姓名": person_name(i + 9000), "成员2关系": "2", "成员2是否监护人": "是",
            "成员2联系电话": f"137{i % 100000000:08d}",
        })
        kind = None
        if every and i % every == every // 2:
            kind = BAD_KINDS[(i // every) % len(BAD_KINDS)]
        if kind == "wrong_check_digit":
            number = row["身份证件号"]
            row["身份证件号"] = number[:17] + ("1" if number[17] != "1" else "2")
        elif kind == "impossible_date":
            row["出生日期"] = f"{birth.year}0230"
        elif kind == "unknown_division":
            row["出生地行政区划代码"] = UNKNOWN_DIVISION
        elif kind == "empty_required":
            row["民族"] = ""
        elif kind == "class_not_of_school":
            row["班号"] = f"{year}199"
        elif kind == "entry_age":
            young = dt.date(year - 5, 3, 1) + dt.timedelta(days=i % 150)
            row["出生日期"] = f"{young:%Y%m%d}"
            row["身份证件号"] = resident_id(DIVISION[:6], young, i, row["性别"])
        elif kind == "duplicate_in_sheet":
            # Alternately the previous row (same batch) and one ~4,000 rows back (an
            # earlier batch of 2,000): both must be refused.
            far = i - 4000 - every
            use_far = (i // (every * len(BAD_KINDS))) % 2 == 1 and far >= 0
            source = far if use_far else i - 1
            while source in bad:
                source -= 1
            row = dict(rows[source])
        elif kind == "bad_member_name":
            row["成员1姓名"] = "x1"
        elif kind == "id_as_float":
            number = row["身份证件号"]
            row["身份证件号"] = float(number[:17] + (number[17] if number[17] != "X" else "0"))
        if kind:
            bad[i] = kind
        rows.append(row)
    return rows, bad


def write_workbook(path: Path, rows: list[dict], writer: str = "excel") -> None:
    """The entry's template (``build_template``) with ``rows`` appended.

    ``excel`` (default): the template's own parts are kept and the rows are spliced into
    its data sheet with the strings in a shared-string table, as Excel and WPS save a
    workbook. ``openpyxl``: copied into an openpyxl write-only workbook, which stores
    every string inline in the sheet (a 2.5× larger sheet XML that no office suite
    writes); kept to compare readers."""
    from xueji.students.excel import build_template

    template = build_template(ENTRY)
    if writer == "openpyxl":
        _write_openpyxl(path, template, rows)
    else:
        _write_shared_strings(path, template, rows)


def _template_headers(template: bytes) -> list:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    return [cell.value for cell in book.worksheets[0][1]]


def _write_shared_strings(path: Path, template: bytes, rows: list[dict]) -> None:
    import re
    import zipfile
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    headers = _template_headers(template)
    letters = [get_column_letter(i + 1) for i in range(len(headers))]
    source = zipfile.ZipFile(io.BytesIO(template))
    sheet_xml = source.read("xl/worksheets/sheet1.xml").decode()
    head, tail = sheet_xml.split("</sheetData>", 1)
    head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{letters[-1]}{len(rows) + 1}"', head, count=1)
    strings: dict[str, int] = {}
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                continue
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdSharedStrings" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>"))
            out.writestr(item.filename, data)
        with out.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(head.encode())
            for number, row in enumerate(rows, start=2):
                cells = [f'<row r="{number}">']
                for letter, header in zip(letters, headers, strict=True):
                    value = row.get(header)
                    if value is None or value == "":
                        continue
                    if isinstance(value, str):
                        index = strings.setdefault(value, len(strings))
                        count += 1
                        cells.append(f'<c r="{letter}{number}" s="1" t="s"><v>{index}</v></c>')
                    else:
                        cells.append(f'<c r="{letter}{number}"><v>{value!r}</v></c>')
                cells.append("</row>")
                sheet.write("".join(cells).encode())
            sheet.write(("</sheetData>" + tail).encode())
        with out.open("xl/sharedStrings.xml", "w") as table:
            table.write((
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                f'openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{len(strings)}">'
            ).encode())
            for text in strings:
                space = ' xml:space="preserve"' if text != text.strip() else ""
                table.write(f"<si><t{space}>{escape(text)}</t></si>".encode())
            table.write(b"</sst>")


def _write_openpyxl(path: Path, template: bytes, rows: list[dict]) -> None:
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment

    source_book = load_workbook(io.BytesIO(template))
    book = Workbook(write_only=True)
    for index, source in enumerate(source_book.worksheets):
        sheet = book.create_sheet(source.title)
        sheet.sheet_state = source.sheet_state
        for letter, dimension in source.column_dimensions.items():
            sheet.column_dimensions[letter].width = dimension.width
        if index == 0:
            sheet.freeze_panes = "A2"
            headers = [cell.value for cell in source[1]]
            header_cells = []
            for cell in source[1]:
                out = WriteOnlyCell(sheet, value=cell.value)
                out.font = copy.copy(cell.font)
                if cell.comment is not None:
                    out.comment = Comment(cell.comment.text, cell.comment.author)
                header_cells.append(out)
            sheet.append(header_cells)
            sheet.data_validations = source.data_validations
            for row in rows:
                sheet.append([row.get(h) for h in headers])
        else:
            for values in source.iter_rows(values_only=True):
                sheet.append(values)
    book.save(path)


# --- the world ------------------------------------------------------------------------

def build_world(year: int, rows: list[dict], bad: dict[int, str]) -> dict:
    """School, classes, registrar, the other school holding the already-registered IDs,
    the simulated population registry."""
    from django.db import transaction

    from xueji.accounts.models import Role
    from xueji.org.models import Authority, Division, Grade, SchoolClass
    from xueji.registration.models import SimulatedResident
    from xueji.students import numbers
    from xueji.students.models import IdentityClaim, NumberKind, Student
    from xueji.testing import make_school, make_user
    from xueji.workflow.services import load_default_configs

    assert not Division.objects.filter(code=UNKNOWN_DIVISION).exists()
    load_default_configs()
    tianhe = Authority.objects.get(code=DIVISION)
    haizhu = Authority.objects.get(code="440105000000")
    school = make_school(tianhe, SCHOOL_CODE, "天河基准小学")
    other = make_school(haizhu, OTHER_SCHOOL_CODE, "海珠基准小学")
    grade = Grade.objects.create(school=school, stage="1", entry_year=year)
    for code in class_codes(year):
        SchoolClass.objects.create(grade=grade, school=school, code=code, name=f"{code[-2:]}班")
    other_grade = Grade.objects.create(school=other, stage="1", entry_year=year)
    other_class = SchoolClass.objects.create(grade=other_grade, school=other, code=f"{year}101", name="1班")
    make_user(REGISTRAR, Role.SCHOOL_REGISTRAR, school=school)

    registered = [rows[i] for i, kind in bad.items() if kind == "already_registered"]
    with transaction.atomic():
        students = Student.objects.bulk_create([
            Student(national_number="G" + r["身份证件号"], number_kind=NumberKind.OFFICIAL_ID, name=r["姓名"],
                    gender=r["性别"], birth_date=dt.datetime.strptime(r["出生日期"], "%Y%m%d").date(),
                    id_type="1", id_number=r["身份证件号"], school=other, grade=other_grade, klass=other_class)
            for r in registered
        ], batch_size=1000)
        IdentityClaim.objects.bulk_create([
            IdentityClaim(key=numbers.identity_key("1", s.id_number), school=other, student=s) for s in students
        ], batch_size=1000)
        residents, not_found = {}, []
        for i, row in enumerate(rows):
            if i not in bad and i % UNVERIFIED != 1:
                residents[row["身份证件号"]] = row["姓名"]
            elif i not in bad:
                not_found.append(row["身份证件号"])
        SimulatedResident.objects.bulk_create(
            [SimulatedResident(id_number=k, name=v) for k, v in residents.items()]
            + [SimulatedResident(id_number=k, not_found=True) for k in not_found], batch_size=5000)
    return {"school": school.pk, "already_registered": len(students), "registry_seeded": len(residents)}


# --- the two imports (each in its own process) ----------------------------------------------

class Breakdown:
    """Wall time spent inside chosen functions (inclusive, so nested ones overlap),
    without a profiler's distortion: wrappers around module attributes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner, name: str, label: str | None = None, key=None) -> None:
        import functools

        original = getattr(owner, name, None)
        if original is None:  # renamed or removed in the application: not timed
            return
        label = label or name

        @functools.wraps(original)
        def timed(*args, **kwargs):
            tag = label if key is None else f"{label}[{key(*args, **kwargs)}]"
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[tag] = self.seconds.get(tag, 0.0) + time.perf_counter() - start
                self.calls[tag] = self.calls.get(tag, 0) + 1

        setattr(owner, name, timed)

    def wrap_generator(self, owner, name: str, label: str) -> None:
        import functools

        original = getattr(owner, name, None)
        if original is None:
            return

        @functools.wraps(original)
        def timed(*args, **kwargs):
            iterator = iter(original(*args, **kwargs))
            while True:
                start = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    return
                finally:
                    self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                yield item

        setattr(owner, name, timed)

    def install(self) -> None:
        from django.db.models.query import QuerySet

        from xueji.registration import adapters, services
        from xueji.students import rules as field_rules
        from xueji.students import services as student_services
        from xueji.workflow import services as workflow

        self.wrap_generator(services, "read_rows", "excel.read_rows (per row)")
        self.wrap(field_rules, "clean_row", "rules.clean_row")
        self.wrap(student_services, "find_conflicts", "students.find_conflicts")
        self.wrap(student_services, "claim_identities", "students.claim_identities")
        self.wrap(workflow, "initiate_many", "workflow.initiate_many")
        self.wrap(workflow, "release_hold_many", "workflow.release_hold_many")
        self.wrap(services, "_verify", "registration._verify")
        self.wrap(services, "_register_batch", "registration._register_batch")
        self.wrap(adapters.SimulatedPopulationRegistry, "verify", "adapters.population_registry.verify")
        for module in (workflow, services):
            self.wrap(module, "record_event", f"audit.record_event ({module.__name__.split('.')[1]})")
        self.wrap(QuerySet, "bulk_create", "QuerySet.bulk_create", key=lambda qs, *a, **k: qs.model.__name__)
        self.wrap(QuerySet, "bulk_update", "QuerySet.bulk_update", key=lambda qs, *a, **k: qs.model.__name__)

    def report(self) -> dict:
        return {k: {"s": round(v, 3), "calls": self.calls.get(k)}
                for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1])}


def _trace_memory() -> dict:
    """tracemalloc (Python allocations only, not a C extension's): the peak during the
    import and, taken as ``_register_prepared`` returns, what its result keeps alive, by line."""
    import functools
    import tracemalloc

    from xueji.registration import services

    report: dict = {}
    original = services._register_prepared

    @functools.wraps(original)
    def traced(*args, **kwargs):
        result = original(*args, **kwargs)
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        stats = snapshot.statistics("lineno")
        report["held_when_register_prepared_returns_mb"] = round(sum(s.size for s in stats) / 1e6, 1)
        report["top_lines"] = [f"{s.size / 1e6:.1f} MB {s.count} blocks {s.traceback[0].filename.split('site-packages/')[-1]}"
                               f":{s.traceback[0].lineno}" for s in stats[:12]]
        report["passed_objects_kept"] = len(result.passed)
        return result

    services._register_prepared = traced
    tracemalloc.start()
    return report


def child_real(path: Path, profile: str | None, breakdown: bool = False, trace: bool = False,
               direct: bool = False) -> dict:
    from django.core.files import File

    from xueji.accounts.models import User
    from xueji.org.models import School
    from xueji.registration import services

    school = School.objects.get(code=SCHOOL_CODE)
    user = User.objects.get(username=REGISTRAR)
    baseline = _common.current_rss_mb()
    # The diagnostics see only this process: with them, the rows are checked here too
    # instead of in the worker process (xueji.common.parallel).
    parallel = not (profile or breakdown or trace)
    if not parallel:
        from django.conf import settings

        settings.XUEJI_PARALLEL_IMPORT = False
    memory = _trace_memory() if trace else None
    timers = Breakdown() if breakdown else None
    if timers is not None:
        timers.install()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    from django.core.management import call_command

    # A running worker has imported the URL map when it started (jobs_worker does so
    # first); this fresh process does it here, untimed, like the worker's start.
    from django.urls import get_resolver

    from xueji.jobs.models import Job
    from xueji.registration.models import Upload

    get_resolver().url_patterns  # noqa: B018
    started = time.perf_counter()
    started_at = time.time()
    # The task path: the page's service queues the job (database backend), then the worker
    # code runs it — ``manage.py jobs_worker --batch`` called in this process: it claims the
    # queued task and runs ``run_job`` → ``jobs.services.execute`` → ``process_upload``.
    if direct:  # for comparison: the services called directly, no job
        with path.open("rb") as handle:
            upload = services.start_upload(school, ENTRY, user, File(handle, name=path.name))
        upload = services.process_upload(upload)
        elapsed = time.perf_counter() - started
        job = None
        queued = ""
    else:
        with path.open("rb") as handle:
            job = services.submit_upload(school, ENTRY, user, File(handle, name=path.name))
        queued = job.status
        call_command("jobs_worker", "--batch", "--interval", "0", verbosity=0)
        worker_exit = time.perf_counter() - started
        job = Job.objects.get(pk=job.pk)
        upload = Upload.objects.get(pk=job.params["upload"])
        # Timed until the job is 已完成 (its finished_at, committed with the upload's
        # totals — the moment the progress page turns to the result): what the worker
        # does after that (recording the task's result, closing its connection, which on
        # SQLite folds the WAL back into the database) is not the import's.
        elapsed = job.finished_at.timestamp() - started_at
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
        import pstats

        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    return {
        "path": ("direct: start_upload + process_upload, no job" if direct else
                 "task: submit_upload queues the job, jobs_worker --batch runs it (in this process)"),
        **({"job": job.pk, "job_status_when_queued": queued, "job_status": job.status, "job_done": job.done}
           if job is not None else {}),
        "upload": upload.pk, "status": upload.status, "message": upload.message,
        "total_rows": upload.total_rows, "passed": upload.passed_rows, "failed": upload.failed_rows,
        **({"worker_exit_seconds": round(worker_exit, 3)} if job is not None else {}),
        "worker_process": parallel, "seconds": round(elapsed, 3), "rows_per_s": round(upload.total_rows / elapsed, 1),
        # The rows are checked in a forked worker (xueji.common.parallel): the peak is the
        # sum of both processes' peaks — conservative, as the pages they share after the
        # fork are counted twice.
        "baseline_rss_mb": baseline, "main_peak_rss_mb": _common.max_rss_mb(),
        "worker_peak_rss_mb": _common.worker_max_rss_mb(),
        "peak_rss_mb": round(_common.max_rss_mb() + _common.worker_max_rss_mb(), 1), "profiled": bool(profile),
        **({"breakdown": timers.report()} if timers is not None else {}),
        **({"tracemalloc": {**memory, "peak_mb": round(__import__("tracemalloc").get_traced_memory()[1] / 1e6, 1)}}
           if memory is not None else {}),
    }


def child_naive(path: Path) -> dict:
    """What a straightforward implementation does: openpyxl reads each row; the row is
    cleaned by the same rules; one duplicate query, one Student save and one claim save
    per row (one transaction for the lot)."""
    from django.db import transaction
    from openpyxl import load_workbook

    from xueji.accounts.models import User
    from xueji.org.models import School, SchoolClass
    from xueji.registration import services
    from xueji.students import numbers
    from xueji.students import rules as field_rules
    from xueji.students.models import IdentityClaim, NumberKind, Student

    school = School.objects.get(code=SCHOOL_CODE)
    User.objects.get(username=REGISTRAR)
    model_fields = {f.name for f in Student._meta.concrete_fields}
    started = time.perf_counter()
    context = services.rules_context(school, ENTRY)
    classes = {c.code: c for c in SchoolClass.objects.filter(school=school).select_related("grade")}
    book = load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows)
    total = passed = 0
    failed: list[tuple[int, list[str]]] = []
    with transaction.atomic():
        for number, values in enumerate(rows, start=2):
            raw = {h: v for h, v in zip(headers, values, strict=False) if h}
            if all(v is None or v == "" for v in raw.values()):
                continue
            total += 1
            cleaned = field_rules.clean_row(raw, context=context)
            if cleaned.errors:
                failed.append((number, cleaned.errors))
                continue
            data = cleaned.values
            key = numbers.identity_key(data["id_type"], data["id_number"])
            if IdentityClaim.objects.filter(key=key).exists():
                failed.append((number, ["身份证件号已存在学籍"]))
                continue
            klass = classes[data["class_code"]]
            student = Student(**{k: v for k, v in data.items() if k in model_fields},
                              national_number="G" + data["id_number"], number_kind=NumberKind.OFFICIAL_ID,
                              school=school, grade=klass.grade, klass=klass)
            student.save()
            IdentityClaim.objects.create(key=key, school=school, student=student)
            passed += 1
    book.close()
    elapsed = time.perf_counter() - started
    return {"total_rows": total, "passed": passed, "failed": len(failed), "seconds": round(elapsed, 3),
            "rows_per_s": round(total / elapsed, 1), "peak_rss_mb": _common.max_rss_mb()}


def run_child(mode: str, var_dir: str, path: Path, profile: str | None = None, breakdown: bool = False,
              trace: bool = False, direct: bool = False) -> dict:
    argv = [sys.executable, __file__, "--child", mode, "--var-dir", var_dir, "--file", str(path)]
    if direct:
        argv += ["--direct"]
    if profile:
        argv += ["--profile", profile]
    if breakdown:
        argv += ["--breakdown"]
    if trace:
        argv += ["--tracemalloc"]
    out = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def remove_naive(school_id: int) -> None:
    from django.db import transaction

    from xueji.students.models import IdentityClaim, Student

    with transaction.atomic():
        IdentityClaim.objects.filter(school_id=school_id).delete()
        Student.objects.filter(school_id=school_id).delete()


def check_outcome(upload_id: int, n: int, bad: dict[int, str]) -> dict:
    """Every bad row refused, every good row passed (sheet row = index + 2)."""
    from collections import Counter

    from xueji.registration.models import Registration, RowError, VerifyStatus

    refused = dict(RowError.objects.filter(upload_id=upload_id).values_list("row", "messages"))
    bad_rows = {i + 2: kind for i, kind in bad.items()}
    missed = Counter(kind for row, kind in bad_rows.items() if row not in refused)
    wrongly = sorted(row for row in refused if row not in bad_rows)
    registrations = Registration.objects.filter(upload_id=upload_id)
    return {
        "bad_rows": len(bad_rows), "bad_by_kind": dict(Counter(bad.values())),
        "bad_rows_not_refused": dict(missed), "good_rows_refused": len(wrongly),
        "good_rows_refused_sample": [(r, refused[r]) for r in wrongly[:3]],
        "registrations": registrations.count(),
        "verify_failed": registrations.filter(verify_status=VerifyStatus.FAILED).count(),
    }


# --- main ----------------------------------------------------------------------------------

def _median_run(runs: list[dict]) -> dict:
    """The run with the median rate (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda r: r["rows_per_s"])
    return ordered[(len(ordered) - 1) // 2]


def _snapshot(var_dir: str) -> tuple[Path, Path] | None:
    """A copy of the SQLite database as it is before the imports (repeats restore it)."""
    import shutil

    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        return _pg_snapshot()
    if connection.vendor != "sqlite":
        print("--repeat: only on SQLite and PostgreSQL; one import on this database", file=sys.stderr)
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    database = Path(settings.DATABASES["default"]["NAME"])
    copy = Path(var_dir) / "before-import.sqlite3"
    shutil.copyfile(database, copy)
    return database, copy


def _pg_admin(statements: list[str]) -> None:
    """Run ``statements`` on the server's ``postgres`` database (no connection to ours)."""
    import psycopg
    from django.conf import settings
    from django.db import connection

    connection.close()
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"],
                         dbname="postgres", autocommit=True) as admin:
        for sql in statements:
            admin.execute(sql)


def _pg_snapshot() -> tuple[str, str]:
    """PostgreSQL: a copy of the database before the imports, as a template database
    (``CREATE DATABASE … TEMPLATE``; the role needs CREATEDB, as the throwaway cluster's has)."""
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    copy = f"{name}_before_import"
    _pg_admin([f'DROP DATABASE IF EXISTS "{copy}"', f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'])
    return name, copy


def _restore(snapshot) -> None:
    import shutil

    from django.db import connection

    connection.close()
    if isinstance(snapshot[0], str):  # PostgreSQL: recreate the database from the copy
        name, copy = snapshot
        _pg_admin([f'DROP DATABASE "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{copy}"'])
        return
    database, copy = snapshot
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=None,
                        help="rows imported the naive way (default: --rows if ≤ 10,000, else 0)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="import this many times from the same starting database (SQLite), report the median")
    parser.add_argument("--prepare-only", action="store_true",
                        help="set up the database and the sheet under --var-dir, print the import command, stop")
    parser.add_argument("--bad-share", type=float, default=0.05)
    parser.add_argument("--writer", choices=["excel", "openpyxl"], default="excel",
                        help="how the sheet is written (see write_workbook); default as Excel saves it")
    parser.add_argument("--profile", help="cProfile the real import into this file (timing then inflated)")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the import's main functions (wall time, inclusive) and print it")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace Python allocations of the import (slower): peak and what the result holds")
    parser.add_argument("--var-dir", help="use this directory instead of a temporary one (kept)")
    parser.add_argument("--direct", action="store_true",
                        help="call start_upload + process_upload directly instead of the task path (comparison)")
    parser.add_argument("--child", choices=["real", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    # Jobs go through the database backend's queue, as with ``make run``.
    os.environ["XUEJI_TEST_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    if args.child:
        _common.django_setup(args.var_dir, migrate=False)
        from django.db import connection

        result = (child_real(Path(args.file), args.profile, args.breakdown, args.tracemalloc, args.direct)
                  if args.child == "real" else child_naive(Path(args.file)))
        connection.close()
        print(json.dumps(result, ensure_ascii=False))
        return

    naive_rows = args.naive_rows if args.naive_rows is not None else (args.rows if args.rows <= 10_000 else 0)
    naive_rows = min(naive_rows, args.rows)
    if args.prepare_only and not args.var_dir:
        parser.error("--prepare-only needs --var-dir")
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp:
        var_dir = args.var_dir or tmp
        Path(var_dir).mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        _common.django_setup(var_dir)
        from django.db import connection

        year = school_year()
        rows, bad = make_rows(args.rows, year, args.bad_share)
        world = build_world(year, rows, bad)
        setup_s = time.perf_counter() - started
        started = time.perf_counter()
        sheet = Path(var_dir) / f"registration-{args.rows}.xlsx"
        write_workbook(sheet, rows, args.writer)
        naive_sheet = sheet
        if naive_rows and naive_rows != args.rows:
            naive_sheet = Path(var_dir) / f"registration-{naive_rows}.xlsx"
            write_workbook(naive_sheet, rows[:naive_rows], args.writer)
        generate_s = time.perf_counter() - started
        del rows
        connection.close()

        results: dict = {
            "database": _common.database(), "rows": args.rows, "bad_share": args.bad_share,
            "columns": 72, "writer": args.writer, "school_year": year, "file_mb": round(sheet.stat().st_size / 1e6, 2),
            "setup_seconds": round(setup_s, 1), "generate_seconds": round(generate_s, 1), **world,
        }
        if args.prepare_only:
            print(json.dumps({**results, "var_dir": var_dir, "sheet": str(sheet), "run": [
                sys.executable, __file__, "--child", "real", "--var-dir", var_dir, "--file", str(sheet)]},
                ensure_ascii=False, indent=2))
            return
        snapshot = _snapshot(var_dir) if args.repeat > 1 else None
        naive_runs, real_runs = [], []
        for attempt in range(args.repeat if snapshot is not None else 1):
            if attempt:
                _restore(snapshot)
            if naive_rows:
                naive_runs.append(run_child("naive", var_dir, naive_sheet))
                remove_naive(world["school"])
                connection.close()
            real = run_child("real", var_dir, sheet, args.profile, args.breakdown, args.tracemalloc, args.direct)
            results.setdefault("check", check_outcome(real["upload"], args.rows, bad))
            connection.close()
            real_runs.append(real)
        if snapshot is not None and isinstance(snapshot[0], str):
            _pg_admin([f'DROP DATABASE IF EXISTS "{snapshot[1]}"'])
        real = _median_run(real_runs)
        results["import"] = real
        if args.repeat > 1:
            results["import_rows_per_s_runs"] = [r["rows_per_s"] for r in real_runs]
            results["import_peak_rss_mb_runs"] = [r["peak_rss_mb"] for r in real_runs]
        if naive_runs:
            results["naive"] = _median_run(naive_runs)
            if args.repeat > 1:
                results["naive_rows_per_s_runs"] = [r["rows_per_s"] for r in naive_runs]
        speedup = None
        if naive_rows == args.rows:
            speedup = real["rows_per_s"] / results["naive"]["rows_per_s"]
            results["speedup_vs_naive"] = round(speedup, 2)
        targets = {}
        if args.rows == 10_000 and results["database"].startswith("sqlite"):
            targets["rows_per_s >= 5000 (10,000 rows on SQLite)"] = real["rows_per_s"] >= 5000
        if args.rows == 10_000 and results["database"].startswith("postgresql"):
            targets["rows_per_s >= 5000 (10,000 rows on PostgreSQL)"] = real["rows_per_s"] >= 5000
        if speedup is not None:
            targets["speedup >= 10x naive"] = speedup >= 10  # unrounded
        if args.rows >= 100_000:
            targets["peak_rss_mb <= 400 (100,000 rows)"] = max(r["peak_rss_mb"] for r in real_runs) <= 400
        results["targets"] = targets
        results["machine"] = _common.machine()
        results["date"] = dt.datetime.now(dt.UTC).date().isoformat()
        connection.close()
        print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
