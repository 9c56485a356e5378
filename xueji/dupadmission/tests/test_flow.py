"""重复招生 end to end with the admission's own writes (xueji.admission): two schools admit
one graduate from the imported list → a held duplicate → each school's 佐证 passes its
county's 核办 → 广州市 (the common superior of 天河 and 海珠) arbitrates → the kept
admission, no longer held, is reviewed and retrieved (调档); the other is withdrawn."""

from __future__ import annotations

from xueji.admission import services as admission
from xueji.admission.models import AdmissionResult, DuplicateAdmission, State
from xueji.admission.tests.conftest import adm, row  # noqa: F401  (the admission's fixture)
from xueji.changes.tests.conftest import png_file
from xueji.dupadmission import services
from xueji.dupadmission.models import CaseState, DuplicateCase
from xueji.workflow import services as workflow
from xueji.workflow.models import Business


def _imported(user, *rows):
    outcome = admission.import_results(user, list(enumerate(rows, start=2)))
    assert not outcome.failures, outcome.failures
    return list(AdmissionResult.objects.filter(pk__in=outcome.created_ids).order_by("pk"))


def test_duplicate_admission_arbitrated_then_the_kept_one_is_retrieved(adm, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    u, w = adm.u, adm.users
    pupil = adm.th_pupils[0]
    (a,) = _imported(w.th_registrar, row(pupil, adm.th_primary, adm.th_junior))
    (b,) = _imported(w.hz_registrar, row(pupil, adm.th_primary, adm.hz_junior))
    admission.admit(u.th_junior_registrar, [a.pk])
    admission.admit(u.hz_junior_registrar, [b.pk])
    group = DuplicateAdmission.objects.get()
    a.refresh_from_db()
    b.refresh_from_db()
    # each school evidences while its admission review is still open (no clash on the record)
    ea = services.submit_evidence(a, u.th_junior_registrar, opinion="家长已缴费报到", proof=png_file())
    eb = services.submit_evidence(b, u.hz_junior_registrar, opinion="学生户籍在海珠", proof=png_file())
    workflow.decide(ea.business, w.th_registrar, True, "属实")
    workflow.decide(eb.business, w.hz_registrar, True, "属实")
    case = DuplicateCase.objects.get(duplicate=group)
    assert case.state == CaseState.ARBITRATION and case.arbiter == adm.tree.gz
    # the admission review of 天河 passes meanwhile, but it is held: no 调档
    business = Business.objects.get(pk=a.business_id)
    for reviewer in (u.th_junior_leader, w.th_registrar):
        workflow.decide(business, reviewer, True)
        business.refresh_from_db()
    held = admission.retrieve(u.th_junior_registrar, [a.pk])
    assert held.done == [] and "重复招生" in held.refused[a.pk]
    services.arbitrate(group, w.gz_registrar, a.pk, "家长选择天河测试中学")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, a.duplicate) == (State.APPROVED, False)
    assert b.state == State.WITHDRAWN and Business.objects.get(pk=b.business_id).status == "failed"
    assert admission.retrieve(u.th_junior_registrar, [a.pk]).done == [a.pk]
    # 海珠's admission is gone: it cannot retrieve, evidence or give up any more
    assert admission.retrieve(u.hz_junior_registrar, [b.pk]).done == []
