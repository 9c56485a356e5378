"""Smoke test of bench/peak.py (the summer peak replayed): a province of one cycle of schools
(one of every 学制), a tenth of the benchmark's grade sizes, every phase through the real services.
What it checks is the outcome of each phase, never a time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.core.management import call_command

#: one school of each 学制 with a tenth of the benchmark's grades (120 + 100 + 90 + 120 + 120 + 210 + 220 + 330)
STUDENTS = 1310
BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture
def peak():
    sys.path.insert(0, str(BENCH))
    try:
        import peak as module
    finally:
        sys.path.remove(str(BENCH))
    return module


@pytest.mark.django_db
def test_the_peak_bench_runs_every_phase(peak, tmp_path, settings):
    from xueji.admission.models import AdmissionResult, State
    from xueji.admission.services import admission_year
    from xueji.graduation.models import Graduate
    from xueji.promotion.models import PromotionRun, RunStatus
    from xueji.registration.models import Upload
    from xueji.students.models import Student

    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_divisions", verbosity=0)
    year = admission_year()
    per_grade = {k: v // 10 for k, v in peak.PER_GRADE.items()}
    world = peak.build(STUDENTS, tmp_path, year, per_grade=per_grade, weights=(1,) * len(peak.SYSTEMS))
    assert len(world["schools"]) == len(peak.SYSTEMS)  # one school of every 学制 of bench/promotion.py
    clock = peak._Clock()

    detail = peak.graduation(world, clock, year)
    assert detail["batches"] == sum(len(s["finals"]) for s in world["schools"])
    assert Graduate.objects.count() == world["graduates"] == Student.objects.filter(status="20").count()

    detail = peak.promotion(world, clock)
    run = PromotionRun.objects.get()
    assert run.status == RunStatus.DONE and run.blocked_schools == 0
    assert run.moved == world["students"] - world["graduates"]

    detail = peak.admission(world, clock, year)
    rows = sum(n for _, _, n in world["lists"])
    assert rows and detail["imported"] == rows and detail["refused_rows"] == 0
    assert AdmissionResult.objects.filter(state=State.PLACED).count() == rows
    assert AdmissionResult.objects.filter(cross_review=True).exists()  # some crossed counties / cities
    placed = Student.objects.filter(grade__entry_year=year, grade__stage__in=("2", "3"), klass__isnull=False)
    assert placed.count() == rows

    detail = peak.registration(world, clock)
    wanted = sum(n for _, _, n in world["registrations"])
    assert wanted == round(STUDENTS * peak.REGISTRATION_SHARE)
    assert detail["uploads"] == Upload.objects.count() and detail["passed"] == wanted and detail["failed"] == 0
    assert set(clock.steps) >= {"graduation.execute", "promotion.job", "admission.place", "registration.import"}
