"""One writer of the record: no module outside ``xueji/students`` writes students, family
members, numbers, number sequences, identity claims or the status history, and none
outside ``xueji/problems`` writes problem groups. Read from the code itself (ast), so a
new write elsewhere fails here. Tests, migrations and the test builders are not scanned.

What counts as a write: a manager call (``Student.objects….create/bulk_create/update/
delete/get_or_create/update_or_create/bulk_update``), building a model instance
(``Student(...)``), ``bulk.insert_rows/update_rows/allocate_ids/delete_rows`` on the model, a write
through a related manager (``school.students.update(...)``, ``group.students.add``),
``.save()``/``.delete()`` on something named like a record (``student.save()``,
``reg.student.delete()``), and raw SQL that inserts into, updates or deletes from the
model's table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

import xueji

ROOT = Path(xueji.__file__).resolve().parent
OWNED = {
    "students": ("Student", "FamilyMember", "StudentNumber", "NumberSequence", "IdentityClaim", "StatusChange",
                 "RecordEvent", "StudyResume", "Award", "Punishment", "ResidencePermit"),
    "problems": ("ProblemGroup", "ProblemMember"),
}
MODEL_OWNER = {model: app for app, models in OWNED.items() for model in models}
#: Related managers that reach the owned tables from other models.
RELATED_OWNER = {
    "students": "students", "family": "students", "numbers": "students", "identity_claim": "students",
    "status_changes": "students", "events": "students", "problem_groups": "problems", "problem_memberships": "problems",
    "members": "problems",
}
MANAGER_WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "bulk_update"}
RELATED_WRITES = MANAGER_WRITES | {"add", "remove", "clear", "set"}
BULK_WRITES = {"insert_rows", "update_rows", "allocate_ids", "delete_rows"}
INSTANCE_NAME = re.compile(r"(student|family|member|claim|sequence|group|problem)s?$", re.IGNORECASE)
SQL_WRITE = re.compile(r"\b(?:insert\s+into|update|delete\s+from)\s+[\"'`]?(\w+)", re.IGNORECASE)


def _tables() -> dict[str, str]:
    return {apps.get_model(app, model)._meta.db_table: app for app, models in OWNED.items() for model in models}


def _chain(node: ast.AST) -> list[ast.AST]:
    """The receiver chain of an attribute access, innermost first: ``a.b().c`` →
    [Name a, Attribute b, Call, Attribute c]."""
    out = []
    while True:
        out.append(node)
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return list(reversed(out))


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self, app: str, tables: dict[str, str]) -> None:
        self.app = app
        self.tables = tables
        self.found: list[tuple[int, str]] = []
        self.aliases: dict[str, str] = {}  # local name → owned model name

    def _flag(self, node: ast.AST, what: str, owner: str) -> None:
        if owner != self.app:
            self.found.append((node.lineno, what))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name in MODEL_OWNER:
                self.aliases[alias.asname or alias.name] = alias.name
        self.generic_visit(node)

    def _model(self, node: ast.AST) -> str | None:
        name = _name(node)
        if name is None:
            return None
        name = self.aliases.get(name, name)
        return name if name in MODEL_OWNER else None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        model = self._model(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if model is not None and (isinstance(func, ast.Name) or func.attr == model):
            self._flag(node, f"{model}(...) instance built", MODEL_OWNER[model])
        if isinstance(func, ast.Attribute):
            chain = _chain(func.value)
            method = func.attr
            if method in MANAGER_WRITES:
                for before, after in zip(chain, chain[1:], strict=False):
                    if isinstance(after, ast.Attribute) and after.attr == "objects":
                        owned = self._model(before)
                        if owned is not None:
                            self._flag(node, f"{owned}.objects….{method}()", MODEL_OWNER[owned])
            if method in RELATED_WRITES:
                for link in chain[1:]:
                    if isinstance(link, ast.Attribute) and link.attr in RELATED_OWNER:
                        self._flag(node, f".{link.attr}….{method}()", RELATED_OWNER[link.attr])
                        break
            if method in {"save", "delete"} and not node.args:
                target = _name(func.value)
                if target and INSTANCE_NAME.search(target) and target not in {"ProblemGroup"}:
                    owner = "problems" if re.search("group|problem|member", target, re.I) else "students"
                    self._flag(node, f"{target}.{method}()", owner)
        name = _name(func)
        if name in BULK_WRITES and node.args:
            owned = self._model(node.args[0])
            if owned is not None:
                self._flag(node, f"{name}({owned}, …)", MODEL_OWNER[owned])
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            for table in SQL_WRITE.findall(node.value):
                if table in self.tables:
                    self._flag(node, f"SQL write on {table}", self.tables[table])
        self.generic_visit(node)


def violations(source: str, app: str) -> list[tuple[int, str]]:
    """The writes to owned tables in ``source`` (a module of ``app``) that ``app`` does
    not own."""
    finder = _Finder(app, _tables())
    finder.visit(ast.parse(source))
    return finder.found


def _scanned() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or path.name in {"testing.py", "conftest.py"}:
            continue
        files.append(path)
    return files


def test_nobody_else_writes_the_record_or_problem_groups():
    found = []
    for path in _scanned():
        app = path.relative_to(ROOT).parts[0] if len(path.relative_to(ROOT).parts) > 1 else ""
        for line, what in violations(path.read_text(encoding="utf-8"), app):
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: {what}")
    assert not found, "\n".join(found)
    assert len(_scanned()) > 50  # the scan did look at the code


BAD = '''
from xueji.students.models import Student, IdentityClaim as Claim
from xueji.students import models as sm
from xueji.problems.models import ProblemGroup
from xueji.common import bulk

def f(student, reg, school, group, ids):
    Student.objects.create(name="x")
    Student.objects.filter(pk__in=ids).update(status="11")
    Claim.objects.filter(key="k").delete()
    sm.FamilyMember.objects.bulk_create([])
    Student(name="y")
    bulk.insert_rows(Student, ("id",), [])
    bulk.delete_rows(ProblemGroup, "id", ids)
    school.students.update(status="99")
    group.students.add(student)
    student.save()
    reg.student.delete()
    ProblemGroup.objects.get_or_create(kind="id_error")
    cursor.execute("UPDATE students_student SET status = '99'")
'''


def test_the_checker_finds_every_kind_of_write():
    found = [what for _, what in violations(BAD, "registration")]
    assert found == [
        "Student.objects….create()", "Student.objects….update()", "IdentityClaim.objects….delete()",
        "FamilyMember.objects….bulk_create()", "Student(...) instance built", "insert_rows(Student, …)",
        "delete_rows(ProblemGroup, …)", ".students….update()", ".students….add()", "student.save()", "student.delete()",
        "ProblemGroup.objects….get_or_create()", "SQL write on students_student",
    ]
    # the owners may; reads are no writes
    assert [w for _, w in violations(BAD, "students") if "Problem" in w] == [
        "delete_rows(ProblemGroup, …)", "ProblemGroup.objects….get_or_create()"]
    reads = "from xueji.students.models import Student\nStudent.objects.filter(pk=1).values_list('pk')\n" \
            "x = 'SELECT * FROM students_student'\nupload.save()\n"
    assert violations(reads, "registration") == []


@pytest.mark.parametrize("app", ["registration", "workflow", "portal", "api"])
def test_the_checker_knows_the_owner(app):
    assert violations("from xueji.problems.models import ProblemMember\nProblemMember.objects.bulk_create([])\n",
                      app) == [(2, "ProblemMember.objects….bulk_create()")]
