"""重复招生 pages: each role opens only its pages (403 otherwise); a duplicate, admission or
evidence out of scope is 404 + audit, a school filter out of scope 403 + audit, bad input
never a 500; the flow 佐证 → 核办 → 仲裁 and 放弃录取 through the pages; ID numbers masked."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xueji.admission.models import State
from xueji.audit.models import AuditEntry
from xueji.dupadmission.models import DuplicateEvidence, EvidenceState

from .test_services import passed

PAGES = ("dupadmission:list", "dupadmission:review_list", "dupadmission:arbitration_list", "dupadmission:query")
ALLOWED = {
    "school_registrar": {"dupadmission:list", "dupadmission:query"},
    "school_leader": {"dupadmission:list", "dupadmission:query"},
    "th_registrar": {"dupadmission:review_list", "dupadmission:arbitration_list", "dupadmission:query"},
    "gd_registrar": {"dupadmission:review_list", "dupadmission:arbitration_list", "dupadmission:query"},
    "moe_registrar": {"dupadmission:review_list", "dupadmission:arbitration_list", "dupadmission:query"},
    "class_teacher": set(), "data_checker": set(), "th_admin": set(), "gd_admin": set(), "parent": set(),
}


def _denied(before: int) -> bool:
    return AuditEntry.objects.filter(action="scope.denied").count() == before + 1


def _count() -> int:
    return AuditEntry.objects.filter(action="scope.denied").count()


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_role_opens_only_its_pages(client, dw, who):
    dw.dup(dw.th1, dw.hz)
    client.force_login(getattr(dw.users, who))
    for name in PAGES:
        status = client.get(reverse(name)).status_code
        assert status == (200 if name in ALLOWED[who] else 403), (who, name, status)


def test_each_side_sees_its_duplicates_only(client, dw):
    group = dw.dup(dw.th1, dw.hz)
    student = group.student
    detail = reverse("dupadmission:detail", args=[group.pk])
    for user, seen in ((dw.th1_reg, True), (dw.hz_reg, True), (dw.th1_leader, True), (dw.users.th_registrar, True),
                       (dw.users.hz_registrar, True), (dw.users.gz_registrar, True), (dw.users.gd_registrar, True),
                       (dw.th2_reg, False), (dw.ft_reg, False), (dw.ft_registrar, False), (dw.sz_registrar, False),
                       (dw.xn_registrar, False), (dw.users.school_registrar, False)):
        client.force_login(user)
        before = _count()
        response = client.get(detail)
        assert response.status_code == (200 if seen else 404), user.username
        if seen:
            page = response.content.decode()
            assert student.name in page and "海珠测试中学" in page and "天河测试中学" in page
            assert student.id_number not in page  # masked
        else:
            assert _denied(before)
        query = client.get(reverse("dupadmission:query"), {"state": "all"}).content.decode()
        assert (student.name in query) is seen, user.username
        assert student.id_number not in query
    client.force_login(dw.th1_reg)
    page = client.get(reverse("dupadmission:list")).content.decode()
    assert student.name in page and student.id_number not in page
    client.force_login(dw.th2_reg)
    assert student.name not in client.get(reverse("dupadmission:list")).content.decode()


def test_another_schools_admission_is_404_and_audited(client, dw):
    group = dw.dup(dw.th1, dw.hz)
    theirs = dw.row(group, dw.hz)
    for user in (dw.th1_reg, dw.th2_reg):
        client.force_login(user)
        before = _count()
        assert client.get(reverse("dupadmission:evidence", args=[theirs.pk])).status_code == 404 and _denied(before)
        before = _count()
        assert client.post(reverse("dupadmission:give_up", args=[theirs.pk]), {"reason": "抢先放弃"}).status_code == 404
        assert _denied(before)
    # the leader of the school reads but does not act: its pages refuse the action
    client.force_login(dw.th1_leader)
    assert client.get(reverse("dupadmission:evidence", args=[dw.row(group, dw.th1).pk])).status_code == 403
    assert dw.row(group, dw.hz).state == State.REVIEWING and not DuplicateEvidence.objects.exists()
    for bad in ("abc", "-1", "1.5", "9" * 30):
        assert client.get(f"/dupadmission/{bad}/").status_code == 404
        assert client.get(f"/dupadmission/admissions/{bad}/evidence/").status_code == 404


def test_out_of_scope_filters_are_403_and_bad_ones_are_form_errors(client, dw):
    dw.dup(dw.th1, dw.hz)
    client.force_login(dw.users.th_registrar)
    query = reverse("dupadmission:query")
    for code in (dw.hz.code, dw.xn.code, "9999999999"):
        before = _count()
        assert client.get(query, {"school": code}).status_code == 403 and _denied(before)
    assert client.get(query, {"school": dw.th1.code, "state": "all"}).status_code == 200
    for params in ({"school": "abc"}, {"year": "abc"}, {"year": "99999"}, {"stage": "9"}, {"state": "zzz"},
                   {"sort": "student__id_number"}, {"page": "abc", "size": "x"}, {"name": "x" * 80}):
        response = client.get(query, params)
        assert response.status_code == 200, params
    client.force_login(dw.th1_reg)
    for params in ({"year": "abc"}, {"school": dw.hz.code}, {"state": "all"}):
        assert client.get(reverse("dupadmission:list"), params).status_code == 200  # no school filter for schools


def _png():
    from xueji.changes.tests.conftest import png_file

    return png_file()


def test_evidence_review_and_arbitration_through_the_pages(client, dw):
    group = dw.dup(dw.th1, dw.hz)
    mine = dw.row(group, dw.th1)
    client.force_login(dw.th1_reg)
    url = reverse("dupadmission:evidence", args=[mine.pk])
    assert "证明材料" in client.get(url).content.decode()
    fake = SimpleUploadedFile("证明.png", b"GIF89a not a png", content_type="image/png")
    page = client.post(url, {"opinion": "学生已报到", "proof": fake}).content.decode()
    assert not DuplicateEvidence.objects.exists() and "alert-danger" in page
    assert client.post(url, {"opinion": "", "proof": _png()}).status_code == 200
    assert not DuplicateEvidence.objects.exists()
    assert client.post(url, {"opinion": "学生已报到", "proof": _png()}).status_code == 302
    item = DuplicateEvidence.objects.get()
    # a second submission: the page says why, nothing more is made
    assert "正在等待主管教育行政部门核办" in client.get(url).content.decode()
    client.post(url, {"opinion": "再来一次", "proof": _png()})
    assert DuplicateEvidence.objects.count() == 1
    # 核办: the county sees it in its list; another county neither lists nor opens it
    review = reverse("dupadmission:review", args=[item.pk])
    client.force_login(dw.users.hz_registrar)
    assert mine.student.name not in client.get(reverse("dupadmission:review_list")).content.decode()
    before = _count()
    assert client.get(review).status_code == 404 and _denied(before)
    client.force_login(dw.users.gz_registrar)  # in scope, not its step: shown, not decidable
    page = client.get(review).content.decode()
    assert "不在等待本单位核办" in page and 'data-testid="review-form"' not in page
    assert client.post(review, {"passed": "1"}).status_code == 200
    client.force_login(dw.users.th_registrar)
    assert mine.student.name in client.get(reverse("dupadmission:review_list")).content.decode()
    page = client.post(review, {"passed": "0", "opinion": ""}).content.decode()
    assert "审核不通过时必须填写审核意见" in page
    assert client.post(review, {"passed": "x"}).status_code == 200
    assert client.post(review, {"passed": "1", "opinion": "属实"}).status_code == 302
    item.refresh_from_db()
    assert item.state == EvidenceState.PASSED
    passed(dw, group, dw.hz)
    # 仲裁 by 广州市 (海珠 and 天河 are its counties); the county may not
    arbitrate = reverse("dupadmission:arbitrate", args=[group.pk])
    client.force_login(dw.users.th_registrar)
    assert client.get(arbitrate).status_code == 403
    assert mine.student.name not in client.get(reverse("dupadmission:arbitration_list")).content.decode()
    client.force_login(dw.users.gz_registrar)
    assert mine.student.name in client.get(reverse("dupadmission:arbitration_list")).content.decode()
    page = client.get(arbitrate).content.decode()
    assert "海珠测试中学" in page and "天河测试中学" in page and mine.student.id_number not in page
    assert "请填写仲裁意见" in client.post(arbitrate, {"passed": mine.pk, "opinion": " "}).content.decode()
    assert "待仲裁的录取" in client.post(arbitrate, {"passed": "abc", "opinion": "意见"}).content.decode()
    assert client.post(arbitrate, {"passed": mine.pk, "opinion": "天河先录取"}).status_code == 302
    assert dw.row(group, dw.hz).state == State.WITHDRAWN and not dw.row(group, dw.th1).duplicate
    page = client.get(reverse("dupadmission:detail", args=[group.pk])).content.decode()
    assert "已处理" in page and "天河先录取" in page
    assert "已处理完毕" in client.post(arbitrate, {"passed": "", "opinion": "再仲裁"}).content.decode()
    # the query lists it as resolved, with the arbiter
    page = client.get(reverse("dupadmission:query")).content.decode()
    assert mine.student.name in page and "广州市教育局" in page


def test_give_up_through_the_page(client, dw):
    group = dw.dup(dw.th1, dw.hz)
    client.force_login(dw.hz_reg)
    url = reverse("dupadmission:give_up", args=[dw.row(group, dw.hz).pk])
    page = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "请填写放弃录取原因" in page and dw.row(group, dw.hz).state == State.REVIEWING
    assert client.get(url).status_code == 405
    page = client.post(url, {"reason": "线下协商"}, follow=True).content.decode()
    assert "重复招生已处理完毕" in page
    group.refresh_from_db()
    assert group.resolved and group.kept_id == dw.row(group, dw.th1).pk
    assert "已处理完毕" in client.post(url, {"reason": "再放弃"}, follow=True).content.decode()


def test_the_to_dos_of_each_party(dw):
    from xueji.portal.todos import todos_for

    def count(user, label):
        return next((t.count for t in todos_for(user) if t.label == label), 0)

    group = dw.dup(dw.th1, dw.hz)
    assert count(dw.th1_reg, "待处理的重复招生") == 1 and count(dw.hz_reg, "待处理的重复招生") == 1
    assert count(dw.th2_reg, "待处理的重复招生") == 0
    from .test_services import evidence

    item = evidence(dw, group, dw.th1)
    assert count(dw.th1_reg, "待处理的重复招生") == 0
    assert count(dw.users.th_registrar, "待核办的重复招生佐证") == 1
    assert count(dw.users.hz_registrar, "待核办的重复招生佐证") == 0
    from xueji.workflow import services as workflow

    workflow.decide(item.business, dw.users.th_registrar, False, "材料不清")
    assert count(dw.th1_reg, "待处理的重复招生") == 1  # refused: evidence again or give up
    passed(dw, group, dw.th1)
    passed(dw, group, dw.hz)
    assert count(dw.users.gz_registrar, "待仲裁的重复招生") == 1
    assert count(dw.users.th_registrar, "待仲裁的重复招生") == 0 and count(dw.users.gd_registrar, "待仲裁的重复招生") == 0
    assert count(dw.th1_reg, "待处理的重复招生") == 0
