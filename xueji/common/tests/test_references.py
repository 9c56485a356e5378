"""The reference check before a hard removal (``common.references``) and the chunked
DELETE (``bulk.delete_rows``): every foreign key to a model is found, hidden ones too."""

from __future__ import annotations

from django.db import transaction

from xueji.common import bulk, references
from xueji.org.models import Grade, SchoolClass
from xueji.students.models import Student
from xueji.workflow.models import BatchMember


def test_every_foreign_key_to_the_record_is_found():
    related = {r.related_model for r in references.reverse_relations(Student)}
    # BatchMember's key has related_name="+" (hidden): it counts all the same
    assert BatchMember in related
    assert {"ProblemMember", "Business", "Registration", "FamilyMember"} <= {m.__name__ for m in related}


def test_referenced_names_the_tables(world):
    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2021)
    used = SchoolClass.objects.create(school=world.th_school, grade=grade, code="2021101", name="1班")
    idle = SchoolClass.objects.create(school=world.th_school, grade=grade, code="2021102", name="2班")
    assert references.referenced(Grade, [grade.pk]) == {grade.pk: ["班级"]}
    assert references.referenced(Grade, [grade.pk], ignore=(SchoolClass,)) == {}
    assert references.referenced(SchoolClass, [used.pk, idle.pk]) == {}
    assert references.referenced(SchoolClass, []) == {}


def test_delete_rows_in_chunks(world, monkeypatch):
    grade = Grade.objects.create(school=world.th_school, stage="1", entry_year=2021)
    classes = [SchoolClass.objects.create(school=world.th_school, grade=grade, code=f"202110{k}", name=f"{k}班")
               for k in range(1, 6)]
    monkeypatch.setattr(bulk, "DELETE_CHUNK", 2)
    with transaction.atomic():
        assert bulk.delete_rows(SchoolClass, "id", [c.pk for c in classes[:4]] + [classes[0].pk, 999999]) == 4
        assert bulk.delete_rows(SchoolClass, "grade", []) == 0
    assert list(SchoolClass.objects.values_list("code", flat=True)) == ["2021105"]
