"""The registration, student and review API (F-84): uploads through the page's services,
students scoped and masked like the pages (F-11, F-16), decisions through the workflow
engine; refusals audited."""

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from xueji.audit.models import AuditEntry
from xueji.common.masking import mask_id_number
from xueji.registration import services
from xueji.registration.models import Registration, Upload, UploadStatus
from xueji.registration.testing import workbook_bytes
from xueji.testing import api_client as _client
from xueji.workflow.models import Business

UPLOADS = "/api/v1/registration/uploads/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, content: bytes, name="新生.xlsx", entry="primary-resident"):
    return client.post(UPLOADS, {"entry": entry, "file": SimpleUploadedFile(name, content, XLSX)}, format="multipart")


def _register(reg, rows, school=None, user=None):
    outcome = services.register_rows(school or reg.world.th_school, "primary-resident",
                                     user or reg.users.school_registrar, list(enumerate(rows, start=2)))
    assert not outcome.failed, outcome.failed
    return outcome.passed


def _fresh(registrations):
    return list(Registration.objects.filter(pk__in=[r.pk for r in registrations]).select_related("business"))


def _complete(reg, rows):
    """Registrations through school review → 上报 → the county: records."""
    u = reg.users
    pending = _register(reg, rows)
    services.school_review(pending, u.school_leader, True, "")
    services.report(_fresh(pending), u.school_registrar)
    services.authority_review(_fresh(pending), u.th_registrar, True, "")
    return [r.student for r in Registration.objects.filter(pk__in=[r.pk for r in pending]).select_related("student")]


def _denied():
    return AuditEntry.objects.filter(action="scope.denied").count()


# --- uploads ---------------------------------------------------------------------------------

def test_upload_a_workbook_and_read_its_errors(reg):
    good, bad = reg.row(1), reg.row(2, 出生日期="20150230", 成员1姓名="x1")
    client = _client(reg.users.school_registrar)
    response = _upload(client, workbook_bytes("primary-resident", [good, bad]))
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert response["Location"] == f"/api/v1/jobs/{accepted['job']['id']}/"
    assert accepted["status_url"].endswith(response["Location"])
    job = client.get(response["Location"]).json()  # the immediate backend of the tests: done already
    assert job["finished"] and job["status"] == "done" and job["result"]["upload"] == accepted["id"]
    assert job["kind"] == "registration.import" and job["done"] == job["total"] == 2
    body = client.get(f"{UPLOADS}{accepted['id']}/").json()
    assert body["entry"] == "primary-resident" and body["status"] == "done" and body["filename"] == "新生.xlsx"
    assert (body["total_rows"], body["passed_rows"], body["failed_rows"]) == (2, 1, 1)
    assert body["uploaded_at"] and body["finished_at"]
    assert Registration.objects.get(upload_id=body["id"]).name == good["姓名"]

    errors = client.get(f"{UPLOADS}{body['id']}/errors/").json()
    assert errors["count"] == 1
    (row,) = errors["results"]
    assert row["row"] == 3 and row["name"] == bad["姓名"]
    assert row["id_number"] == mask_id_number(bad["身份证件号"]) != bad["身份证件号"]
    assert any("出生日期" in m for m in row["messages"]) and any("成员1姓名" in m for m in row["messages"])

    assert [u["id"] for u in client.get(UPLOADS).json()["results"]] == [body["id"]]
    assert client.get(f"{UPLOADS}{body['id']}/").json()["passed_rows"] == 1
    # the county sees its schools' uploads; a school leader of the school too
    assert client.get(f"{UPLOADS}?school=3440106001").json()["count"] == 1
    assert _client(reg.users.th_registrar).get(UPLOADS).json()["count"] == 1
    assert _client(reg.users.school_leader).get(f"{UPLOADS}{body['id']}/").status_code == 200


def test_bad_files_and_bad_entries(reg):
    client = _client(reg.users.school_registrar)
    response = _upload(client, b"this is not a workbook", name="改名.xlsx")
    assert response.status_code == 202, response.content
    body = client.get(f"{UPLOADS}{response.json()['id']}/").json()
    assert body["status"] == UploadStatus.FAILED and "Excel" in body["message"]
    assert Upload.objects.get(pk=body["id"]).status == UploadStatus.FAILED

    response = _upload(client, b"a,b", name="名单.csv")
    assert response.status_code == 400 and "file" in response.json()
    for entry in ("primary-no-id", "nonsense", ""):
        response = _upload(client, b"x", entry=entry)
        assert response.status_code == 400 and "entry" in response.json(), entry
    assert Upload.objects.count() == 1


def test_only_a_school_registrar_uploads(reg):
    content = b"x"
    for user in (reg.users.school_leader, reg.users.th_registrar, reg.users.class_teacher, reg.users.parent):
        assert _upload(_client(user), content).status_code == 403, user.username
    assert not Upload.objects.exists()
    assert APIClient().post(UPLOADS, {"entry": "primary-resident"}).status_code == 401


def test_another_schools_upload_is_404_and_audited(reg):
    theirs = services.start_upload(reg.world.hz_school, "primary-resident", reg.users.hz_school_registrar,
                                   SimpleUploadedFile("海珠.xlsx", b"x"))
    for user in (reg.users.school_registrar, reg.users.th_registrar):
        client = _client(user)
        before = _denied()
        assert client.get(f"{UPLOADS}{theirs.pk}/").status_code == 404
        assert client.get(f"{UPLOADS}{theirs.pk}/errors/").status_code == 404
        assert _denied() == before + 2
        assert client.get(UPLOADS).json()["count"] == 0
    assert _client(reg.users.school_registrar).get(f"{UPLOADS}?school=3440105001").status_code == 403
    assert _client(reg.users.gz_registrar).get(f"{UPLOADS}{theirs.pk}/").status_code == 200


# --- students ----------------------------------------------------------------------------------

def test_students_scope_masking_detail_and_sync(reg):
    row = reg.row(3)
    (student,) = _complete(reg, [row])
    u = reg.users
    expected = {
        u.school_registrar: 1, u.school_leader: 1, u.th_registrar: 1, u.gz_registrar: 1, u.moe_registrar: 1,
        u.hz_school_registrar: 0, u.hz_registrar: 0, u.class_teacher: 0, u.parent: 0,
    }
    for user, count in expected.items():
        response = _client(user).get("/api/v1/students/")
        assert response.status_code == 200 and response.json()["count"] == count, user.username

    client = _client(u.th_registrar)
    (item,) = client.get("/api/v1/students/").json()["results"]
    assert item["national_number"] == student.national_number == "G" + row["身份证件号"]
    assert item["id_number"] == mask_id_number(row["身份证件号"]) != row["身份证件号"]
    assert (item["school_code"], item["class_code"], item["status"]) == ("3440106001", reg.class1.code, "10")
    assert item["grade_name"] == reg.class1.grade.name and item["gender"] == row["性别"]
    assert item["birth_date"] == str(student.birth_date) and item["updated_at"]

    # the opened record: the ID in full, the family, an audit entry
    response = client.get(f"/api/v1/students/{student.national_number}/")
    assert response.status_code == 200
    detail = response.json()
    assert detail["id_number"] == row["身份证件号"]
    assert [m["name"] for m in detail["family"]] == [row["成员1姓名"]]
    read = AuditEntry.objects.filter(action="api.student_read").latest("id")
    assert read.actor_username == "th_registrar" and student.national_number in read.summary

    before = _denied()
    assert _client(u.hz_registrar).get(f"/api/v1/students/{student.national_number}/").status_code == 404
    assert _client(u.hz_school_registrar).get(f"/api/v1/students/{student.national_number}/").status_code == 404
    assert _denied() == before + 2

    def count(query):
        response = client.get(f"/api/v1/students/?{query}")
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count("updated_since=2999-01-01T00:00:00Z") == 0
    assert count("updated_since=2000-01-01T00:00:00%2B08:00") == 1
    assert count("updated_since=2000-01-01") == 1
    assert count("status=10") == 1 and count("status=20") == 0
    assert count("school=3440106001") == 1
    assert client.get("/api/v1/students/?updated_since=yesterday").status_code == 400
    assert client.get("/api/v1/students/?status=xx").status_code == 400
    before = _denied()
    assert client.get("/api/v1/students/?school=3440105001").status_code == 403
    assert _client(u.school_registrar).get("/api/v1/students/?school=3440106002").status_code == 403
    assert _denied() == before + 2


# --- reviews -----------------------------------------------------------------------------------

def _decide(client, pk, passed, opinion=""):
    return client.post(f"/api/v1/reviews/{pk}/decision/", {"passed": passed, "opinion": opinion}, format="json")


def test_review_queue_and_decisions(reg):
    u = reg.users
    rows = [reg.row(4), reg.row(5)]
    first, second = _register(reg, rows)
    leader, county = _client(u.school_leader), _client(u.th_registrar)

    queue = leader.get("/api/v1/reviews/").json()
    assert queue["count"] == 2
    item = queue["results"][0]
    assert item["id"] == first.business_id and item["kind"] == "reg_primary_resident" and item["kind_name"]
    assert (item["school_code"], item["current_level"]) == ("3440106001", "school")
    assert item["registration"]["dedup_status"] == "passed" and item["registration"]["verify_status"] == "passed"
    assert item["registration"]["similar"] == [] and item["registration"]["id"] == first.pk
    assert rows[0]["身份证件号"] not in str(queue) and rows[0]["姓名"] in item["summary"]
    # the content as labelled rows (masked), the chain with Chinese names
    content = {(r["section"], r["label"]): r["text"] for r in item["content"]}
    assert content[("学生信息", "姓名")] == rows[0]["姓名"] and content[("学生信息", "性别")] in ("1-男", "2-女")
    assert content[("学生信息", "身份证件号")] == rows[0]["身份证件号"][:4] + "**********" + rows[0]["身份证件号"][-4:]
    assert content[("家庭成员1", "关系")] == "1-父亲" and "班级" not in {r["label"] for r in item["content"]}
    assert [(s["level_name"], s["unit"], s["party"]) for s in item["chain"]] == [
        ("学校", "天河测试小学", ""), ("主管教育局", "天河区教育局", "")]
    assert item["current_party"] == ""
    assert county.get("/api/v1/reviews/").json()["count"] == 0  # not reported yet
    assert _client(u.school_registrar).get("/api/v1/reviews/").status_code == 403

    response = _decide(leader, first.business_id, False)
    assert response.status_code == 400 and response.json()["messages"] == ["审核不通过时必须填写审核意见"]
    response = _decide(leader, first.business_id, True)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open" and response.json()["hold"] == "report_pending"
    assert _decide(leader, first.business_id, True).status_code == 403  # no longer its step

    services.report(_fresh([first]), u.school_registrar)
    (waiting,) = county.get("/api/v1/reviews/").json()["results"]
    assert waiting["id"] == first.business_id and waiting["current_level"] != "school"
    assert _decide(_client(u.gz_registrar), first.business_id, True).status_code == 403  # in scope, not its step
    response = _decide(county, first.business_id, True)
    assert response.status_code == 200 and response.json()["status"] == "passed"
    assert Registration.objects.get(pk=first.pk).student is not None

    # a business of another county: 404 and audited
    (theirs,) = _register(reg, [reg.row(6, klass=reg.hz_class)], school=reg.world.hz_school,
                          user=u.hz_school_registrar)
    before = _denied()
    assert _decide(county, theirs.business_id, True).status_code == 404
    assert _decide(leader, theirs.business_id, True).status_code == 404
    assert _denied() == before + 2
    assert Business.objects.get(pk=theirs.business_id).decisions.count() == 0
    assert county.get("/api/v1/reviews/?school=3440105001").status_code == 403


def test_batch_decisions(reg):
    u = reg.users
    regs = _register(reg, [reg.row(7), reg.row(8), reg.row(9)])
    (theirs,) = _register(reg, [reg.row(10, klass=reg.hz_class)], school=reg.world.hz_school,
                          user=u.hz_school_registrar)
    leader = _client(u.school_leader)
    ids = [r.business_id for r in regs]

    url = "/api/v1/reviews/decisions/"
    response = leader.post(url, {"ids": ids, "passed": False}, format="json")
    assert response.status_code == 400 and response.json()["messages"]
    assert leader.post(url, {"ids": [], "passed": True}, format="json").status_code == 400

    assert _decide(leader, ids[0], True).status_code == 200
    before = _denied()
    response = leader.post(url, {"ids": [*ids, theirs.business_id, 987654], "passed": False,
                                 "opinion": "信息有误"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decided"] == ids[1:]
    skipped = dict(body["skipped"])
    assert set(skipped) == {ids[0], theirs.business_id, 987654}
    assert "数据范围" in skipped[theirs.business_id] and "数据范围" in skipped[987654]
    assert _denied() == before + 1
    assert set(Business.objects.filter(pk__in=ids[1:]).values_list("status", flat=True)) == {"failed"}
    assert Business.objects.get(pk=theirs.business_id).status == "open"


def test_schema_documents_the_new_endpoints(client, db):
    body = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/registration/uploads/", "/api/v1/registration/uploads/{id}/errors/",
                 "/api/v1/students/{national_number}/", "/api/v1/reviews/{id}/decision/",
                 "/api/v1/reviews/decisions/"):
        assert path in body, path
    assert "multipart/form-data" in body and "updated_since" in body


def test_status_class_and_school_changes_reach_the_sync_with_the_history(reg):
    """Issue 8 §11: a record's status, class and school changes move its change time (the
    incremental sync finds it again) and its history is readable, in scope only."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from xueji.org.models import SchoolClass
    from xueji.students import services as writer

    (student,) = _complete(reg, [reg.row(4)])
    u = reg.users
    client = _client(u.th_registrar)
    mark = timezone.now()
    since = "updated_since=" + mark.isoformat().replace("+", "%2B")
    assert client.get(f"/api/v1/students/?{since}").json()["count"] == 0
    other = SchoolClass.objects.create(school=reg.class1.school, grade=reg.class1.grade,
                                       code=reg.class1.code[:-1] + "9", name="9班")
    with transaction.atomic():
        writer.move_students([student.pk], klass=other)
        writer.change_status([student.pk], "11", reason="因病休学", date=dt.date.today(), actor=u.school_registrar)
    (item,) = client.get(f"/api/v1/students/?{since}").json()["results"]
    assert (item["class_code"], item["status"]) == (other.code, "11")

    response = client.get(f"/api/v1/students/{student.national_number}/history/")
    assert response.status_code == 200, response.content
    rows = response.json()
    kinds = [r["kind"] for r in rows]
    assert kinds == ["状态变更", "分班", "注册"], kinds
    assert {"item": "学籍状态", "before": "10-在校", "after": "11-休学"} in rows[0]["changes"]
    assert rows[0]["reason"] == "因病休学"
    assert any(other.code in c["after"] for c in rows[1]["changes"]), rows[1]
    assert all(isinstance(r["at"], str) and len(r["at"]) == 16 for r in rows)

    before = _denied()
    for outsider in (u.hz_registrar, u.hz_school_registrar):
        assert _client(outsider).get(f"/api/v1/students/{student.national_number}/history/").status_code == 404
    assert _denied() == before + 2
    assert client.get("/api/v1/students/abc/history/").status_code == 404
    body = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/students/{national_number}/history/" in body
