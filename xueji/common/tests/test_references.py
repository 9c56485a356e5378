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


def test_a_key_without_an_index_is_read_once_over_the_range(world, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = next(r.field for r in references.reverse_relations(Student) if r.related_model is BatchMember)
    assert not references._indexed(key)  # BatchMember.student: db_index=False, the unique key starts with batch
    business = next(r.field for r in references.reverse_relations(Student) if r.related_model.__name__ == "Business")
    assert references._indexed(business)
    monkeypatch.setattr(references, "CHUNK", 2)
    with CaptureQueriesContext(connection) as captured:
        references.referenced(Student, [1, 2, 3, 4, 5])
    batch_queries = [q["sql"] for q in captured.captured_queries if "batchmember" in q["sql"].lower()]
    business_queries = [q["sql"] for q in captured.captured_queries if '"workflow_business"' in q["sql"]]
    assert len(batch_queries) == 1 and len(business_queries) == 3
