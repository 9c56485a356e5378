"""problems.services, the one writer of problem groups: set-based opening, join-or-open,
the groups of duplicated identities and same people, resolution — with bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from xueji.problems import services as P
from xueji.problems.models import ProblemGroup, ProblemKind, ProblemMember
from xueji.students import services as S
from xueji.students.tests.conftest import pupil_values


def _records(place, *specs):
    with transaction.atomic():
        return [c.pk for c in S.create_records(list(specs))]


def test_open_groups_is_set_based(place):
    ids = _records(place, *[place.spec(i, kind="L") for i in range(1, 31)])

    def queries(chosen):
        with CaptureQueriesContext(connection) as captured:
            groups = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (pk,), "人口信息库中无此身份证件号") for pk in chosen])
        return len(captured.captured_queries), groups

    few, groups = queries(ids[:2])
    many, _ = queries(ids[2:])
    assert few == many
    assert [list(g.students.values_list("pk", flat=True)) for g in groups] == [[ids[0]], [ids[1]]]
    assert groups[0].note == "人口信息库中无此身份证件号" and not groups[0].historical
    assert P.open_groups([]) == [] and P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, ())]) == []


def test_unknown_kind_is_refused(place):
    (pk,) = _records(place, place.spec(1))
    with pytest.raises(ValidationError, match="未知的问题学籍类型:nonsense"):
        P.open_groups([P.NewGroup("nonsense", (pk,))])
    with pytest.raises(ValidationError, match="未知的问题学籍类型"):
        P.resolve_groups("nonsense", [pk], resolution="x")
    assert not ProblemGroup.objects.exists()


def test_join_or_open(place):
    a, b, c = _records(place, place.spec(1), place.spec(2), place.spec(3))
    (first,) = P.join_or_open(ProblemKind.ID_DUPLICATE, {"k": [a, b]}, notes={"k": "说明"}, historical=True)
    assert first.historical and first.note == "说明"
    # c shares the key with b, already in an unresolved group: c joins it
    assert P.join_or_open(ProblemKind.ID_DUPLICATE, {"k": [b, c]}) == []
    assert set(first.students.values_list("pk", flat=True)) == {a, b, c}
    # another kind, or a resolved group, is not joined
    (other,) = P.join_or_open(ProblemKind.NO_ID_DUPLICATE, {"p": [b, c]})
    assert other.pk != first.pk
    P.resolve_groups(ProblemKind.ID_DUPLICATE, [a], resolution="已处理")
    (again,) = P.join_or_open(ProblemKind.ID_DUPLICATE, {"k": [a, c]})
    assert again.pk != first.pk
    assert ProblemMember.objects.filter(group=first).count() == 3


def test_duplicated_identities_and_same_people(place):
    values = pupil_values(1)
    holder, duplicate = _records(place, place.spec(1), place.spec(1, kind="L", claim=False))
    (group,) = P.group_duplicate_identities(["1:" + values["id_number"]], historical=True)
    assert set(group.students.values_list("pk", flat=True)) == {holder, duplicate}
    assert P.group_duplicate_identities([]) == []
    twin = dict(pupil_values(5, id_type="Z", id_number=""))
    z1, z2, other = _records(place, place.spec(5, kind="J", values=twin, claim=False),
                             place.spec(6, kind="J", values=dict(twin), claim=False), place.spec(7))
    (same,) = P.group_same_people([z2, other])
    assert same.kind == ProblemKind.NO_ID_DUPLICATE
    assert set(same.students.values_list("pk", flat=True)) == {z1, z2}
    assert P.group_same_people([other]) == []  # a resident ID: not this kind of problem


def test_resolve(place):
    a, b = _records(place, place.spec(1, kind="L"), place.spec(2, kind="L"))
    groups = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (a,)), P.NewGroup(ProblemKind.ID_ERROR, (b,))])
    assert P.resolve_groups(ProblemKind.ID_ERROR, [a], resolution="重新认证通过") == [groups[0].pk]
    groups[0].refresh_from_db()
    groups[1].refresh_from_db()
    assert groups[0].resolved and groups[0].resolved_at and groups[0].resolution == "重新认证通过"
    assert not groups[1].resolved
    assert P.resolve_groups(ProblemKind.ID_ERROR, [a], resolution="again") == []


# --- taking back what a caller wrote --------------------------------------------------------

def test_written_notes_every_group_and_membership(place):
    a, b, c, d = _records(place, *[place.spec(i) for i in range(1, 5)])
    (earlier,) = P.join_or_open(ProblemKind.ID_DUPLICATE, {"k": [a, b]})
    written = P.Written()
    with transaction.atomic():
        opened = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (c,))], written=written)
        assert P.join_or_open(ProblemKind.ID_DUPLICATE, {"k": [a, c]}, written=written) == []
        opened += P.join_or_open(ProblemKind.NO_ID_DUPLICATE, {"p": [c, d]}, written=written)
    assert written.groups == [g.pk for g in opened]
    assert set(written.members) == {(opened[0].pk, c), (earlier.pk, c), (opened[1].pk, c), (opened[1].pk, d)}

    # c was created by the caller and goes; d was there before
    assert P.memberships_besides([c], written) == set()
    with transaction.atomic():
        result = P.withdraw_written(written, created=[c])
    assert sorted(result.groups) == sorted(g.pk for g in opened) and result.members == 4
    assert set(ProblemMember.objects.values_list("group_id", "student_id")) == {(earlier.pk, a), (earlier.pk, b)}
    with transaction.atomic():  # again: nothing left
        assert P.withdraw_written(written, created=[c]).members == 0


def test_withdraw_leaves_settled_groups_kept_records_and_others_members(place):
    a, b, c, e = _records(place, *[place.spec(i) for i in range(1, 5)])
    written = P.Written()
    with transaction.atomic():
        settled, kept, joined = P.open_groups([
            P.NewGroup(ProblemKind.ID_ERROR, (a,)), P.NewGroup(ProblemKind.ID_ERROR, (b,)),
            P.NewGroup(ProblemKind.ID_DUPLICATE, (c,))], written=written)
    P.resolve_groups(ProblemKind.ID_ERROR, [a], resolution="重新认证通过")
    ProblemMember.objects.create(group=joined, student_id=e)  # someone else's record joined meanwhile
    assert P.memberships_besides([a, b, c], written) == {a}  # a's group was settled: a reference
    with transaction.atomic():
        result = P.withdraw_written(written, created=[a, b, c], kept=[a, b])
    assert result.groups == [] and result.kept_groups == {
        settled.pk: "问题学籍已处理完毕", kept.pk: "组内有保留的学籍", joined.pk: "组内有其他学籍加入"}
    assert set(ProblemMember.objects.values_list("group_id", "student_id")) == {
        (settled.pk, a), (kept.pk, b), (joined.pk, e)}


def test_a_new_group_waits_for_the_later_record(place):
    a, b = _records(place, place.spec(1), place.spec(2, kind="L", claim=False))
    (group,) = P.open_groups([P.NewGroup(ProblemKind.ID_DUPLICATE, (a, b), "测试")])
    group.refresh_from_db()
    assert group.state == "waiting" and not group.cross_province and group.turn_since and group.turn_due
    assert group.turn_due > group.turn_since
    turn = dict(ProblemMember.objects.filter(group=group).values_list("student_id", "must_act"))
    assert turn == {a: False, b: True}
    assert all(ProblemMember.objects.filter(group=group).values_list("rank", flat=True))
    P.resolve_groups(ProblemKind.ID_DUPLICATE, [a], resolution="已处理")
    group.refresh_from_db()
    assert group.state == "resolved" and group.turn_due is None
    assert not ProblemMember.objects.filter(group=group, must_act=True).exists()


def test_a_new_groups_deadline_counts_in_local_days(place, monkeypatch):
    # Friday 20:00 UTC is Saturday 04:00 in China: the first turn's deadline counts from
    # Monday (as a later turn's does), not from the UTC Friday.
    import datetime as dt

    from django.utils import timezone

    from xueji.problems import rules
    from xueji.workflow import rules as workflow_rules

    (pk,) = _records(place, place.spec(1, kind="L"))
    moment = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    (group,) = P.open_groups([P.NewGroup(ProblemKind.ID_ERROR, (pk,))])
    group.refresh_from_db()
    local = timezone.localtime(moment)
    assert local.weekday() == 5
    assert group.turn_due == workflow_rules.add_working_days(local, rules.DEFAULT_TURN_DAYS)
    assert timezone.localtime(group.turn_due).weekday() == 0 and timezone.localtime(group.turn_due).hour == 0
