"""The review API for the businesses of issue 8 (§11, F-84): 关键数据变更, 学籍异动 and
省内转学 wait in ``/api/v1/reviews/`` for the reviewer at their step only, show their
content as labelled Chinese rows with masked ID numbers, and are decided through
``/decision/``; the effect shows in the record and its history. Refusals are audited."""

from __future__ import annotations

import json
import re

from django.utils import timezone

from xueji.audit.models import AuditEntry
from xueji.changes import key_changes as K
from xueji.changes import status_changes as S
from xueji.changes import transfer_services as T
from xueji.changes.tests.conftest import make_student, png_file
from xueji.org.models import Grade
from xueji.registration.testing import resident_id
from xueji.students import verification
from xueji.students.models import Student
from xueji.testing import api_client as _client
from xueji.workflow.models import Business

REVIEWS = "/api/v1/reviews/"


def _denied():
    return AuditEntry.objects.filter(action="scope.denied").count()


def _decide(client, pk, passed=True, opinion="同意"):
    return client.post(f"{REVIEWS}{pk}/decision/", {"passed": passed, "opinion": opinion}, format="json")


def _queue(client, query=""):
    response = client.get(f"{REVIEWS}{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _ids(client, query=""):
    return [item["id"] for item in _queue(client, query)]


def _no_full_id(body, *ids: str):
    """No ID number in the JSON, except inside a 学籍号 (G + the ID: the record's own number,
    shown in every list)."""
    text = json.dumps(body, ensure_ascii=False)
    text = re.sub(r"G\d{17}[\dX]", "G…", text)
    for number in ids:
        assert number not in text, number
    assert not re.search(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", text), text


def _content(item) -> dict:
    rows = item["content"]
    assert all(isinstance(r["text"], str) and not r["text"].startswith("{") for r in rows), rows
    return {r["label"]: r["text"] for r in rows}


def _history_kinds(client, student):
    response = client.get(f"/api/v1/students/{student.national_number}/history/")
    assert response.status_code == 200, response.content
    return response.json()


# --- 关键数据变更 --------------------------------------------------------------------------------

def test_a_key_change_reviewed_and_decided_through_the_api(place):
    u = place.users
    s = place.pupil()
    old_name, new_number = s.name, resident_id("440106", s.birth_date, 400, s.gender)
    business = K.request_key_change(s, u.school_registrar, {"id_number": new_number}, proof=png_file(),
                                    reason="户籍证件号更正")
    leader, county = _client(u.school_leader), _client(u.th_registrar)

    (item,) = _queue(leader)
    assert item["id"] == business.pk and item["kind"] == "key_change" and item["kind_name"] == "关键数据变更"
    assert item["national_number"] == s.national_number and item["registration"] is None
    assert (item["current_level"], item["current_level_name"], item["hold"]) == ("school", "学校(天河测试小学)", "")
    content = _content(item)
    assert "→" in content["身份证件号"] and "*" in content["身份证件号"]
    assert all(re.search(r"[\u4e00-\u9fff]", r["label"]) and not re.search(r"[A-Za-z_]", r["label"])
               for r in item["content"]), item["content"]
    _no_full_id(item, new_number, s.id_number)
    # nobody else's queue; the kind filter
    assert _ids(county) == []
    assert _ids(_client(place.hz_leader)) == []
    assert _ids(leader, "?kind=key_change") == [business.pk]
    assert _ids(leader, "?kind=suspend") == [] and _ids(leader, "?kind=nonsense") == []

    # not its step, another county's business, not an id at all
    assert _decide(county, business.pk).status_code == 403
    before = _denied()
    assert _decide(_client(place.hz_leader), business.pk).status_code == 404
    assert _decide(_client(u.hz_registrar), business.pk).status_code == 404
    assert _denied() == before + 2
    assert _client(u.th_registrar).post(f"{REVIEWS}abc/decision/", {"passed": True}, format="json").status_code == 404
    assert Business.objects.get(pk=business.pk).decisions.count() == 0

    assert _decide(leader, business.pk).status_code == 200
    assert _ids(leader) == []
    (item,) = _queue(county)
    assert item["id"] == business.pk and item["current_level"] == "supervisor"
    response = _decide(county, business.pk)
    assert response.status_code == 200 and response.json()["status"] == "passed"
    s = Student.objects.get(pk=s.pk)
    assert s.id_number == new_number and s.name == old_name
    history = _history_kinds(county, s)
    assert any("身份证件号" in c["item"] for c in history[0]["changes"]), history[0]
    _no_full_id(history, new_number)


def test_a_name_change_shows_in_the_history_and_a_held_one_cannot_be_decided(place, monkeypatch):
    u = place.users
    s = place.pupil()
    old_name = s.name
    business = K.request_key_change(s, u.school_registrar, {"name": "李明"}, proof=png_file(), reason="户籍更名")
    leader, county = _client(u.school_leader), _client(u.th_registrar)
    (item,) = _queue(leader, "?kind=key_change")
    assert _content(item)["姓名"] == f"{old_name} → 李明"
    for reviewer in (leader, county):
        assert _decide(reviewer, business.pk).status_code == 200
    assert Student.objects.get(pk=s.pk).name == "李明"
    (latest, *_) = _history_kinds(county, s)
    assert {"item": "姓名", "before": old_name, "after": "李明"} in latest["changes"], latest

    # an ID change waiting for 查重认证: listed with its hold, refused with 400
    other = place.pupil()
    monkeypatch.setattr(verification, "_verifier", lambda people: None)
    held = K.request_key_change(other, u.school_registrar,
                                {"id_number": resident_id("440106", other.birth_date, 401, other.gender)},
                                proof=png_file())
    (item,) = _queue(leader)
    assert item["id"] == held.pk and item["hold"] and item["hold_name"] == "待查重认证"
    assert _ids(leader, "?decidable=true") == []
    response = _decide(leader, held.pk)
    assert response.status_code == 400 and "查重认证未完成" in "".join(response.json()["messages"])
    assert Business.objects.get(pk=held.pk).decisions.count() == 0


# --- 学籍异动 --------------------------------------------------------------------------------

def test_a_suspension_reviewed_and_decided_through_the_api(place):
    u = place.users
    s = place.pupil()
    business = S.request_status_change(s, u.school_registrar, "suspend", date=timezone.localdate(),
                                       reason="因病休学", proof=png_file())
    leader, county = _client(u.school_leader), _client(u.th_registrar)
    (item,) = _queue(leader, "?kind=suspend")
    assert item["id"] == business.pk and item["kind_name"] == "休学"
    content = _content(item)
    assert content["异动原因"] == "因病休学" and content["学籍状态"] == "在校 → 休学"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", content["异动日期"])
    _no_full_id(item, s.id_number)
    assert _ids(leader, "?kind=key_change") == [] and _ids(county) == []
    before = _denied()
    assert _decide(_client(place.hz_leader), business.pk).status_code == 404
    assert _denied() == before + 1

    assert _decide(leader, business.pk).status_code == 200
    assert _ids(county, "?kind=suspend") == [business.pk]
    assert _decide(leader, business.pk).status_code == 403  # no longer its step
    assert _decide(county, business.pk).json()["status"] == "passed"
    assert Student.objects.get(pk=s.pk).status == "11"
    (latest, *_) = _history_kinds(county, s)
    assert {"item": "学籍状态", "before": "10-在校", "after": "11-休学"} in latest["changes"], latest


# --- 省内转学 --------------------------------------------------------------------------------

def test_a_transfer_waits_for_each_party_and_moves_the_record(world, people):
    u, p = world.users, people
    student = make_student(p.futian, name="李四")
    grade = Grade.objects.get(school=world.th_school, stage="1", entry_year=2024)
    business = T.apply_transfer(u.school_registrar, national_number=student.national_number, name=student.name,
                                to_grade=grade, reason="随父母工作调动")
    receiving, th_county = _client(u.school_leader), _client(u.th_registrar)
    sending, futian_county = _client(p.futian_leader), _client(p.futian_county)

    (item,) = _queue(receiving, "?kind=transfer_in_province")
    assert item["kind_name"] == "省内转学" and item["school_code"] == world.th_school.code
    content = _content(item)
    assert content["转出学校"] == "福田测试小学" and content["转学理由"] == "随父母工作调动"
    assert "转入年级编号" not in content
    assert [(s["party"], s["unit"]) for s in item["chain"]] == [
        ("转入方", "天河测试小学"), ("转入方", "天河区教育局"), ("转出方", "福田测试小学"), ("转出方", "福田区教育局")]
    _no_full_id(item, student.id_number)
    for client in (th_county, sending, futian_county, _client(p.third_leader)):
        assert _ids(client) == []
    # the sending school's leader is a party: sees it, but may not decide before its step
    assert _decide(sending, business.pk).status_code == 403
    before = _denied()
    assert _decide(_client(p.third_leader), business.pk).status_code == 404
    assert _denied() == before + 1

    assert _decide(receiving, business.pk).status_code == 200
    assert _ids(th_county) == [business.pk]
    assert _decide(th_county, business.pk).status_code == 200
    (item,) = _queue(sending)
    assert item["id"] == business.pk and item["current_party"] == "转出方"
    assert _decide(sending, business.pk).status_code == 200
    assert _ids(futian_county) == [business.pk]
    assert Student.objects.get(pk=student.pk).school_id == p.futian.pk  # nothing moves before the last pass
    assert _decide(futian_county, business.pk).json()["status"] == "passed"
    assert Student.objects.get(pk=student.pk).school_id == world.th_school.pk
    history = _history_kinds(th_county, student)
    assert any("天河测试小学" in c["after"] for row in history for c in row["changes"]), history
    # the sending side's county no longer sees the record
    assert futian_county.get(f"/api/v1/students/{student.national_number}/history/").status_code == 404


# --- 误操作删除 ------------------------------------------------------------------------------

def test_a_mistaken_deletion_is_reviewed_like_the_others(place):
    from xueji.changes import deletion

    u = place.users
    s = place.pupil()
    business = deletion.request_deletion(s, u.school_registrar, reason="重复注册")
    leader, county = _client(u.school_leader), _client(u.th_registrar)
    (item,) = _queue(leader, "?kind=mistaken_delete")
    assert item["id"] == business.pk and item["kind_name"] == "误操作删除"
    content = _content(item)
    assert content["删除原因"] == "重复注册" and content["申请时学籍状态"] == "10-在校"
    _no_full_id(item, s.id_number)
    assert _decide(leader, business.pk).status_code == 200
    assert _decide(county, business.pk).json()["status"] == "passed"
    assert Student.objects.get(pk=s.pk).status == "99"
