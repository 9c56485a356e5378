"""升级 pages: the province configures and starts, follows the report; schools see their
own report; every role out of place is refused (403 + audit, 404 + audit)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.promotion import services
from xueji.promotion.models import PromotionMoment, PromotionRun
from xueji.testing import PASSWORD

from .conftest import MOMENT


def _client(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def promoted(schools, world):
    return services.start_promotion(world.users.gd_registrar, now=MOMENT)


@pytest.mark.django_db
def test_province_page_shows_report_and_sets_moment(client, promoted, world, schools):
    c = _client(client, world.users.gd_registrar)
    page = c.get(reverse("promotion:index")).content.decode()
    assert "8月10日 24:00" in page and "天河未毕业小学" in page and "小学2019级尚有2名在校学生未毕业" in page
    assert "一年级→二年级:2人" in page
    blocked = c.get(reverse("promotion:index") + "?state=blocked").content.decode()
    assert "天河六年制小学" not in blocked and "天河未毕业小学" in blocked
    assert c.get(reverse("promotion:index") + "?state=<x>&page=abc&sort=zz").status_code == 200
    response = c.post(reverse("promotion:index"), {"action": "moment", "month": "8", "day": "12", "hour": "24",
                                                    "minute": "0"})
    assert response.status_code == 302
    assert PromotionMoment.objects.get(authority=world.tree.gd).day == 12
    bad = c.post(reverse("promotion:index"), {"action": "moment", "month": "13", "day": "", "hour": "x"})
    assert bad.status_code == 200 and "升级时间应为数字" in bad.content.decode()
    assert c.post(reverse("promotion:index"), {"action": "nonsense"}).status_code == 200


@pytest.mark.django_db
def test_start_from_the_page_before_the_moment_is_refused(client, schools, world, settings):
    c = _client(client, world.users.gd_registrar)
    # the default moment of this calendar year: when the test runs before it, refused; after, a run
    response = c.post(reverse("promotion:index"), {"action": "start"})
    if PromotionRun.objects.exists():
        assert response.status_code == 302
    else:
        assert "尚未到达" in response.content.decode()


@pytest.mark.django_db
def test_school_sees_only_its_report(client, promoted, world, schools):
    from xueji.accounts.models import Role
    from xueji.testing import make_user

    registrar = make_user("p6_registrar", Role.SCHOOL_REGISTRAR, school=schools.p6)
    c = _client(client, registrar)
    response = c.get(reverse("promotion:index"))
    assert response.status_code == 302 and response.url == reverse("promotion:school_report", args=[schools.p6.pk])
    page = c.get(response.url).content.decode()
    assert "天河六年制小学" in page and "五年级→六年级:2人" in page
    other = c.get(reverse("promotion:school_report", args=[schools.blocked.pk]))
    assert other.status_code == 404
    assert AuditEntry.objects.filter(action="scope.denied", actor=registrar).exists()
    assert c.post(reverse("promotion:index"), {"action": "start"}).status_code == 302  # redirected to its report
    assert not PromotionRun.objects.filter(started_by=registrar).exists()


@pytest.mark.django_db
def test_authorities_below_read_reports_in_scope(client, promoted, world, schools):
    c = _client(client, world.users.th_registrar)
    page = c.get(reverse("promotion:index")).content.decode()
    assert "天河未毕业小学" in page and "海珠五年制小学" not in page
    assert c.get(reverse("promotion:school_report", args=[schools.p5.pk])).status_code == 404
    assert c.get(reverse("promotion:school_report", args=[schools.p6.pk])).status_code == 200
    # a county may not start nor configure: 403 + audit
    assert c.post(reverse("promotion:index"), {"action": "start"}).status_code == 403
    assert c.post(reverse("promotion:index"), {"action": "moment", "month": "8", "day": "1", "hour": "0",
                                               "minute": "0"}).status_code == 403
    assert AuditEntry.objects.filter(action="auth.permission_denied", actor=world.users.th_registrar).count() == 2


@pytest.mark.django_db
def test_ministry_sets_default_and_sees_runs(client, promoted, world):
    c = _client(client, world.users.moe_registrar)
    page = c.get(reverse("promotion:index")).content.decode()
    assert "设置全国默认升级时间" in page and "广东省教育厅" in page
    assert c.post(reverse("promotion:index"), {"action": "moment", "month": "8", "day": "20", "hour": "24",
                                               "minute": "0"}).status_code == 302
    assert PromotionMoment.objects.get(authority=world.tree.ministry).day == 20
    assert c.post(reverse("promotion:index"), {"action": "start"}).status_code == 403
    other = _client(client, world.users.gx_admin)
    assert other.get(reverse("promotion:index")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["class_teacher", "data_checker", "parent", "gd_admin", "th_admin", "moe_admin"])
def test_other_roles_refused(client, promoted, world, schools, who):
    user = getattr(world.users, who)
    c = _client(client, user)
    assert c.get(reverse("promotion:index")).status_code == 403
    assert c.get(reverse("promotion:school_report", args=[schools.p6.pk])).status_code == 403
    assert AuditEntry.objects.filter(action="auth.permission_denied", actor=user).count() == 2


@pytest.mark.django_db
def test_bad_ids_and_anonymous(client, promoted, world):
    c = _client(client, world.users.gd_registrar)
    assert c.get("/promotion/school/abc/").status_code == 404
    assert c.get(reverse("promotion:school_report", args=[999999])).status_code == 404
    client.logout()
    assert client.get(reverse("promotion:index")).status_code == 302
