"""A duplicate pair resolved by arbitration in the browser: the later school evidences,
its leader and county approve; the other school evidences, approved likewise; 广州市教育局
(the lowest common superior of 天河区 and 海珠区) arbitrates; the failed school deletes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from xueji.accounts.models import Role
from xueji.problems.models import GroupState, MemberState, ProblemMember
from xueji.testing import PASSWORD, make_user


def _login(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _png(tmp_path):
    path = tmp_path / "证明.png"
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (20, 90, 160)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _evidence(page, base, group, member, proof):
    page.goto(f"{base}/problems/{group.pk}/")
    page.get_by_test_id("method-evidence").click()
    page.fill("#id_reason", "户籍证明原件")
    page.set_input_files("#id_proof", proof)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/workflow/businesses/**")
    assert "问题学籍佐证" in page.content()
    return ProblemMember.objects.get(pk=member.pk).business


def _approve(page, base, username, business):
    _login(page, base, username)
    page.goto(f"{base}/workflow/businesses/{business.pk}/")
    assert "身份证件号重复" in page.get_by_test_id("business-facts").inner_text()
    page.get_by_test_id("decide-form").get_by_role("button", name="审核通过").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_duplicate_pair_resolved_by_arbitration(live_server, page, hp, tmp_path):
    base = live_server.url
    proof = _png(tmp_path)
    make_user("hz_leader_b", Role.SCHOOL_LEADER, school=hp.hz)
    group, (a, b) = hp.duplicates("th", "hz")
    # the later record (海珠) evidences first
    _login(page, base, "hz_sch_registrar")
    business = _evidence(page, base, group, b, proof)
    _approve(page, base, "hz_leader_b", business)
    _approve(page, base, "hz_registrar", business)
    assert ProblemMember.objects.get(pk=b.pk).state == MemberState.EVIDENCED
    # then the earlier one (天河)
    _login(page, base, "sch_registrar")
    business = _evidence(page, base, group, a, proof)
    _approve(page, base, "sch_leader", business)
    _approve(page, base, "th_registrar", business)
    group.refresh_from_db()
    assert group.state == GroupState.ARBITRATION and group.arbiter == hp.tree.gz
    # 广州市教育局 arbitrates: 天河 passes, 海珠 fails with an opinion
    _login(page, base, "gz_registrar")
    page.goto(f"{base}/problems/{group.pk}/")
    page.get_by_role("link", name="仲裁").click()
    page.check(f"#pass{a.pk}")
    page.fill("#opinion", "海珠方证明材料不足")
    page.get_by_role("button", name="仲裁").click()
    page.wait_for_url(f"**/problems/{group.pk}/")
    assert "仲裁后待学校处理" in page.get_by_test_id("group-state").inner_text()
    # the failed school may only change or delete
    _login(page, base, "hz_sch_registrar")
    page.goto(f"{base}/problems/{group.pk}/")
    assert page.get_by_test_id("method-evidence").count() == 0
    assert page.get_by_test_id("method-delete").count() == 1
    assert ProblemMember.objects.get(pk=a.pk).state == MemberState.PASSED
    assert ProblemMember.objects.get(pk=b.pk).state == MemberState.FAILED
