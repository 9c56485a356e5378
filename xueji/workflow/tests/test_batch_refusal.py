"""The batch review form (issue 7 §6): an id of another school's business, or one not in
the queue, or not an id, refuses the whole request with a message and an audit entry."""

import pytest
from django.urls import reverse

from xueji.audit.models import AuditEntry
from xueji.workflow.models import Business

from .test_views import _business


@pytest.mark.parametrize("extra", ["foreign", "abc", "0"])
def test_batch_with_a_foreign_or_bad_id_is_refused_whole(client, world, extra):
    mine = _business(world)
    foreign = _business(world, school=world.hz_school)
    bad = str(foreign.pk) if extra == "foreign" else extra
    client.force_login(world.users.school_leader)
    response = client.post(reverse("workflow:queue_decide"), {
        "mode": "selected", "ids": [mine.pk, bad], "decision": "pass", "opinion": "同意"}, follow=True)
    assert response.status_code == 200 and "本次操作未执行" in response.content.decode()
    assert set(Business.objects.values_list("current_level", flat=True)) == {"school"}
    entry = AuditEntry.objects.filter(action="scope.denied").latest("seq")
    assert entry.actor_username == "sch_leader" and bad in entry.summary
