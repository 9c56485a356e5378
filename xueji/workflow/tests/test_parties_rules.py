"""Pure rules of multi-party businesses: each party's segment, the joined chain (an
authority in two segments reviews once, at its last place, or once per party), the
party labels, and the registry's checks of party declarations."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from xueji.workflow import registry, rules

MOE = NS(pk=1, level=0, name="教育部", prefix="")
GD = NS(pk=2, level=1, name="广东省教育厅", prefix="44")
GZ = NS(pk=3, level=2, name="广州市教育局", prefix="4401")
TIANHE = NS(pk=4, level=3, name="天河区教育局", prefix="440106")
HAIZHU = NS(pk=5, level=3, name="海珠区教育局", prefix="440105")
SZ = NS(pk=6, level=2, name="深圳市教育局", prefix="4403")
FUTIAN = NS(pk=7, level=3, name="福田区教育局", prefix="440304")
GX = NS(pk=8, level=1, name="广西壮族自治区教育厅", prefix="45")
NN = NS(pk=9, level=2, name="南宁市教育局", prefix="4501")
XINGNING = NS(pk=10, level=3, name="兴宁区教育局", prefix="450102")

ANCESTORS = {
    "tianhe": [TIANHE, GZ, GD, MOE], "haizhu": [HAIZHU, GZ, GD, MOE], "futian": [FUTIAN, SZ, GD, MOE],
    "xingning": [XINGNING, NN, GX, MOE],
}
SCHOOLS = {"tianhe": (101, "天河小学"), "haizhu": (102, "海珠小学"), "futian": (103, "福田小学"),
           "xingning": (104, "兴宁小学"), "tianhe2": (105, "天河第二小学")}


def _segment(levels, where, party, school="") -> list[rules.Step]:
    school_id, name = SCHOOLS[school or where]
    return rules.resolve_chain(levels, ANCESTORS[where], name, school_id=school_id, party=party)


def _show(steps) -> list[tuple]:
    return [(s.party if not s.shared else "+".join(s.shared), s.level, s.school_id or s.authority_id) for s in steps]


TO_COUNTY = ("school", "supervisor")
TO_CITY = ("school", "supervisor", "city")
TO_PROVINCE = ("school", "supervisor", "city", "province")
UP_TO_MOE = ("school", "supervisor", "city", "province", "ministry")


@pytest.mark.parametrize(("receiving", "sending", "receiving_levels", "sending_levels", "once", "each"), [
    # inside one county: the county once, after both schools
    ("tianhe", "tianhe2", TO_COUNTY, TO_COUNTY,
     [("r", "school", 101), ("s", "school", 105), ("r+s", "supervisor", 4)],
     [("r", "school", 101), ("r", "supervisor", 4), ("s", "school", 105), ("s", "supervisor", 4)]),
    # two counties of one city, each side to its county: nothing shared
    ("tianhe", "haizhu", TO_COUNTY, TO_COUNTY,
     [("r", "school", 101), ("r", "supervisor", 4), ("s", "school", 102), ("s", "supervisor", 5)],
     [("r", "school", 101), ("r", "supervisor", 4), ("s", "school", 102), ("s", "supervisor", 5)]),
    # two counties, both up to the city: the city once, last
    ("tianhe", "haizhu", TO_CITY, TO_CITY,
     [("r", "school", 101), ("r", "supervisor", 4), ("s", "school", 102), ("s", "supervisor", 5),
      ("r+s", "city", 3)],
     [("r", "school", 101), ("r", "supervisor", 4), ("r", "city", 3), ("s", "school", 102),
      ("s", "supervisor", 5), ("s", "city", 3)]),
    # two cities of one province, both up to the province
    ("tianhe", "futian", TO_PROVINCE, TO_PROVINCE,
     [("r", "school", 101), ("r", "supervisor", 4), ("r", "city", 3), ("s", "school", 103),
      ("s", "supervisor", 7), ("s", "city", 6), ("r+s", "province", 2)],
     None),
    # two provinces: nothing shared below the ministry
    ("tianhe", "xingning", TO_PROVINCE, TO_COUNTY,
     [("r", "school", 101), ("r", "supervisor", 4), ("r", "city", 3), ("r", "province", 2),
      ("s", "school", 104), ("s", "supervisor", 10)],
     None),
    # two provinces, both configured up to the ministry: the ministry once, last
    ("tianhe", "xingning", UP_TO_MOE, UP_TO_MOE,
     [("r", "school", 101), ("r", "supervisor", 4), ("r", "city", 3), ("r", "province", 2),
      ("s", "school", 104), ("s", "supervisor", 10), ("s", "city", 9), ("s", "province", 8),
      ("r+s", "ministry", 1)],
     None),
    # the receiving side to the city only, the sending side to its county: the city stays where it is
    ("tianhe", "haizhu", TO_CITY, TO_COUNTY,
     [("r", "school", 101), ("r", "supervisor", 4), ("r", "city", 3), ("s", "school", 102),
      ("s", "supervisor", 5)],
     None),
    # a sending side configured without its school step
    ("tianhe", "haizhu", TO_COUNTY, ("supervisor",),
     [("r", "school", 101), ("r", "supervisor", 4), ("s", "supervisor", 5)],
     None),
])
def test_join_segments(receiving, sending, receiving_levels, sending_levels, once, each):
    school = "tianhe2" if sending == "tianhe2" else ""
    segments = [_segment(receiving_levels, receiving, "r"),
                _segment(sending_levels, "tianhe" if school else sending, "s", school)]
    assert _show(rules.join_segments(segments, registry.SHARED_ONCE)) == once
    if each is not None:
        assert _show(rules.join_segments(segments, registry.SHARED_EACH)) == each


def test_the_same_school_in_two_segments_is_asked_once_too():
    segments = [_segment(TO_COUNTY, "tianhe", "r"), _segment(TO_COUNTY, "tianhe", "s")]
    assert _show(rules.join_segments(segments)) == [("r+s", "school", 101), ("r+s", "supervisor", 4)]


def test_join_of_one_segment_or_none_and_an_unknown_mode():
    one = _segment(TO_COUNTY, "tianhe", "applicant")
    assert rules.join_segments([one]) == one
    assert rules.join_segments([]) == []
    assert rules.join_segments([[], one]) == one
    with pytest.raises(ValueError):
        rules.join_segments([one], "twice")


def test_steps_as_stored():
    segments = [_segment(TO_COUNTY, "tianhe", "r"), _segment(TO_COUNTY, "tianhe", "s", "tianhe2")]
    step = rules.join_segments(segments)[-1]
    assert step.as_dict() == {"level": "supervisor", "party": "s", "school_id": None, "authority_id": 4,
                              "unit": "天河区教育局", "shared": ["r", "s"]}
    school_step = _segment(TO_COUNTY, "tianhe", "r")[0]
    assert school_step.as_dict() == {"level": "school", "party": "r", "school_id": 101, "authority_id": None,
                                     "unit": "天河小学"}


def test_party_labels_and_step_states():
    transfer = registry.get("transfer_in_province")
    assert [p.name for p in transfer.all_parties] == ["转入方", "转出方"]
    assert [p.config_type for p in transfer.all_parties] == ["transfer_in_province", "transfer_in_province_out"]
    assert rules.party_label(transfer, {"party": "sending"}) == "转出方"
    assert rules.party_label(transfer, {"party": "receiving", "shared": ["receiving", "sending"]}) == "转入方、转出方"
    assert rules.party_label(transfer, {"party": "nobody"}) == "其他"
    assert rules.party_label(registry.get("suspend"), {"party": "applicant"}) == ""
    assert rules.party_label(None, {"party": "applicant"}) == ""
    passed, failed = NS(passed=True), NS(passed=False)
    assert rules.step_state(0, 1, True, passed) == "审核通过"
    assert rules.step_state(1, 1, False, failed) == "审核不通过"
    assert rules.step_state(1, 1, True, None, "待上报") == "待审核(待上报)"
    assert rules.step_state(2, 1, True, None) == "未到达"
    assert rules.step_state(2, 1, False, None) == "未审核"


def test_party_declarations_are_checked():
    good = registry.Party("receiving", "转入方", "transfer_in_province")
    with pytest.raises(ValueError, match="distinct"):
        registry.register("t_dup", "重复", registry.TO_SUPERVISOR, parties=[good, good])
    with pytest.raises(ValueError, match="applicant"):
        registry.register("t_first", "首方", registry.TO_SUPERVISOR,
                          parties=[registry.Party("sending", "转出方", "x", registry.FROM_STUDENT), good])
    with pytest.raises(ValueError, match="school_from"):
        registry.register("t_from", "来源", registry.TO_SUPERVISOR,
                          parties=[good, registry.Party("sending", "转出方", "x", "elsewhere")])
    with pytest.raises(ValueError, match="one party"):
        registry.register("t_two", "两个申请方", registry.TO_SUPERVISOR,
                          parties=[good, registry.Party("other", "另一方", "x", registry.FROM_APPLICANT)])
    with pytest.raises(ValueError, match="shared_steps"):
        registry.register("t_shared", "共同", registry.TO_SUPERVISOR, shared_steps="sometimes")
    with pytest.raises(ValueError, match="ASCII"):
        registry.register("t_role", "角色", registry.TO_SUPERVISOR,
                          parties=[registry.Party("转入", "转入方", "x")])
    assert registry.find("t_dup") is None


def test_set_handlers_refuses_what_it_does_not_know():
    with pytest.raises(TypeError):
        registry.set_handlers("suspend", on_finish=lambda *a: None)


def test_types_without_an_effect_are_marked():
    assert not registry.get("dropout").has_effect
    assert registry.get("reg_primary_resident").has_effect  # the registration app plugged in
    assert registry.get("reg_primary_resident").on_complete_many is not None
