"""References a service copies, in the same transaction, from rows it has just read and
checked have no database constraint (DECISIONS 194, 199): each would cost a check per
written row at COMMIT. The record, a row's owner and its business keep theirs. Deleting
what a copy points at is still refused by the ORM (PROTECT), as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import ProtectedError

from xueji.admission import services
from xueji.admission.models import AdmissionResult
from xueji.graduation.models import Graduate
from xueji.students.models import IdentityClaim, RecordEvent, StatusChange
from xueji.workflow.models import BatchMember, Business, Decision

from .conftest import row
from .test_flow import imported, pass_all

COPIES = [
    (AdmissionResult, "graduate"), (AdmissionResult, "graduating_school"), (AdmissionResult, "job"),
    (AdmissionResult, "imported_by_school"), (AdmissionResult, "imported_by_authority"),
    (AdmissionResult, "grade"), (AdmissionResult, "klass"),
    (Business, "applicant"), (Business, "current_school"), (Business, "current_authority"),
    (Decision, "reviewer"), (Decision, "authority"), (IdentityClaim, "school"),
    (RecordEvent, "school"), (StatusChange, "school"), (Graduate, "school"), (Graduate, "batch"),
    (BatchMember, "batch"),
]
KEPT = [
    (AdmissionResult, "student"), (AdmissionResult, "admitting_school"), (AdmissionResult, "business"),
    (Business, "student"), (Business, "school"), (Decision, "business"), (IdentityClaim, "student"),
    (RecordEvent, "student"), (StatusChange, "student"), (Graduate, "student"), (BatchMember, "student"),
]


def _constrained_columns(model) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {column for info in constraints.values() if info["foreign_key"] for column in info["columns"]}


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "name"), COPIES, ids=[f"{m.__name__}.{n}" for m, n in COPIES])
def test_a_copied_reference_has_no_database_constraint(model, name):
    field = model._meta.get_field(name)
    assert field.db_constraint is False
    assert field.column not in _constrained_columns(model)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "name"), KEPT, ids=[f"{m.__name__}.{n}" for m, n in KEPT])
def test_the_record_owner_and_business_keep_their_constraint(model, name):
    field = model._meta.get_field(name)
    assert field.db_constraint is True
    assert field.column in _constrained_columns(model)


def test_deleting_what_a_copy_points_at_is_still_refused(adm):
    u, w = adm.u, adm.users
    (result,) = imported(w.th_registrar, row(adm.th_pupils[0], adm.th_primary, adm.th_junior))
    services.admit(u.th_junior_registrar, [result.pk])
    assert pass_all(result, u.th_junior_leader).current_authority_id == adm.tree.tianhe.pk
    pass_all(result, w.th_registrar)
    services.retrieve(u.th_junior_registrar, [result.pk])
    result.refresh_from_db()
    assert result.grade_id == adm.th_grade.pk

    for target in (adm.th_primary, adm.th_grade, adm.tree.tianhe, Graduate.objects.get(pk=result.graduate_id)):
        with pytest.raises(ProtectedError) as refused:
            target.delete()
        assert any(isinstance(o, AdmissionResult) and o.pk == result.pk for o in refused.value.protected_objects), (
            target, refused.value.protected_objects)
    assert AdmissionResult.objects.filter(pk=result.pk, graduating_school=adm.th_primary,
                                          imported_by_authority=adm.tree.tianhe).exists()
