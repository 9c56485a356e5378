"""Generated registration rows — for tests, the demo data and the benchmarks. Valid
identities with correct check digits, never real people's data by intent."""

from __future__ import annotations

import datetime as dt

from xueji.students.rules import id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "子涵一诺欣怡梓轩浩然雨桐宇轩思彤俊杰嘉怡文博若曦明轩佳琪皓宇语嫣天佑诗涵志远"


def resident_id(prefix6: str, birth: dt.date, seq: int, gender: str) -> str:
    """A resident ID number: 6-digit division + birth date + 3-digit sequence (odd for 男,
    even for 女) + the GB 11643 check digit."""
    order = (seq % 499) * 2 + (1 if gender == "1" else 2)
    first17 = f"{prefix6}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


def person_name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13 + 3) % len(GIVEN)]


def student_row(school_code: str, class_code: str, i: int, *, birth: dt.date, division: str,
                gender: str | None = None, **overrides) -> dict:
    """One valid row of the 72-item template as {header: value}, resident ID type."""
    gender = gender or ("1" if i % 2 else "2")
    division6 = division[:6]
    row = {
        "学校标识码": school_code, "姓名": person_name(i), "性别": gender,
        "出生日期": f"{birth:%Y%m%d}", "出生地行政区划代码": division, "籍贯": division,
        "民族": "01", "国籍/地区": "CHN", "身份证件类型": "1", "港澳台侨外": "00", "健康状况": "10",
        "政治面貌": "13", "身份证件号": resident_id(division6, birth, i, gender), "户口性质": "2",
        "户口所在地行政区划": division, "班号": class_code, "入学年月": f"{class_code[:4]}09",
        "入学方式": "1", "就读方式": "1", "现住址": "测试路1号", "通信地址": "测试路1号",
        "家庭地址": "测试路1号", "联系电话": "13800138000", "邮政编码": "510000",
        "是否独生子女": "否", "是否受过学前教育": "是", "是否留守儿童": "否", "是否需要申请资助": "否",
        "是否享受一补": "否", "是否孤儿": "否", "是否烈士或优抚子女": "否",
        "是否进城务工人员随迁子女": "否", "上下学距离": "1.5",
        "成员1姓名": person_name(i + 5000), "成员1关系": "1", "成员1是否监护人": "是",
    }
    row.update(overrides)
    return row


def first_grade_birth(entry_year: int, i: int) -> dt.date:
    """A birth date that makes a pupil six by 31 August of ``entry_year``."""
    return dt.date(entry_year - 7, 9, 1) + dt.timedelta(days=i % 360)


def workbook_bytes(entry: str, rows: list[dict]) -> bytes:
    """The entry's template filled with ``rows`` ({header: value}), as .xlsx bytes."""
    import io

    from openpyxl import load_workbook

    from xueji.students.excel import DATA_SHEET, build_template

    book = load_workbook(io.BytesIO(build_template(entry)))
    sheet = book[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
