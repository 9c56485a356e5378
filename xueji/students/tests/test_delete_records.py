"""students.services.delete_records (误操作删除, F-34): 已删除 with the history, the identity
claim released and an official G number released (the record keeps a new L), J and L
numbers kept; set-based; bad input refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from xueji.students import services as S
from xueji.students.models import IdentityClaim, StatusChange, Student, StudentNumber

from .conftest import pupil_values


def test_delete_records_frees_identity_and_g_number(place):
    foreign = pupil_values(3, id_type="A", id_number="E7654321", nationality="USA", hmt="51", name="John Smith")
    with transaction.atomic():
        created = S.create_records([place.spec(1), place.spec(2, kind="L"), place.spec(3, kind="J", values=foreign)])
    g, l_, j = (Student.objects.get(pk=c.pk) for c in created)
    done = S.delete_records([g, l_.pk, j], reason="重复注册", date=dt.date(2026, 3, 1), actor=place.world.users.school_registrar)
    assert [d.student_id for d in done] == [g.pk, l_.pk, j.pk]
    assert all(d.old_status == "10" for d in done)
    g2, l2, j2 = (Student.objects.get(pk=s.pk) for s in (g, l_, j))
    assert {s.status for s in (g2, l2, j2)} == {"99"}
    assert not IdentityClaim.objects.filter(student_id__in=[g.pk, l_.pk, j.pk]).exists()
    # G released: a new L on the deleted record, the G row gone so G + ID can be given again
    assert done[0].old_number == g.national_number and done[0].number == g2.national_number
    assert g2.number_kind == "L" and g2.national_number.startswith("L440106")
    assert not StudentNumber.objects.filter(number=g.national_number).exists()
    assert StudentNumber.objects.get(number=g2.national_number).student_id == g.pk
    # J and L are kept
    assert (l2.national_number, j2.national_number) == (l_.national_number, j.national_number)
    assert done[1].number == done[1].old_number
    changes = StatusChange.objects.filter(student_id__in=[g.pk, l_.pk, j.pk], new_status="99")
    assert changes.count() == 3 and all(c.reason == "误操作删除:重复注册" for c in changes)
    # the record is still there, with its family
    assert g2.family.count() == 1
    # the same child can be created again with G + the ID
    with transaction.atomic():
        (again,) = S.create_records([place.spec(1)])
    assert again.national_number == g.national_number and again.pk != g.pk


def test_delete_records_refusals(place):
    with transaction.atomic():
        (created,) = S.create_records([place.spec(5)])
    assert S.delete_records([], reason="x", date=dt.date(2026, 3, 1)) == []
    with pytest.raises(ValidationError, match="学籍不存在"):
        S.delete_records([999999], reason="x", date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError):
        S.delete_records(["abc"], reason="x", date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError, match="晚于今天"):
        S.delete_records([created.pk], reason="x", date=dt.date(2999, 1, 1))
    assert Student.objects.get(pk=created.pk).status == "10"
    S.delete_records([created.pk], reason="x", date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError, match="已删除的学籍"):
        S.delete_records([created.pk], reason="x", date=dt.date(2026, 3, 1))
