"""The pure rules of 关键数据变更 (seed 004 §6): refusals and the chain a change takes."""

from __future__ import annotations

import datetime as dt

import pytest

from xueji.changes import rules as R

TODAY = dt.date(2026, 12, 1)
CURRENT = {"name": "张三", "gender": "1", "birth_date": dt.date(2017, 1, 2), "id_type": "1",
           "id_number": "440106201701020011", "nationality": "CHN", "hmt": "00"}


def test_nothing_changed_is_refused():
    assert R.key_change_refusals("G", CURRENT, dict(CURRENT)) == [R.NOTHING_CHANGED]
    # the same ID typed in lower case with spaces is no change either
    assert R.key_change_refusals("G", CURRENT, {"id_number": " 440106201701020011 "}) == [R.NOTHING_CHANGED]
    # a new class alone is a change
    assert R.key_change_refusals("G", CURRENT, dict(CURRENT), placement_changed=True) == []


@pytest.mark.parametrize("kind,refused", [("G", True), ("J", True), ("L", False)])
def test_an_official_number_cannot_become_no_document(kind, refused):
    errors = R.key_change_refusals(kind, CURRENT, {"id_type": "Z", "id_number": ""})
    assert (errors == ["正式学籍号学生不能将身份证件类型变更为无身份证件"]) is refused
    assert errors or not refused


def test_name_and_id_together_is_refused():
    errors = R.key_change_refusals("G", CURRENT, {"name": "张四", "id_number": "440106201701020038"})
    assert errors == [R.NAME_AND_ID_TOGETHER]
    # the ID type counts as the ID
    errors = R.key_change_refusals("L", CURRENT, {"name": "张四", "id_type": "A", "id_number": "E1234567"})
    assert R.NAME_AND_ID_TOGETHER in errors


def test_the_chain_of_each_change():
    assert R.key_change_kind(CURRENT, {"gender": "2"}, [], TODAY) == R.KEY_CHANGE
    assert R.key_change_kind(CURRENT, {"id_type": "Z", "id_number": ""}, [], TODAY) == R.KEY_CHANGE_NO_ID
    name_done = R.PastChange(TODAY - dt.timedelta(days=100), frozenset({"name"}))
    id_done = R.PastChange(TODAY - dt.timedelta(days=364), frozenset({"id_number"}))
    old = R.PastChange(TODAY - dt.timedelta(days=366), frozenset({"name"}))
    assert R.key_change_kind(CURRENT, {"id_number": "440106201701020038"}, [name_done], TODAY) == R.KEY_CHANGE_NAME_ID
    assert R.key_change_kind(CURRENT, {"name": "张四"}, [id_done], TODAY) == R.KEY_CHANGE_NAME_ID
    # more than a year ago, or the same field again: the ordinary chain
    assert R.key_change_kind(CURRENT, {"id_number": "440106201701020038"}, [old], TODAY) == R.KEY_CHANGE
    assert R.key_change_kind(CURRENT, {"name": "张四"}, [name_done], TODAY) == R.KEY_CHANGE
    assert R.key_change_kind(CURRENT, {"gender": "2"}, [name_done, id_done], TODAY) == R.KEY_CHANGE


def test_which_changes_need_the_population_registry():
    assert R.needs_verification(CURRENT, {"name": "张四"})
    assert R.needs_verification(CURRENT, {"id_number": "440106201701020038"})
    assert not R.needs_verification(CURRENT, {"gender": "2"})
    assert not R.needs_verification(CURRENT, {"id_type": "A", "id_number": "E1234567"})
    foreign = {**CURRENT, "id_type": "A", "id_number": "E1234567"}
    assert R.needs_verification(foreign, {"id_type": "1", "id_number": "440106201701020011"})
