"""Batch operations (批量业务): one record for many students, reviewed once for the whole
batch, applied set-based in chunks — resumable, never applying a student twice — with
its own audit entries and pages. A test kind stands in for graduation and promotion."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.students.models import Student
from xueji.workflow import batches, registry, selectors
from xueji.workflow.models import BatchMember, BatchOperation, BatchStatus

from .conftest import make_student

APPLIED: list[int] = []


def _select(scope, criteria):
    students = Student.objects.filter(status="10")
    if hasattr(scope, "supervisor"):
        students = students.filter(school=scope)
    else:
        students = students.filter(school__supervisor__prefix__startswith=scope.prefix)
    if criteria.get("names"):
        students = students.filter(name__in=criteria["names"])
    return students.values_list("pk", flat=True)


def _apply(batch, student_ids, user):
    if batch.criteria.get("crash_at") in student_ids:
        raise RuntimeError("断电")
    failures = {pk: "该学生不符合条件" for pk in Student.objects.filter(pk__in=student_ids, name__startswith="失败")
                .values_list("pk", flat=True)}
    done = [pk for pk in student_ids if pk not in failures]
    Student.objects.filter(pk__in=done).update(speciality="批量办理")
    APPLIED.extend(done)
    return failures


def _check(scope, criteria):
    return ["选择条件不正确"] if criteria.get("names") == [] else []


@pytest.fixture(autouse=True)
def test_kind():
    APPLIED.clear()
    saved = dict(registry._BATCH_KINDS)
    registry.register_batch_kind("test_mark", "测试批量办理", select=_select, apply=_apply, check=_check,
                                 review_levels=("supervisor",), chunk_size=3,
                                 describe=lambda c: [("学生姓名", "、".join(c.get("names", [])) or "全部")])
    registry.register_batch_kind("test_unreviewed", "测试无需审核", select=_select, apply=_apply)
    registry.register_batch_kind("test_county", "测试区县批量", select=_select, apply=_apply,
                                 review_levels=("school", "supervisor", "city"))
    yield
    registry._BATCH_KINDS.clear()
    registry._BATCH_KINDS.update(saved)


def _students(world, count, school=None, prefix="学生"):
    return [make_student(school or world.th_school, name=f"{prefix}{i}") for i in range(count)]


def _batch(world, kind="test_mark", **extra):
    extra.setdefault("school", world.th_school)
    return batches.create_batch(kind=kind, initiator=world.users.school_registrar, summary="2026届毕业", **extra)


def test_create_review_apply_in_chunks(world):
    u = world.users
    students = _students(world, 7) + _students(world, 1, prefix="失败")
    _students(world, 2, school=world.hz_school)  # another school's: not in the batch
    batch = _batch(world)
    assert batch.status == BatchStatus.REVIEWING and batch.total == 8
    assert [(s["level"], s["unit"]) for s in batch.chain] == [("supervisor", "天河区教育局")]
    assert set(batch.members.values_list("student_id", flat=True)) == {s.pk for s in students}
    assert list(selectors.batch_queue_for(u.th_registrar)) == [batch]
    assert not selectors.batch_queue_for(u.school_leader).exists()
    with pytest.raises(ValidationError, match="未审核通过"):
        batches.apply_batch(batch, u.school_registrar)
    for other in (u.school_leader, u.gz_registrar, u.hz_registrar, u.th_admin):
        with pytest.raises(PermissionDenied):
            batches.decide_batch(batch, other, True)
    with pytest.raises(ValidationError, match="审核意见"):
        batches.decide_batch(batch, u.th_registrar, False, " ")
    batches.decide_batch(batch, u.th_registrar, True, "同意毕业")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED and batch.current_authority_id is None
    assert batch.decisions.get().reviewer_name == u.th_registrar.real_name

    seen = []
    batches.apply_batch(batch, u.school_registrar, max_chunks=1, progress=lambda done, total: seen.append(done))
    assert batch.status == BatchStatus.APPLYING and batch.succeeded == 3 and seen == [3]
    batches.apply_batch(batch, u.school_registrar, progress=lambda done, total: seen.append((done, total)))
    assert batch.status == BatchStatus.DONE and (batch.succeeded, batch.failed) == (7, 1)
    assert seen[-1] == (8, 8) and batch.finished_at and batch.started_at
    # the chunk of the last two (fewer than a chunk) ends the batch itself: no empty chunk after it
    assert seen == [3, (6, 8), (8, 8)]
    assert BatchOperation.objects.get(pk=batch.pk).status == BatchStatus.DONE
    assert sorted(APPLIED) == sorted(s.pk for s in students[:7])
    assert Student.objects.filter(speciality="批量办理").count() == 7
    failure = BatchMember.objects.get(outcome="failed")
    assert failure.student_id == students[7].pk and failure.message == "该学生不符合条件"
    # once more: nothing is done twice
    batches.apply_batch(batch, u.school_registrar)
    assert len(APPLIED) == 7
    actions = list(AuditEntry.objects.filter(action__startswith="workflow.batch_").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["workflow.batch_created", "workflow.batch_reviewed", "workflow.batch_applied",
                       "workflow.batch_applied", "workflow.batch_applied", "workflow.batch_finished"]


def test_a_waiting_batch_counts_as_a_to_do_of_its_reviewer(world):
    _students(world, 2)
    _batch(world)
    assert selectors.pending_review_count(world.users.th_registrar) == 1
    assert selectors.pending_review_count(world.users.gz_registrar) == 0
    assert selectors.pending_review_count(world.users.school_registrar) == 0


def test_a_crash_mid_run_resumes_without_doing_anything_twice(world):
    students = _students(world, 8)
    batch = batches.create_batch(kind="test_unreviewed", initiator=world.users.school_registrar, summary="升级",
                                 school=world.th_school, criteria={"crash_at": students[4].pk})
    assert batch.status == BatchStatus.APPROVED and batch.chain == []
    with pytest.raises(RuntimeError):
        batches.apply_batch(batch, None, chunk_size=2)
    batch.refresh_from_db()
    assert batch.succeeded == 4 and batch.status == BatchStatus.APPLYING  # chunks 1 and 2 stayed
    assert BatchMember.objects.filter(outcome="pending").count() == 4
    BatchOperation.objects.filter(pk=batch.pk).update(criteria={})  # the cause is mended
    batches.apply_batch(batch, None, chunk_size=2)
    assert batch.status == BatchStatus.DONE and batch.succeeded == 8
    assert sorted(APPLIED) == sorted(s.pk for s in students)  # each student exactly once


def test_rejection_and_cancellation(world):
    u = world.users
    _students(world, 2)
    rejected = _batch(world)
    batches.decide_batch(rejected, u.th_registrar, False, "名单有误")
    rejected.refresh_from_db()
    assert rejected.status == BatchStatus.REJECTED and rejected.close_note == "名单有误"
    with pytest.raises(ValidationError):
        batches.apply_batch(rejected, u.school_registrar)
    with pytest.raises(ValidationError, match="不在审核中"):
        batches.decide_batch(rejected, u.th_registrar, True)
    cancelled = _batch(world)
    with pytest.raises(PermissionDenied):
        batches.cancel_batch(cancelled, u.hz_school_registrar)
    batches.cancel_batch(cancelled, u.school_registrar)
    assert cancelled.status == BatchStatus.CANCELLED
    with pytest.raises(ValidationError, match="不能撤销"):
        batches.cancel_batch(cancelled, u.school_registrar)
    assert not APPLIED


def test_an_authoritys_batch_is_reviewed_above_it(world):
    _students(world, 2)
    _students(world, 1, school=world.hz_school)
    batch = batches.create_batch(kind="test_county", initiator=world.users.th_registrar, summary="天河区毕业",
                                 authority=world.tree.tianhe)
    assert batch.total == 2  # its own schools only
    assert [(s["level"], s["unit"]) for s in batch.chain] == [("city", "广州市教育局")]
    assert list(selectors.batch_queue_for(world.users.gz_registrar)) == [batch]
    batches.decide_batch(batch, world.users.gz_registrar, True)
    batches.apply_batch(batch, world.users.th_registrar)
    assert batch.status == BatchStatus.DONE and batch.succeeded == 2


@pytest.mark.parametrize(("extra", "message"), [
    ({"kind": "nonsense"}, "未知的批量业务类型"),
    ({"school": None}, "须属于一所学校或一个教育行政部门"),
    ({"authority": "tianhe"}, "须属于一所学校或一个教育行政部门"),
    ({"summary": "  "}, "请填写批量业务摘要"),
    ({"criteria": {"names": []}}, "选择条件不正确"),
    ({"criteria": {"names": ["没有这个人"]}}, "没有符合条件的学生"),
])
def test_bad_batches_are_refused(world, extra, message):
    _students(world, 1)
    args = {"kind": "test_mark", "initiator": world.users.school_registrar, "summary": "毕业",
            "school": world.th_school, **extra}
    if args.get("authority") == "tianhe":
        args["authority"] = world.tree.tianhe
    with pytest.raises(ValidationError, match=message):
        batches.create_batch(**args)
    assert not BatchOperation.objects.exists()


def test_only_the_units_registrar_starts_a_batch(world):
    _students(world, 1)
    for user in (world.users.school_leader, world.users.hz_school_registrar, world.users.class_teacher):
        with pytest.raises(PermissionDenied):
            batches.create_batch(kind="test_mark", initiator=user, summary="毕业", school=world.th_school)
    with pytest.raises(PermissionDenied):
        batches.create_batch(kind="test_mark", initiator=world.users.hz_registrar, summary="毕业",
                             authority=world.tree.tianhe)


def test_kind_declarations_are_checked():
    with pytest.raises(ValueError):
        registry.register_batch_kind("毕业", "毕业", select=_select, apply=_apply)
    with pytest.raises(ValueError):
        registry.register_batch_kind("x", "x", select=_select, apply=_apply, review_levels=("county",))
    with pytest.raises(ValueError):
        registry.register_batch_kind("x", "x", select=_select, apply=_apply, chunk_size=0)
    assert registry.batch_kind_name("nothing") == "批量业务"


# --- pages -------------------------------------------------------------------------------------
def test_batch_pages_for_every_role(client, world):
    u = world.users
    _students(world, 4)
    batch = _batch(world)
    url = reverse("workflow:batch_detail", args=[batch.pk])
    for user in (u.school_registrar, u.school_leader, u.th_registrar, u.th_admin, u.gz_registrar, u.gd_admin,
                 u.moe_registrar):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200, user.username
        text = page.content.decode()
        assert "测试批量办理" in text and "共 4 人" in text and "待审核" in text
        assert ('data-testid="batch-decide-form"' in text) == (user == u.th_registrar)
    for user in (u.hz_registrar, u.hz_school_registrar, u.gx_admin, u.class_teacher, u.data_checker, u.parent):
        client.force_login(user)
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(url).status_code == 404, user.username
        assert client.post(reverse("workflow:batch_decide", args=[batch.pk]), {"decision": "pass"}).status_code == 404
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 2
    client.force_login(u.th_registrar)
    assert client.get("/workflow/batches/abc/").status_code == 404
    queue = client.get(reverse("workflow:queue")).content.decode()
    assert "待审核的批量业务" in queue and "2026届毕业" in queue
    client.force_login(u.school_leader)
    assert client.post(reverse("workflow:batch_decide", args=[batch.pk]), {"decision": "pass"}).status_code == 403
    client.force_login(u.th_registrar)
    response = client.post(reverse("workflow:batch_decide", args=[batch.pk]), {"decision": "fail", "opinion": ""})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEWING
    client.post(reverse("workflow:batch_decide", args=[batch.pk]), {"decision": "pass"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    assert "待执行" in client.get(url).content.decode()
