"""Businesses with several parties (转学): the chain passes through the receiving school,
its authority, the sending school and its authority — across two counties, across two
provinces, inside one county (the county once). Each party sees it in its queue, decides
its own step and may open it; a third school gets 404 and an audit entry."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.workflow import selectors, services
from xueji.workflow.models import Business, BusinessParty

from .conftest import make_student


def _transfer(world, student, kind="transfer_in_province", **extra):
    extra.setdefault("payload", {"reason": "随父母"})
    return services.initiate(kind=kind, school=world.th_school, applicant=world.users.school_registrar,
                             student=student, stage="1", summary=f"{student.name}转入", **extra)


def _steps(business):
    return [(s["party"], s["level"], s["unit"]) for s in business.chain]


def _visible(user, business) -> bool:
    return selectors.businesses_for(user).filter(pk=business.pk).exists()


def _in_queue(user, business) -> bool:
    return selectors.queue_for(user).filter(pk=business.pk).exists()


def test_transfer_across_two_counties(world, parties, transfers):
    u, p = world.users, parties
    student = make_student(world.hz_school, name="转学生")
    business = _transfer(world, student)
    assert _steps(business) == [
        ("receiving", "school", "天河测试小学"), ("receiving", "supervisor", "天河区教育局"),
        ("sending", "school", "海珠测试小学"), ("sending", "supervisor", "海珠区教育局"),
    ]
    assert set(BusinessParty.objects.filter(business=business).values_list("role", "school_id")) == {
        ("receiving", world.th_school.pk), ("sending", world.hz_school.pk)}
    order = [(u.school_leader, "receiving"), (u.th_registrar, "receiving"), (p.hz_leader, "sending"),
             (u.hz_registrar, "sending")]
    everyone = [who for who, _ in order] + [u.school_registrar, u.hz_school_registrar, u.gz_registrar,
                                            u.gd_registrar, u.moe_registrar, u.gd_admin]
    for position, (reviewer, party) in enumerate(order):
        business.refresh_from_db()
        assert business.position == position and business.current_step["party"] == party
        # only this step's reviewer has it in the queue, and only they may decide it
        assert [who.username for who in everyone if _in_queue(who, business)] == [reviewer.username]
        for other, _ in order:
            if other is not reviewer:
                with pytest.raises(PermissionDenied):
                    services.decide(business, other, True)
        # every party's users and authorities may open it; nobody else
        assert all(_visible(who, business) for who in everyone)
        for outsider in (p.third_registrar, p.third_leader, p.futian_registrar, p.gx_registrar, p.xn_registrar,
                         u.class_teacher, u.parent, p.th_middle_leader):
            assert not _visible(outsider, business), outsider.username
        services.decide(business, reviewer, True, "同意")
    business.refresh_from_db()
    assert business.status == "passed" and transfers.completed == [business.pk]
    assert [a[0] for a in transfers.arguments] == ["advance", "advance", "advance", "complete"]
    decision = business.decisions.get(position=3)
    assert transfers.arguments[-1] == ("complete", business.pk, decision.pk, u.hz_registrar.pk)
    assert [d.unit_name for d in business.decisions.order_by("position")] == [
        "天河测试小学", "天河区教育局", "海珠测试小学", "海珠区教育局"]


def test_transfer_across_two_provinces(world, parties, transfers):
    u, p = world.users, parties
    student = make_student(world.gx_school, name="跨省生")
    business = _transfer(world, student, kind="transfer_cross_province")
    assert _steps(business) == [
        ("receiving", "school", "天河测试小学"), ("receiving", "supervisor", "天河区教育局"),
        ("sending", "school", "兴宁测试小学"), ("sending", "supervisor", "兴宁区教育局"),
    ]
    for reviewer in (u.school_leader, u.th_registrar, p.gx_leader, p.xn_registrar):
        assert _in_queue(reviewer, business)
        for who in (u.gd_registrar, p.gx_registrar, p.nn_registrar, u.school_registrar):
            assert _visible(who, business)
        for outsider in (u.hz_school_registrar, u.hz_registrar, p.third_registrar, p.futian_registrar):
            assert not _visible(outsider, business)
        services.decide(business, reviewer, True)
    business.refresh_from_db()
    assert business.status == "passed" and transfers.completed == [business.pk]


def test_each_side_follows_its_own_schools_configuration(world, parties, transfers):
    u = world.users
    services.load_default_configs()
    # 海珠 sends up to the city (省内转学(转出) configured for 海珠区); 天河 receives as by default
    services.save_config(u.gd_registrar, business_type="transfer_in_province_out", category="1", stage="1",
                         scope=world.tree.haizhu, levels=["school", "supervisor", "city"])
    business = _transfer(world, make_student(world.hz_school))
    assert [(s["party"], s["unit"]) for s in business.chain] == [
        ("receiving", "天河测试小学"), ("receiving", "天河区教育局"), ("sending", "海珠测试小学"),
        ("sending", "海珠区教育局"), ("sending", "广州市教育局")]
    # the receiving side's configuration of the 转出 type does not touch it
    services.save_config(u.gd_registrar, business_type="transfer_in_province_out", category="1", stage="1",
                         scope=world.tree.tianhe, levels=["supervisor"])
    services.withdraw(business, u.school_registrar)
    again = _transfer(world, make_student(world.hz_school))
    assert len(again.chain) == 5


def test_transfer_inside_one_county_asks_the_county_once_after_both_schools(world, parties, transfers):
    u, p = world.users, parties
    student = make_student(world.th_middle, name="同县生")
    business = _transfer(world, student)
    assert [(s["party"], s["level"], s["unit"], s.get("shared")) for s in business.chain] == [
        ("receiving", "school", "天河测试小学", None), ("sending", "school", "天河测试中学", None),
        ("sending", "supervisor", "天河区教育局", ["receiving", "sending"]),
    ]
    for reviewer in (u.school_leader, p.th_middle_leader, u.th_registrar):
        services.decide(business, reviewer, True)
    business.refresh_from_db()
    assert business.status == "passed" and business.decisions.count() == 3


def test_a_failing_party_ends_the_transfer(world, parties, transfers):
    u, p = world.users, parties
    business = _transfer(world, make_student(world.hz_school))
    services.decide(business, u.school_leader, True)
    services.decide(business, u.th_registrar, True)
    with pytest.raises(ValidationError, match="审核意见"):
        services.decide(business, p.hz_leader, False, "")
    services.decide(business, p.hz_leader, False, "学生仍在本校就读")
    business.refresh_from_db()
    assert business.status == "failed" and transfers.ended == [(business.pk, "failed")]
    ended = [a for a in transfers.arguments if a[0] == "end"][0]
    assert ended[2] == business.decisions.get(position=2).pk and ended[3] == p.hz_leader.pk


def test_withdraw_runs_on_end_without_a_decision(world, transfers):
    business = _transfer(world, make_student(world.hz_school))
    services.withdraw(business, world.users.school_registrar)
    assert transfers.arguments == [("end", business.pk, None, world.users.school_registrar.pk)]


def test_parties_refused(world, parties, transfers):
    u = world.users
    with pytest.raises(ValidationError, match="请指定转出方学校"):
        services.initiate(kind="transfer_in_province", school=world.th_school, applicant=u.school_registrar,
                          stage="1", summary="无学生")
    with pytest.raises(ValidationError, match="不能是同一所学校"):
        _transfer(world, make_student(world.th_school))
    with pytest.raises(ValidationError, match="业务当事方不正确"):
        _transfer(world, make_student(world.hz_school), parties={"witness": world.hz_school})
    with pytest.raises(ValidationError, match="转入方应为发起业务的学校"):
        _transfer(world, make_student(world.hz_school), parties={"receiving": world.hz_school})
    # the sending school may be given (a student whose record is elsewhere)
    given = _transfer(world, make_student(world.th_middle), parties={"sending": world.hz_school})
    assert given.chain[2]["unit"] == "海珠测试小学"
    with pytest.raises(ValidationError, match="须逐项发起"):
        services.initiate_many(kind="transfer_in_province", school=world.th_school, applicant=u.school_registrar,
                               items=[{"stage": "1", "summary": "批量"}])
    assert not Business.objects.exclude(pk=given.pk).exists()


def test_a_type_without_an_effect_cannot_start(world):
    student = make_student(world.th_school)
    for kind in ("dropout", "transfer_cross_province", "transfer_in_province_out"):
        with pytest.raises(ValidationError, match="该业务尚未开放办理"):
            services.initiate(kind=kind, school=world.th_school, applicant=world.users.school_registrar,
                              student=student, stage="1", summary="未开放")
    with pytest.raises(ValidationError, match="该业务尚未开放办理"):
        services.initiate_many(kind="dropout", school=world.th_school, applicant=world.users.school_registrar,
                               items=[{"stage": "1", "summary": "未开放"}])
    assert not Business.objects.exists()


def test_a_payload_that_does_not_fit_is_refused(world, transfers):
    with pytest.raises(ValidationError) as caught:
        _transfer(world, make_student(world.hz_school), payload={"reason": "x", "secret_key": 1})
    assert caught.value.messages == ["业务内容含有未定义的项:secret_key"]
    assert not Business.objects.exists()


# --- pages ---------------------------------------------------------------------------------------
def test_detail_page_of_a_transfer_for_every_role(client, world, parties, transfers):
    u, p = world.users, parties
    business = _transfer(world, make_student(world.hz_school, name="转学生"))
    url = reverse("workflow:business_detail", args=[business.pk])
    allowed = [u.school_registrar, u.school_leader, u.data_checker, u.th_registrar, u.th_admin, u.gz_registrar,
               u.gd_admin, u.moe_registrar, u.hz_school_registrar, p.hz_leader, u.hz_registrar, u.hz_admin]
    for user in allowed:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user.username
        page = response.content.decode()
        assert "转入方学校" in page and "转出方学校" in page and "海珠测试小学" in page
        assert "转入方" in page and "receiving" not in page and "sending" not in page
    for user in (p.third_registrar, p.third_leader, p.futian_registrar, u.class_teacher, u.parent, p.xn_registrar,
                 p.th_middle_leader):
        client.force_login(user)
        before = AuditEntry.objects.filter(action="scope.denied").count()
        assert client.get(url).status_code == 404, user.username
        assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
        assert client.post(reverse("workflow:business_decide", args=[business.pk]),
                           {"decision": "pass"}).status_code == 404
    client.force_login(u.school_registrar)
    assert client.get("/workflow/businesses/abc/").status_code == 404
    assert client.get("/workflow/businesses/-1/").status_code == 404


def test_the_sending_school_decides_from_its_queue(client, world, parties, transfers):
    u, p = world.users, parties
    business = _transfer(world, make_student(world.hz_school, name="转学生"))
    services.decide(business, u.school_leader, True)
    services.decide(business, u.th_registrar, True)
    client.force_login(p.hz_leader)
    queue = client.get(reverse("workflow:queue")).content.decode()
    assert "转学生" in queue and "转出方 学校(海珠测试小学)" in queue
    # the summary lists the applicant school (天河), which the 海珠 leader may filter by
    assert client.get(reverse("workflow:queue") + f"?school={world.th_school.pk}").status_code == 200
    response = client.post(reverse("workflow:queue_decide"), {"mode": "school", "school": world.th_school.pk,
                                                              "decision": "pass"})
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.current_authority_id == world.tree.haizhu.pk
    client.force_login(u.hz_registrar)
    detail = client.get(reverse("workflow:business_detail", args=[business.pk])).content.decode()
    assert 'data-testid="decide-form"' in detail
    client.post(reverse("workflow:business_decide", args=[business.pk]), {"decision": "pass"})
    business.refresh_from_db()
    assert business.status == "passed"


def test_each_party_finds_its_decisions_in_its_own_audit_log(world, parties, transfers):
    """The sending side's decisions go to the sending side's audit scope (another province
    here); the receiving side's stay with the applicant school's."""
    from xueji.audit.selectors import entries_visible_to

    u, p = world.users, parties
    student = make_student(world.gx_school, name="跨省生")
    business = _transfer(world, student, kind="transfer_cross_province")
    for reviewer in (u.school_leader, u.th_registrar, p.gx_leader, p.xn_registrar):
        services.decide(business, reviewer, True)
    decided = AuditEntry.objects.filter(action="workflow.decided", object_id=str(business.pk))
    by_actor = {e.actor_username: e for e in decided}
    assert set(by_actor) == {u.school_leader.username, u.th_registrar.username, p.gx_leader.username,
                             p.xn_registrar.username}
    gx_log = entries_visible_to(u.gd_admin).filter(pk__in=[e.pk for e in decided])
    assert {e.actor_username for e in gx_log} == {u.school_leader.username, u.th_registrar.username}
    nn_admin_view = entries_visible_to(p.xn_registrar).filter(pk__in=[e.pk for e in decided])
    assert {e.actor_username for e in nn_admin_view} == {p.gx_leader.username, p.xn_registrar.username}
    assert by_actor[p.gx_leader.username].school_id == world.gx_school.pk
