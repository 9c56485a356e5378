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


def test_material_downloads_under_a_name_the_system_gives(client, world, png, jpeg):
    """The uploaded file name (the uploader's text) is never sent back (issue 7 §6)."""
    from urllib.parse import quote

    from django.core.files.uploadedfile import SimpleUploadedFile

    business = _business(world)
    client.force_login(world.users.school_registrar)
    evil = '"; filename=evil.html; x=\r\n<script>.png'
    for name, data, kind in ((evil, png, "image/png"), ("照片.jpg", jpeg, "image/jpeg")):
        client.post(reverse("workflow:material_upload", args=[business.pk]),
                    {"file": SimpleUploadedFile(name, data, content_type=kind)})
    first, second = business.materials.order_by("pk")
    response = client.get(reverse("workflow:material", args=[first.pk]) + "?download=1")
    header = response["Content-Disposition"]
    assert header == (f'attachment; filename="material-{business.pk}-1.png"; '
                      f"filename*=UTF-8''{quote(f'证明材料-{business.pk}-1.png', safe='')}")
    assert "evil" not in header and "script" not in header
    inline = client.get(reverse("workflow:material", args=[second.pk]))["Content-Disposition"]
    assert inline.startswith("inline;") and quote(f"证明材料-{business.pk}-2.jpg", safe="") in inline
