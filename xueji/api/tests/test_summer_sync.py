"""毕业 and 升级 reach the incremental sync (issue 10 §8): the students' ``updated_since``
picks up every graduate and every promoted pupil, and their history names the business."""

from __future__ import annotations

import pytest
from django.utils import timezone

from xueji.graduation import services as graduation
from xueji.graduation.tests.test_services import _approve, _start
from xueji.promotion import services as promotion
from xueji.promotion.tests.conftest import MOMENT
from xueji.students.models import Student
from xueji.testing import api_client


def _since(client, stamp, **filters) -> dict[str, dict]:
    query = "&".join([f"updated_since={stamp.isoformat().replace('+', '%2B')}"] + [f"{k}={v}" for k, v in filters.items()])
    items, url = {}, f"/api/v1/students/?{query}"
    while url:  # every page of the increment
        response = client.get(url)
        assert response.status_code == 200, response.content
        items.update({item["national_number"]: item for item in response.json()["results"]})
        url = response.json()["next"]
    return items


@pytest.mark.django_db
def test_graduates_reach_the_sync_with_their_history(grad):
    client = api_client(grad.users.th_registrar)
    stamp = timezone.now()
    assert _since(client, stamp) == {}
    batch = _approve(grad, _start(grad))
    graduation.execute_graduation(grad.users.school_registrar, batch)
    changed = _since(client, stamp)
    ids = {s.national_number for s in grad.class_one + grad.class_two}
    assert set(changed) == ids
    assert {item["status"] for item in changed.values()} == {"20"}
    assert {item["status_name"] for item in changed.values()} == {"毕业"}
    history = client.get(f"/api/v1/students/{sorted(ids)[0]}/history/").json()
    newest = history["results"][0] if isinstance(history, dict) else history[0]
    assert "毕业" in str(newest)
    # the younger pupil, not graduated, is not in the increment
    assert grad.young_pupil.national_number not in changed


@pytest.mark.django_db
def test_promoted_pupils_reach_the_sync(schools, world):
    client = api_client(world.users.gd_registrar)
    stamp = timezone.now()
    promotion.start_promotion(world.users.gd_registrar, now=MOMENT)
    changed = _since(client, stamp)
    promoted = set(Student.objects.filter(promoted_year__isnull=False).values_list("national_number", flat=True))
    assert promoted and promoted <= set(changed)
    number = sorted(promoted)[0]
    history = client.get(f"/api/v1/students/{number}/history/").json()
    assert "升级" in str(history)
