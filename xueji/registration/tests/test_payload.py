"""The registration business's content: its schema comes from the 72-item catalogue
(xueji/students/fields.py), so reviewers see labelled fields, never a raw dict."""

from __future__ import annotations

import re

from xueji.students import fields
from xueji.workflow import payloads


def _registration_payload():
    from xueji.registration.services import PAYLOAD

    values = {f.attr: "" for f in fields.STUDENT_FIELDS}
    values.update(name="张小明", gender="1", birth_date="2019-01-01", id_type="1", id_number="440106201901010019",
                  nationality="CHN", hmt="00", ethnicity="01", class_code="2025101", birthplace_code="440106000000",
                  only_child=False, commute_distance="1.5", phone="13800138000", government_funded_place=None)
    family = [{"seq": 1, "name": "张大明", "relation": "1", "id_type": "1", "id_number": "440106198501010015",
               "phone": "13900139000", "is_guardian": True, "employer": ""}]
    return PAYLOAD, {"values": values, "family": family, "klass_id": 3}


def test_registration_payload_labels_come_from_the_catalogue():
    schema, payload = _registration_payload()
    assert payloads.check(schema, payload) == []
    rows = payloads.display_rows(schema, payload)
    student = {r.label: r.text for r in rows if r.section == "学生信息"}
    member = {r.label: r.text for r in rows if r.section == "家庭成员1"}
    assert student["姓名"] == "张小明" and student["性别"] == "1-男" and student["出生日期"] == "2019-01-01"
    assert student["身份证件类型"] == "1-居民身份证" and student["身份证件号"] == "4401**********0019"
    assert student["民族"] == "01-汉族" and student["是否独生子女"] == "否" and student["上下学距离"] == "1.5"
    assert student["联系电话"] == "138****8000" and student["班号"] == "2025101"
    assert "曾用名" not in student  # empty fields are left out
    assert member == {"姓名": "张大明", "关系": "1-父亲", "联系电话": "139****9000", "是否监护人": "是",
                      "身份证件类型": "1-居民身份证", "身份证件号": "4401**********0015"}
    # nothing English, no raw dict, no full ID number
    text = " ".join(f"{r.section} {r.label} {r.text}" for r in rows)
    assert not re.search(r"[a-z_]{3,}", text) and "{" not in text
    assert "440106201901010019" not in text and "440106198501010015" not in text
    assert all(not r.label.startswith("成员") for r in rows)


def test_registration_payload_refuses_unknown_columns():
    schema, payload = _registration_payload()
    payload["values"]["favourite_colour"] = "红"
    payload["family"][0]["pet"] = "猫"
    errors = payloads.check(schema, payload)
    assert "业务内容“学生信息”含有未定义的项:favourite_colour" in errors
    assert "业务内容“家庭成员1”含有未定义的项:pet" in errors
    assert "业务内容缺少“班级”" in payloads.check(schema, {"values": {}})


def test_the_class_and_the_entry_month_read_as_a_person_says_them():
    schema, payload = _registration_payload()
    payload["values"]["entry_month"] = "202509"
    assert payloads.check(schema, payload) == []
    labels = {"2025101": "二年级1班(2025101)"}
    student = {r.label: r.text for r in payloads.display_rows(schema, payload, class_labels=labels)
               if r.section == "学生信息"}
    assert student["班号"] == "二年级1班(2025101)" and student["入学年月"] == "2025-09"
    # without the lookup (the API), the 班号 as it is; a malformed month is said to be so
    plain = {r.label: r.text for r in payloads.display_rows(schema, payload) if r.section == "学生信息"}
    assert plain["班号"] == "2025101"
    payload["values"]["entry_month"] = "2025-9"
    assert payloads.check(schema, payload) == ["业务内容“入学年月”格式不正确"]
    bad = {r.label: r.text for r in payloads.display_rows(schema, payload) if r.section == "学生信息"}
    assert bad["入学年月"] == payloads.BAD_VALUE
    assert payloads.codes_of_kind(schema, payload, "class") == {"2025101"}
