"""Two schools register one ID at the same moment, through the whole import path
(register_rows): exactly one wins, the other gets a message naming the holding school,
and neither loses anything else of its batch."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from xueji.registration import services
from xueji.registration.models import Registration
from xueji.students import services as student_services
from xueji.students.models import IdentityClaim
from xueji.workflow.models import Business


@pytest.mark.django_db(transaction=True)
def test_one_id_registered_by_two_schools_at_once(reg, monkeypatch):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("in-memory SQLite can't serve two threads; file SQLite and PostgreSQL can")
    u = reg.users
    shared_th, shared_hz = reg.row(1), reg.row(1, klass=reg.hz_class)
    assert shared_th["身份证件号"] == shared_hz["身份证件号"]
    batches = {
        "th": [shared_th if i == 5 else reg.row(100 + i) for i in range(10)],
        "hz": [shared_hz if i == 2 else reg.row(200 + i, klass=reg.hz_class) for i in range(10)],
    }
    # Both imports read "not registered yet" before either writes: the database alone
    # has to settle it.
    barrier = threading.Barrier(2, timeout=30)
    original = student_services.find_conflicts
    first_read = threading.local()

    def read_then_wait(keys):
        found = original(keys)
        if not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(student_services, "find_conflicts", read_then_wait)
    outcomes, errors = {}, []

    def run(name, school, user):
        try:
            outcomes[name] = services.register_rows(school, "primary-resident", user,
                                                    list(enumerate(batches[name], start=2)), keep=False)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("th", reg.world.th_school, u.school_registrar)),
               threading.Thread(target=run, args=("hz", reg.world.hz_school, u.hz_school_registrar))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    losers = [name for name, o in outcomes.items() if o.failed]
    assert len(losers) == 1, {n: o.failed for n, o in outcomes.items()}
    loser, winner = losers[0], ({"th", "hz"} - set(losers)).pop()
    (failed,) = outcomes[loser].failed
    winner_school = reg.world.th_school if winner == "th" else reg.world.hz_school
    assert failed.row == (7 if loser == "th" else 4)
    assert winner_school.name in failed.messages[0] and "不能重复注册" in failed.messages[0]
    assert outcomes[loser].passed_count == 9 and outcomes[winner].passed_count == 10
    key = "1:" + shared_th["身份证件号"]
    claim = IdentityClaim.objects.get(key=key)
    assert claim.school == winner_school
    assert Registration.objects.filter(id_number=shared_th["身份证件号"]).count() == 1
    # No business left behind for the row that lost.
    assert Business.objects.count() == Registration.objects.count() == 19
    assert set(IdentityClaim.objects.values_list("registration_id", flat=True)) == set(
        Registration.objects.values_list("business_id", flat=True))
