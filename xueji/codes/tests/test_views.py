"""系统管理 → 代码表 pages and the code_label filter."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import User
from xueji.codes.tables import TABLES


@pytest.fixture
def parent_client(client, db):
    user = User.objects.create_user(
        username="codes_parent", password="Xj-test-2024!", real_name="测试", role="parent",
        password_changed_at=timezone.now(),
    )
    client.force_login(user)
    return client


def test_list_requires_login(client, db):
    response = client.get(reverse("codes:table_list"))
    assert response.status_code == 302
    assert reverse("codes:table_list") in response["Location"]


def test_detail_requires_login(client, db):
    response = client.get(reverse("codes:table_detail", args=["gender"]))
    assert response.status_code == 302


def test_list_shows_every_table(parent_client):
    response = parent_client.get(reverse("codes:table_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for table in TABLES.values():
        assert table.name in html
        assert reverse("codes:table_detail", args=[table.key]) in html
    assert "GB 3304-1991" in html
    assert ">58<" in html  # the item count of 民族


def test_detail_shows_items(parent_client):
    response = parent_client.get(reverse("codes:table_detail", args=["ethnicity"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<code>01</code></td><td>汉族</td>" in html
    assert "<code>56</code></td><td>基诺族</td>" in html
    assert "GB 3304-1991" in html


def test_detail_filter(parent_client):
    response = parent_client.get(reverse("codes:table_detail", args=["nationality"]), {"q": "chn"})
    html = response.content.decode()
    assert "<code>CHN</code></td><td>中国</td>" in html
    assert "<code>USA</code>" not in html


def test_unknown_table_is_404(parent_client):
    response = parent_client.get(reverse("codes:table_detail", args=["no_such_table"]))
    assert response.status_code == 404


def test_code_label_filter():
    template = Template('{% load codes %}{{ g|code_label:"gender" }}|{{ e|code_label:"ethnicity" }}|'
                        '{{ bad|code_label:"gender" }}|{{ none|code_label:"gender" }}|{{ g|code_name:"gender" }}')
    rendered = template.render(Context({"g": "1", "e": "01", "bad": "7", "none": None}))
    assert rendered == "1-男|01-汉族|7||男"
