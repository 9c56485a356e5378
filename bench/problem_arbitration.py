"""Benchmark: 问题学籍仲裁 of one group (problems.handling.arbitrate), target ≤ 100 ms.

In a throwaway database (or ``DATABASE_URL``) it builds the test organisation tree,
two schools in two counties of 广州, ``--groups`` duplicate pairs (students, identity
claims, groups and members inserted directly, not timed) every one of them waiting for
arbitration by 广州市教育局 — so the tables hold that many open groups — and then
times ``--samples`` arbitrations, one group each (lock, rules, identity claim moved to
the passing record, two member updates, the group, three events, the audit entry).

Prints one JSON object: p50/p99/max in ms and SQL statements per arbitration.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xueji-bench-") as var_dir:
        _common.django_setup(var_dir, migrate=False)
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call_command("migrate", verbosity=0)
        from xueji.accounts.models import Role
        from xueji.org.models import Grade, SchoolClass
        from xueji.problems import handling
        from xueji.problems.models import (
            GroupState,
            MemberState,
            ProblemGroup,
            ProblemKind,
            ProblemMember,
        )
        from xueji.students.models import IdentityClaim, Student
        from xueji.testing import build_tree, make_school, make_user

        tree = build_tree()
        schools = [make_school(tree.tianhe, "3440106001", "天河小学"), make_school(tree.haizhu, "3440105001", "海珠小学")]
        places = []
        for school in schools:
            grade = Grade.objects.create(school=school, stage="1", entry_year=2024)
            places.append((school, grade, SchoolClass.objects.create(school=school, grade=grade, code="2024101",
                                                                      name="1班")))
        n = args.groups
        students = []
        for i in range(n):
            id_number = f"4401062018{i:08d}"
            for side, (school, grade, klass) in enumerate(places):
                students.append(Student(national_number=("G" + id_number) if side == 0 else f"L440106201801{i:06d}", number_kind="GL"[side],
                                        name=f"学生{i}", gender="1", birth_date="2018-01-01", id_type="1",
                                        id_number=id_number, school=school, grade=grade, klass=klass))
        Student.objects.bulk_create(students, batch_size=2000)
        ids = list(Student.objects.order_by("pk").values_list("pk", flat=True))
        IdentityClaim.objects.bulk_create([IdentityClaim(key=f"1:4401062018{i:08d}", school=schools[0],
                                                         student_id=ids[2 * i]) for i in range(n)], batch_size=2000)
        groups = ProblemGroup.objects.bulk_create([ProblemGroup(kind=ProblemKind.ID_DUPLICATE,
                                                                state=GroupState.ARBITRATION, arbiter=tree.gz)
                                                   for _ in range(n)], batch_size=2000)
        ProblemMember.objects.bulk_create([
            ProblemMember(group=g, student_id=ids[2 * i + side], state=MemberState.EVIDENCED, method="evidence")
            for i, g in enumerate(groups) for side in (0, 1)], batch_size=2000)
        arbiter = make_user("gz_arbiter", Role.AUTHORITY_REGISTRAR, authority=tree.gz)
        step = max(1, n // args.samples)
        chosen = groups[::step][:args.samples]
        counts = []

        def one(group):
            passed = ProblemMember.objects.filter(group=group).order_by("-pk").values_list("pk", flat=True)[0]
            with CaptureQueriesContext(connection) as captured:
                handling.arbitrate(group.pk, arbiter, passed, "乙方证明材料不足")
            counts.append(len(captured))

        timing = _common.time_calls(one, chosen)
        print(json.dumps({"benchmark": "problem_arbitration", "open_groups": n, **timing,
                          "queries_per_arbitration": max(counts), "database": _common.database(),
                          "machine": _common.machine()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
