"""升级 (F-62): each 学制, the blocking final grade, the window, the resume after a crash,
a second run doing nothing, and the set-based writer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xueji.audit.models import AuditEntry
from xueji.audit.services import record_event
from xueji.jobs.models import Job, JobStatus
from xueji.org.models import Grade
from xueji.promotion import services
from xueji.promotion.models import PromotionRun, RunStatus, SchoolPromotion, SchoolState
from xueji.students import services as student_services
from xueji.students.models import EventKind, RecordEvent, Student
from xueji.workflow import rules as workflow_rules
from xueji.workflow import selectors as workflow_selectors

from .conftest import MOMENT, YEAR, pupils


def _labels(school) -> dict[str, tuple[str, str, int]]:
    row = SchoolPromotion.objects.get(school=school)
    names = {g.pk: g.name for g in Grade.objects.filter(school=school)}
    return {names[g["grade_id"]]: (g["before"], g["after"], g["count"]) for g in row.grades}


def _start(world):
    return services.start_promotion(world.users.gd_registrar, now=MOMENT)


@pytest.mark.django_db
def test_every_school_system_moves_up(schools, world):
    run = _start(world)
    assert run.status == RunStatus.PARTIAL and run.school_year == YEAR
    assert _labels(schools.p6) == {f"小学{YEAR - k}级": (n, m, 2) for k, n, m in (
        (1, "一年级", "二年级"), (2, "二年级", "三年级"), (3, "三年级", "四年级"), (4, "四年级", "五年级"),
        (5, "五年级", "六年级"))}
    assert _labels(schools.p5)[f"小学{YEAR - 4}级"] == ("四年级", "五年级", 2)
    assert f"小学{YEAR - 5}级" not in _labels(schools.p5)
    nine = _labels(schools.nine54)
    assert nine[f"小学{YEAR - 4}级"] == ("四年级", "五年级", 2)
    assert nine[f"初中{YEAR - 1}级"] == ("六年级", "七年级", 2)
    assert nine[f"初中{YEAR - 3}级"] == ("八年级", "九年级", 2)
    assert _labels(schools.nine63)[f"初中{YEAR - 2}级"] == ("八年级", "九年级", 2)
    twelve = _labels(schools.twelve)
    assert twelve[f"高中{YEAR - 2}级"] == ("高二", "高三", 2)
    assert twelve[f"小学{YEAR - 5}级"] == ("五年级", "六年级", 2)
    assert len(twelve) == 5 + 2 + 2
    assert _labels(schools.senior) == {f"高中{YEAR - 1}级": ("高一", "高二", 2), f"高中{YEAR - 2}级": ("高二", "高三", 2)}
    promoted = Student.objects.filter(school=schools.nine54)
    assert set(promoted.values_list("promoted_year", flat=True)) == {YEAR}
    event = RecordEvent.objects.filter(kind=EventKind.PROMOTION, student__school=schools.senior).first()
    assert event.after["promoted_year"] == YEAR and event.reason == f"{YEAR}-{YEAR + 1}学年升级"
    # another province is not touched; the grade and the class code stay
    assert not Student.objects.filter(school=schools.gx, promoted_year__isnull=False).exists()
    student = promoted.select_related("grade", "klass").first()
    assert student.klass.code.startswith(str(student.grade.entry_year))


@pytest.mark.django_db
def test_final_grade_not_graduated_blocks_its_school(schools, world):
    run = _start(world)
    row = SchoolPromotion.objects.get(run=run, school=schools.blocked)
    assert row.state == SchoolState.BLOCKED and row.moved == 0
    assert row.blockers == [{"grade": f"小学{YEAR - 6}级", "count": 2}]
    assert not Student.objects.filter(school=schools.blocked, promoted_year__isnull=False).exists()
    assert run.blocked_schools == 1 and run.promoted_schools == 6 + 4  # and the world's empty schools
    assert AuditEntry.objects.filter(action="promotion.schools", summary__contains="未升级:天河未毕业小学(毕业年级尚有在校学生:"
                                     f"小学{YEAR - 6}级2人)").exists()
    # once graduated, running again promotes the school and nobody else twice
    student_services.change_status(Student.objects.filter(school=schools.blocked, grade__entry_year=YEAR - 6),
                                   "20", date=dt.date(2025, 7, 30), reason="毕业")
    before = RecordEvent.objects.filter(kind=EventKind.PROMOTION).count()
    run = _start(world)
    assert run.status == RunStatus.DONE and run.blocked_schools == 0
    assert RecordEvent.objects.filter(kind=EventKind.PROMOTION).count() == before + 10
    assert SchoolPromotion.objects.get(run=run, school=schools.blocked).moved == 10


@pytest.mark.django_db
def test_second_run_promotes_nobody_twice(schools, world):
    _start(world)
    events = RecordEvent.objects.filter(kind=EventKind.PROMOTION).count()
    run = _start(world)
    assert RecordEvent.objects.filter(kind=EventKind.PROMOTION).count() == events
    assert run.moved == events and PromotionRun.objects.count() == 1
    # and the writer itself, called again, moves nobody
    grades = list(Grade.objects.filter(school=schools.p6, entry_year__gt=YEAR - 6).values_list("pk", flat=True))
    assert sum(g.count for g in student_services.promote_grades(schools.p6, grades, YEAR)) == 0


@pytest.mark.django_db
def test_crash_midway_then_resume(schools, world, monkeypatch):
    """The worker dies after some chunks of schools (and inside a chunk's transaction, after
    its UPDATE): what was committed stays, the rest is done by the next run, nobody twice."""
    monkeypatch.setattr(services, "CHUNK_SCHOOLS", 3)
    real = services.promote_chunk
    calls = {"n": 0}

    def dying(run, chunk, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            # inside the chunk's transaction, after its writes: the whole chunk rolls back
            def explode(*a, **k):
                raise RuntimeError("模拟进程终止")
            monkeypatch.setattr(services, "record_event", explode)
            try:
                return real(run, chunk, **kw)
            finally:
                monkeypatch.setattr(services, "record_event", record_event)
        return real(run, chunk, **kw)

    monkeypatch.setattr(services, "promote_chunk", dying)
    run = _start(world)
    job = Job.objects.get(pk=run.job_id)
    assert job.status == JobStatus.FAILED and run.status == RunStatus.STOPPED
    assert SchoolPromotion.objects.filter(run=run).count() == 6  # two chunks of three
    done = RecordEvent.objects.filter(kind=EventKind.PROMOTION).count()
    assert done == Student.objects.filter(promoted_year=YEAR).count() > 0
    assert done < 2 * (5 + 4 + 7 + 7 + 9 + 2)
    run = _start(world)
    assert run.status == RunStatus.PARTIAL and run.promoted_schools == 6 + 4
    counts = RecordEvent.objects.filter(kind=EventKind.PROMOTION).values_list("student_id", flat=True)
    assert len(counts) == len(set(counts)) == Student.objects.filter(promoted_year=YEAR).count()
    assert len(counts) == 2 * (5 + 4 + 7 + 7 + 9 + 2)


@pytest.mark.django_db
def test_transfers_suspended_while_running(schools, world, monkeypatch):
    seen = {}

    def watching(run, chunk, **kw):
        for school in chunk:
            windows = workflow_selectors.windows_for_school(school, MOMENT + dt.timedelta(minutes=1))
            seen[school.pk] = workflow_rules.window_blocks(windows, "transfer_in_province",
                                                           MOMENT + dt.timedelta(minutes=1))
        return real(run, chunk, **kw)

    real = services.promote_chunk
    monkeypatch.setattr(services, "promote_chunk", watching)
    run = _start(world)
    assert all(w is not None for w in seen.values()) and seen
    run.window.refresh_from_db()
    assert run.window.ends_at <= run.finished_at + dt.timedelta(seconds=1)


@pytest.mark.django_db
def test_refusals(schools, world):
    with pytest.raises(ValidationError, match="尚未到达"):
        services.start_promotion(world.users.gd_registrar, now=MOMENT - dt.timedelta(hours=1))
    for user in (world.users.gz_registrar, world.users.th_registrar, world.users.moe_registrar,
                 world.users.gd_admin, world.users.school_registrar):
        with pytest.raises(PermissionDenied):
            services.start_promotion(user, now=MOMENT)
    with pytest.raises(PermissionDenied):
        services.set_moment(world.users.th_registrar, month=8, day=10, hour=24, minute=0)
    for bad in ((2, 30, 0, 0), (8, 32, 0, 0), (8, 10, 24, 30), ("x", 1, 0, 0), (8, 10, 25, 0)):
        with pytest.raises(ValidationError):
            services.set_moment(world.users.gd_registrar, month=bad[0], day=bad[1], hour=bad[2], minute=bad[3])
    assert not PromotionRun.objects.exists()


@pytest.mark.django_db
def test_moment_province_over_national_default(world):
    from xueji.promotion import selectors

    assert selectors.moment_values(world.tree.gd) == ((8, 10, 24, 0), "系统默认")
    services.set_moment(world.users.moe_registrar, month=8, day=15, hour=24, minute=0)
    assert selectors.moment_values(world.tree.gd)[0] == (8, 15, 24, 0)
    services.set_moment(world.users.gd_registrar, month=8, day=1, hour=8, minute=30)
    assert selectors.moment_values(world.tree.gd) == ((8, 1, 8, 30), "广东省教育厅")
    assert selectors.moment_values(world.tree.gx)[0] == (8, 15, 24, 0)
    at = selectors.moment_at(world.tree.gd, 2025)
    assert (at.month, at.day, at.hour, at.minute) == (8, 1, 8, 30)
    assert AuditEntry.objects.filter(action="promotion.moment_set").count() == 2


@pytest.mark.django_db
def test_writer_refuses_and_is_set_based(schools, world):
    final = Grade.objects.get(school=schools.blocked, entry_year=YEAR - 6)
    with pytest.raises(ValidationError, match="毕业年级"):
        student_services.promote_grades(schools.blocked, [final.pk], YEAR)
    other = Grade.objects.get(school=schools.gx, entry_year=YEAR - 1)
    with pytest.raises(ValidationError, match="不属于"):
        student_services.promote_grades(schools.p6, [other.pk], YEAR)
    with pytest.raises(ValidationError):
        student_services.promote_grades(schools.p6, [999999], YEAR)
    with pytest.raises(ValidationError):
        student_services.promote_grades(schools.p6, [], "2025")
    future = Grade.objects.create(school=schools.p6, stage="1", entry_year=YEAR)
    with pytest.raises(ValidationError, match="尚未入学"):
        student_services.promote_grades(schools.p6, [future.pk], YEAR)
    # 20 more pupils in one grade: the same number of queries
    grades = list(Grade.objects.filter(school=schools.p6, entry_year__gt=YEAR - 6, entry_year__lt=YEAR)
                  .values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as small:
        moved = student_services.promote_grades(schools.p6, grades, YEAR)
    assert sum(m.count for m in moved) == 10
    pupils(schools.p6, "1", YEAR - 2, 20)
    with CaptureQueriesContext(connection) as large:
        moved = student_services.promote_grades(schools.p6, grades, YEAR)
    assert len(large) == len(small)
    assert sum(m.count for m in moved) == 20


@pytest.mark.django_db
def test_suspended_pupils_stay_and_are_noted(schools, world):
    pupils(schools.p6, "1", YEAR - 3, 1, status="11")
    _start(world)
    row = SchoolPromotion.objects.get(school=schools.p6)
    assert row.notes == [{"grade": f"小学{YEAR - 3}级", "count": 1, "why": "休学等非在校学生不随年级升级"}]
    assert Student.objects.filter(school=schools.p6, status="11", promoted_year__isnull=True).count() == 1


@pytest.mark.django_db
def test_chunk_statements_do_not_grow_with_schools_or_students(schools, world):
    """A chunk of schools is promoted with the same statements whether it holds two schools
    or five and ten pupils or a hundred (one audit entry per supervising authority)."""
    from xueji.testing import make_school

    from .conftest import fill

    run = PromotionRun.objects.create(authority=world.tree.gd, school_year=YEAR)
    services.promote_chunk(run, [schools.p5])  # the audit chain's first entry
    with CaptureQueriesContext(connection) as small:
        rows = services.promote_chunk(run, [schools.p6, schools.blocked])
    assert [r.state for r in rows] == [SchoolState.PROMOTED, SchoolState.BLOCKED]
    assert rows[0].moved == 10
    more = [make_school(world.tree.tianhe, f"344010620{i}", f"天河小学{i}", stages={"1": 6}) for i in range(4)]
    for school in more[:3]:
        fill(school, {"1": 6})
    fill(more[3], {"1": 6}, final=True)
    pupils(more[0], "1", YEAR - 2, 60)
    with CaptureQueriesContext(connection) as large:
        rows = services.promote_chunk(run, [schools.nine63, *more])
    assert [r.moved for r in rows] == [14, 70, 10, 10, 0]
    assert len(large) == len(small)
    events = RecordEvent.objects.filter(kind=EventKind.PROMOTION)
    assert events.count() == Student.objects.filter(promoted_year=YEAR).count() == 8 + 10 + 14 + 90
    audit = AuditEntry.objects.filter(action="promotion.schools").order_by("-pk").first()
    assert audit.summary.startswith("天河区教育局所属4所学校升级104人,1所学校未升级:天河小学3(毕业年级尚有在校学生:")
    # once more: the promoted schools are skipped, the blocked one re-examined in place
    again = services.promote_chunk(run, [schools.p6, schools.blocked])
    assert [r.pk for r in again] == [r.pk for r in services.promote_chunk(run, [schools.p6, schools.blocked])]
    assert again[1].state == SchoolState.BLOCKED
    assert SchoolPromotion.objects.filter(run=run).count() == 8
    assert events.count() == 8 + 10 + 14 + 90


class _Progress:
    def __init__(self):
        self.done, self.total, self.result = 0, None, None

    def set_total(self, n):
        self.total = n

    def set_done(self, n):
        self.done = n

    def advance(self, n=1):
        self.done += n

    def finish(self, result=None):
        self.result = result


@pytest.mark.django_db(transaction=True)
def test_parallel_chunks_then_a_failing_chunk_and_resume(schools, world, monkeypatch, settings):
    """On PostgreSQL, a job run by a worker (outside any transaction) promotes its chunks in
    threads with their own connections (committed data, hence a transactional test); on
    SQLite the same run is sequential. A chunk failing in a thread fails the run, the
    other chunks' work stays, the next run completes it, nobody twice."""
    settings.XUEJI_PROMOTION_WORKERS = 2
    monkeypatch.setattr(services, "CHUNK_SCHOOLS", 2)
    assert services.workers() == (2 if connection.vendor == "postgresql" else 1)
    run = PromotionRun.objects.create(authority=world.tree.gd, school_year=YEAR)
    owner = world.users.gd_registrar

    def job():
        return Job.objects.create(kind=services.JOB_KIND, owner=owner, title="升级", params={"run": run.pk},
                                  status=JobStatus.RUNNING)

    real = services.promote_chunk

    def failing(run, chunk, **kw):
        if any(s.pk == schools.nine54.pk for s in chunk):
            raise RuntimeError("模拟进程终止")
        return real(run, chunk, **kw)

    monkeypatch.setattr(services, "promote_chunk", failing)
    with pytest.raises(RuntimeError, match="模拟进程终止"):
        services.run_job(job(), _Progress())
    assert not SchoolPromotion.objects.filter(school=schools.nine54).exists()
    monkeypatch.setattr(services, "promote_chunk", real)
    progress = _Progress()
    result = services.run_job(job(), progress)
    assert result == {"已升级学校": 6 + 4, "未升级学校": 1, "升级人数": 2 * (5 + 4 + 7 + 7 + 9 + 2)}
    assert progress.done == progress.total == 11
    counts = RecordEvent.objects.filter(kind=EventKind.PROMOTION).values_list("student_id", flat=True)
    assert len(counts) == len(set(counts)) == Student.objects.filter(promoted_year=YEAR).count()
    assert len(counts) == 2 * (5 + 4 + 7 + 7 + 9 + 2)
