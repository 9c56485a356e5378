"""The handling pages: what each role sees and may do; another school 404 + audit; bad
ids and bad input never 500."""

from __future__ import annotations

import pytest

from xueji.audit.models import AuditEntry
from xueji.problems.models import GroupState, MemberState, ProblemReminder, ProblemSettings
from xueji.students.models import Student

from .handling_support import fresh, new_id_for, pass_all, png_file
from .test_handling import act, reviewer_for_authority


def _denied() -> int:
    return AuditEntry.objects.filter(action="scope.denied").count()


def test_buttons_follow_the_rules_for_each_role(hp, client):
    group, (a, b) = hp.duplicates("th", "hz")
    url = f"/problems/{group.pk}/"
    client.force_login(hp.registrar(hp.hz))  # the later record's school: its turn
    text = client.get(url).content.decode()
    assert text.count('data-testid="method-') == 3 and "仲裁</a>" not in text and "催办</button>" not in text
    client.force_login(hp.registrar(hp.th))  # the earlier record: not its turn
    text = client.get(url).content.decode()
    assert 'data-testid="method-' not in text
    client.force_login(hp.users.hz_registrar)  # an authority in scope: 催办
    text = client.get(url).content.decode()
    assert "催办</button>" in text and 'data-testid="method-' not in text
    assert client.post(f"/problems/{group.pk}/remind/").status_code == 302
    assert ProblemReminder.objects.filter(group=group, school=hp.hz).count() == 1
    client.force_login(hp.users.school_leader)  # a leader sees, does not act
    text = client.get(url).content.decode()
    assert 'data-testid="method-' not in text and "催办</button>" not in text


def test_the_evidence_form_submits_through_the_engine(hp, client):
    group, (a, b) = hp.duplicates("th", "hz")
    client.force_login(hp.registrar(hp.hz))
    url = f"/problems/{group.pk}/members/{b.pk}/evidence/"
    page = client.get(url)
    assert page.status_code == 200 and "证明材料" in page.content.decode()
    assert b.student.id_number not in page.content.decode()  # masked
    # no proof: the form says so, nothing starts
    page = client.post(url, {"reason": "户籍证明"})
    assert page.status_code == 200 and fresh(b).state == MemberState.PENDING
    # a fake image is refused, not a 500
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(url, {"proof": SimpleUploadedFile("x.png", b"\x89PNG fake", content_type="image/png")})
    assert page.status_code == 200 and fresh(b).state == MemberState.PENDING
    response = client.post(url, {"reason": "户籍证明", "proof": png_file()})
    assert response.status_code == 302 and fresh(b).state == MemberState.ACTING
    # the reviewer sees the group on the engine's business page: types, members masked, method
    from .handling_support import reviewer_for

    business = fresh(b).business
    client.force_login(reviewer_for(business))
    text = client.get(f"/workflow/businesses/{business.pk}/").content.decode()
    assert "身份证件号重复" in text and a.student.name in text and "佐证" in text
    assert a.student.id_number not in text
    client.force_login(hp.registrar(hp.hz))
    # double submission: the page says why, nothing more starts
    page = client.post(url, {"reason": "户籍证明", "proof": png_file()})
    assert page.status_code == 200 and "正在审核中" in page.content.decode()


def test_the_change_form(hp, client):
    group, (a, b) = hp.duplicates("th", "hz")
    client.force_login(hp.registrar(hp.hz))
    url = f"/problems/{group.pk}/members/{b.pk}/change/"
    assert client.get(url).status_code == 200
    s = Student.objects.get(pk=b.student_id)
    data = {"name": s.name, "gender": s.gender, "birth_date": s.birth_date.isoformat(), "id_type": s.id_type,
            "id_number": new_id_for(s, 222), "nationality": s.nationality, "hmt": s.hmt, "proof": png_file()}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    pass_all(fresh(b).business)
    group.refresh_from_db()
    assert group.resolved and fresh(b).state == MemberState.CHANGED
    # bad dates and bad codes come back as form errors
    group2, (_, d) = hp.duplicates("th", "hz")
    page = client.post(f"/problems/{group2.pk}/members/{d.pk}/change/", {**data, "birth_date": "2019-02-30",
                                                                         "gender": "9", "proof": png_file()})
    assert page.status_code == 200 and fresh(d).state == MemberState.PENDING


@pytest.mark.parametrize("path", [
    "/problems/{g}/members/{m}/evidence/", "/problems/{g}/members/{m}/delete/", "/problems/{g}/members/{m}/change/",
])
def test_other_schools_and_bad_ids(hp, client, path):
    group, (a, b) = hp.duplicates("th", "hz")
    client.force_login(hp.registrar(hp.ft))  # another school: the group is out of scope
    before = _denied()
    assert client.get(path.format(g=group.pk, m=b.pk)).status_code == 404
    assert _denied() == before + 1
    client.force_login(hp.registrar(hp.th))  # in the group, but not this member's school
    before = _denied()
    assert client.get(path.format(g=group.pk, m=b.pk)).status_code == 404
    assert _denied() == before + 1
    for bad in ("abc", "-1", "99999999999999999999999"):
        assert client.get(path.format(g=bad, m=bad)).status_code == 404
    assert client.get(f"/problems/{group.pk}/members/{b.pk}/burn/").status_code == 404


def test_the_arbitration_page(hp, client):
    group, (a, b) = hp.duplicates("th", "hz")
    act(hp, b, "evidence")
    act(hp, a, "evidence")
    group.refresh_from_db()
    url = f"/problems/{group.pk}/arbitrate/"
    for user in (hp.registrar(hp.th), hp.users.th_registrar, hp.users.gd_registrar):
        client.force_login(user)
        assert client.get(url).status_code in (403, 404)
    arbiter = reviewer_for_authority(group.arbiter)
    client.force_login(arbiter)
    assert "仲裁</a>" in client.get(f"/problems/{group.pk}/").content.decode()
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and a.student.name in text and text.count('name="passed"') == 3
    page = client.post(url, {"passed": str(a.pk), "opinion": ""})
    assert "补充意见" in page.content.decode() and fresh(b).state == MemberState.EVIDENCED
    page = client.post(url, {"passed": "abc", "opinion": "x"})
    assert page.status_code == 200 and fresh(b).state == MemberState.EVIDENCED
    assert client.post(url, {"passed": str(a.pk), "opinion": "乙方材料不足"}).status_code == 302
    group.refresh_from_db()
    assert group.state == GroupState.RETURNED and fresh(a).state == MemberState.PASSED
    assert client.post(url, {"passed": str(b.pk), "opinion": "改判"}).status_code == 200  # no longer open


def test_the_settings_page(hp, client):
    url = "/problems/settings/"
    for user in (hp.users.school_registrar, hp.users.th_registrar, hp.users.gz_registrar, hp.users.gd_admin):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(hp.users.gd_registrar)
    assert client.get(url).status_code == 200
    assert client.post(url, {"turn_days": "abc"}).status_code == 200
    assert client.post(url, {"turn_days": "99"}).status_code == 200
    assert not ProblemSettings.objects.filter(authority=hp.tree.gd).exists()
    assert client.post(url, {"turn_days": "7", "admission_lock": "on"}).status_code == 302
    settings = ProblemSettings.objects.get(authority=hp.tree.gd)
    assert settings.turn_days == 7 and settings.admission_lock


def test_the_counterpart_in_another_province_sees_the_evidence(hp, client):
    """跨省: the other side's proof is shown on the group page and served to both sides and
    the arbiter; a school outside the group gets 404 + audit; a material of another group
    is not served through this group."""
    from xueji.audit.models import AuditEntry
    from xueji.problems import handling

    from .handling_support import pass_all

    group, (a, b) = hp.duplicates("th", "gx")
    business = handling.start_handling(b, hp.registrar(hp.gx), "evidence", proof=png_file(), reason="户籍证明")
    pass_all(business)
    material = business.materials.get()
    client.force_login(hp.registrar(hp.th))   # the counterpart in 广东
    page = client.get(f"/problems/{group.pk}/").content.decode()
    url = f"/problems/{group.pk}/materials/{material.pk}/"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    other, _ = hp.duplicates("th", "hz")
    assert client.get(f"/problems/{other.pk}/materials/{material.pk}/").status_code == 404
    client.force_login(hp.registrar(hp.ft))   # a school that is not in the group
    before = AuditEntry.objects.filter(action="scope.denied").count()
    assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied").count() == before + 1
