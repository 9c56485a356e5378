"""The 72-item Excel template and the sheet reader (SPEC F-40)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from xueji.students import excel
from xueji.students import fields as F
from xueji.students import rules as R

TODAY = dt.date(2025, 9, 10)


def xlsx(rows: list[list[object]], *, start_row: int = 1, start_col: int = 1, sheets: int = 1) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row, start=start_col):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for n in range(1, sheets):
        wb.create_sheet(f"Sheet{n + 1}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill_template(entry: str, rows: list[dict[str, object]]) -> bytes:
    wb = load_workbook(io.BytesIO(excel.build_template(entry)))
    ws = wb[excel.DATA_SHEET]
    headers = [c.value for c in ws[1]]
    for row in rows:
        ws.append([row.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# Template.
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", excel.TEMPLATE_ENTRIES)
def test_template_header_row(entry):
    wb = load_workbook(io.BytesIO(excel.build_template(entry)))
    assert wb.sheetnames[0] == excel.DATA_SHEET
    ws = wb[excel.DATA_SHEET]
    assert tuple(c.value for c in ws[1]) == F.headers()
    assert ws.max_row == 1  # no second row: data start in row 2
    assert ws.freeze_panes == "A2"
    assert all(c.comment is not None and c.comment.text for c in ws[1])
    assert "关键数据" in ws["B1"].comment.text  # 姓名


def test_template_entries():
    assert set(excel.TEMPLATE_ENTRIES) == {"primary-resident", "primary-foreign", "other-resident", "other-foreign"}
    with pytest.raises(ValueError):
        excel.build_template("primary-no-id")
    with pytest.raises(KeyError):
        excel.build_template("nope")
    assert excel.template_filename("primary-resident") == "居民身份证小学新生注册导入模板.xlsx"


def test_template_is_a_plain_xlsx_without_macros():
    data = excel.build_template("primary-resident")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not any("vba" in n.lower() for n in names)


def _validations(ws):
    """column letter → list formula."""
    result = {}
    for dv in ws.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            letter = "".join(ch for ch in cell_range.coord.split(":")[0] if ch.isalpha())
            result[letter] = (dv.type, dv.formula1, str(cell_range.coord))
    return result


def _list_values(wb, formula: str) -> list[str]:
    sheet, ref = formula.split("!")
    assert sheet.strip("'") == excel.CODE_SHEET
    ws = wb[excel.CODE_SHEET]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


def test_hidden_code_sheet_and_drop_downs():
    from openpyxl.utils import get_column_letter

    wb = load_workbook(io.BytesIO(excel.build_template("primary-resident")))
    assert wb[excel.CODE_SHEET].sheet_state == "hidden"
    assert wb[excel.HELP_SHEET].sheet_state == "visible"
    ws = wb[excel.DATA_SHEET]
    validations = _validations(ws)
    letter = {f.header: get_column_letter(i) for i, f in enumerate(F.FIELDS, start=1)}
    for f in F.FIELDS:
        has_list = f.kind in ("code", "bool", "choice")
        assert (letter[f.header] in validations) is has_list, f.header
    kind, formula, coord = validations[letter["性别"]]
    assert kind == "list" and coord.endswith(str(excel.TEMPLATE_ROWS + 1)) and coord.startswith(letter["性别"] + "2")
    assert _list_values(wb, formula) == ["1-男", "2-女"]
    assert _list_values(wb, validations[letter["民族"]][1])[0] == "01-汉族"
    assert _list_values(wb, validations[letter["是否孤儿"]][1]) == ["是", "否"]
    assert _list_values(wb, validations[letter["身份证件类型"]][1]) == ["1-居民身份证"]
    # members may hold any document
    assert len(_list_values(wb, validations[letter["成员1身份证件类型"]][1])) == 7
    nationality = _list_values(wb, validations[letter["国籍/地区"]][1])
    assert nationality[0] == "CHN-中国" and len(nationality) > 200
    # every list value parses back to its code
    from xueji.codes import tables as codes
    for f in F.FIELDS:
        if f.kind == "code":
            for value in _list_values(wb, validations[letter[f.header]][1]):
                assert codes.parse(f.code_table, value) is not None, (f.header, value)


def test_foreign_template_offers_foreign_documents():
    from openpyxl.utils import get_column_letter

    wb = load_workbook(io.BytesIO(excel.build_template("other-foreign")))
    ws = wb[excel.DATA_SHEET]
    col = get_column_letter(F.headers().index("身份证件类型") + 1)
    values = _list_values(wb, _validations(ws)[col][1])
    assert [v.split("-")[0] for v in values] == ["6", "7", "8", "9", "A"]
    assert tuple(c.value for c in ws[1]) == F.headers()  # same columns as the resident template


def test_text_format_columns():
    from openpyxl.utils import get_column_letter

    wb = load_workbook(io.BytesIO(excel.build_template("primary-resident")))
    ws = wb[excel.DATA_SHEET]
    for i, f in enumerate(F.FIELDS, start=1):
        dim = ws.column_dimensions[get_column_letter(i)]
        assert (dim.number_format == "@") is (f.kind != "decimal1"), f.header
        assert dim.width and dim.width >= 8


# --------------------------------------------------------------------------------------
# Reading.
# --------------------------------------------------------------------------------------
def test_round_trip_template_rows_clean():
    example = F.example_row()
    number = "44010620190202002" + R.id_check_digit("44010620190202002")
    second = dict(example, 姓名="李小红", 性别="2-女", 身份证件号=number, 出生日期="20190202")
    data = fill_template("primary-resident", [example, {}, second])
    rows = list(excel.read_rows(data))
    assert [n for n, _ in rows] == [2, 4]  # the empty row 3 is skipped, numbers are the sheet's
    assert set(rows[0][1]) == set(F.headers())
    assert rows[0][1]["姓名"] == "张小明" and rows[1][1]["姓名"] == "李小红"
    # text-formatted cells come back as text, ID numbers intact
    assert rows[0][1]["身份证件号"] == "440106201901010019"
    context = R.CleanContext(
        entry="resident", first_grade=True, today=TODAY, known_division_codes={"440106000000"},
        classes={"2025101": ("1", 2025)}, school_code="3440106001",
    )
    results = [R.clean_row(values, context=context) for _, values in rows]
    assert [r.errors for r in results] == [[], []]
    assert results[1].values["gender"] == "2"


def test_any_column_order_and_extra_columns():
    data = xlsx([
        ["备注", "身份证件号", "姓名", "性别"],
        ["x", "440106201901010019", "张三", "1-男"],
    ])
    assert list(excel.read_rows(data)) == [(2, {"身份证件号": "440106201901010019", "姓名": "张三", "性别": "1-男"})]


def test_header_with_spaces_full_width_and_marks():
    data = xlsx([[" 姓名 ", "国籍／地区", "*身份证件号", "性　别"], ["张三", "CHN", "x", "1"]])
    ((number, values),) = excel.read_rows(data)
    assert number == 2
    assert values == {"姓名": "张三", "国籍/地区": "CHN", "身份证件号": "x", "性别": "1"}


def test_title_rows_and_offset_data():
    # a title above the header and the table not starting in A1: row numbers stay the sheet's
    data = xlsx([["学生信息表"], [], ["姓名", "性别", "出生日期"], [], ["张三", "男", "20190101"]],
                start_row=2, start_col=3)
    assert list(excel.read_rows(data)) == [(6, {"姓名": "张三", "性别": "男", "出生日期": "20190101"})]


def test_numeric_and_date_cells():
    data = xlsx([
        ["姓名", "性别", "出生日期", "身份证件号", "上下学距离", "入学年月"],
        ["张三", 1, dt.datetime(2019, 1, 1), 440106201901010019, 1.5, 202509],
    ])
    ((_, values),) = excel.read_rows(data)
    assert values["性别"] == 1
    assert values["出生日期"] in (dt.date(2019, 1, 1), dt.datetime(2019, 1, 1))
    assert isinstance(values["身份证件号"], (int, float))
    assert values["上下学距离"] == 1.5 and values["入学年月"] == 202509
    # and the rules make sense of them
    result = R.clean_row(values, context=R.CleanContext(today=TODAY))
    assert R.EXCEL_NUMBER_MESSAGE in result.errors
    assert result.values["gender"] == "1" and result.values["birth_date"] == dt.date(2019, 1, 1)
    assert result.values["entry_month"] == "202509"


def test_file_object_and_path(tmp_path):
    data = xlsx([["姓名", "性别", "民族"], ["张三", "1", "01"]])
    path = tmp_path / "a.xlsx"
    path.write_bytes(data)
    expected = [(2, {"姓名": "张三", "性别": "1", "民族": "01"})]
    assert list(excel.read_rows(path)) == expected
    assert list(excel.read_rows(str(path))) == expected
    assert list(excel.read_rows(io.BytesIO(data))) == expected


def test_reads_first_visible_sheet():
    wb = Workbook()
    hidden = wb.active
    hidden.title = "隐藏"
    hidden.append(["姓名", "性别", "民族"])
    hidden.append(["不该读", "1", "01"])
    hidden.sheet_state = "hidden"
    visible = wb.create_sheet("学生")
    visible.append(["姓名", "性别", "民族"])
    visible.append(["张三", "1", "01"])
    out = io.BytesIO()
    wb.save(out)
    assert [v["姓名"] for _, v in excel.read_rows(out.getvalue())] == ["张三"]


def test_custom_headers():
    data = xlsx([["学籍号", "姓名", "录取学校标识码"], ["G440106201901010019", "张三", "3440106001"]])
    rows = list(excel.read_rows(data, headers=["学籍号", "姓名", "毕业学校标识码", "录取学校标识码", "教育阶段"]))
    assert rows == [(2, {"学籍号": "G440106201901010019", "姓名": "张三", "录取学校标识码": "3440106001"})]


@pytest.mark.parametrize("content", [
    b"this is not a workbook",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    b"PK\x03\x04 broken zip",
    "姓名,性别\n张三,1\n".encode(),
    b"",
])
def test_not_an_excel_file(content):
    with pytest.raises(excel.ExcelFormatError, match="文件不是有效的Excel文件"):
        list(excel.read_rows(content))


def test_renamed_text_file(tmp_path):
    path = tmp_path / "students.xlsx"
    path.write_text("姓名\t性别\n", encoding="utf-8")
    with pytest.raises(excel.ExcelFormatError, match="文件不是有效的Excel文件"):
        list(excel.read_rows(path))


def test_empty_sheet():
    with pytest.raises(excel.ExcelFormatError, match="Excel文件中没有数据"):
        list(excel.read_rows(xlsx([])))


def test_header_only_has_no_data():
    with pytest.raises(excel.ExcelFormatError, match="Excel文件中没有数据"):
        list(excel.read_rows(excel.build_template("primary-resident")))


def test_no_header_row():
    data = xlsx([["a", "b", "c"], ["张三", "1", "01"]])
    with pytest.raises(excel.ExcelFormatError, match="未找到表头行"):
        list(excel.read_rows(data))


def test_duplicate_header():
    data = xlsx([["姓名", "性别", "姓名 "], ["张三", "1", "李四"]])
    with pytest.raises(excel.ExcelFormatError, match="表头“姓名”重复"):
        list(excel.read_rows(data))


def test_rows_are_streamed():
    rows = [["姓名", "性别", "民族"]] + [[f"学生{i}", "1", "01"] for i in range(50)]
    iterator = excel.read_rows(xlsx(rows))
    assert next(iterator) == (2, {"姓名": "学生0", "性别": "1", "民族": "01"})
    assert sum(1 for _ in iterator) == 49


# --------------------------------------------------------------------------------------
# Reading: the streaming .xlsx reader and the calamine fallback.
# --------------------------------------------------------------------------------------
def ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet (strings only), which only calamine reads."""
    def cell(value: str) -> str:
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + ("".join(cell(v) for v in row) or "<table:table-cell/>")
                   + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="学生">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"))
    return out.getvalue()


def test_other_formats_go_to_calamine():
    data = ods([["学生名单"], ["姓名", "性别", "民族"], ["张三", "1", "01"], [], ["李四", "2", "02"]])
    assert list(excel.read_rows(data)) == [
        (3, {"姓名": "张三", "性别": "1", "民族": "01"}),
        (5, {"姓名": "李四", "性别": "2", "民族": "02"}),
    ]


@pytest.mark.parametrize("content", [
    b"PK\x05\x06" + b"\x00" * 18,  # an empty zip
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # an OLE2 header (.xls, encrypted .xlsx) with no body
])
def test_unreadable_zip_and_ole_files(content):
    with pytest.raises(excel.ExcelFormatError, match="文件不是有效的Excel文件"):
        list(excel.read_rows(content))


def _calamine_only(monkeypatch):
    def refuse(source, limits=None):
        raise excel.xlsx_reader.NotXlsxError("forced")

    monkeypatch.setattr(excel.xlsx_reader, "open_first_sheet", refuse)


def test_streaming_and_calamine_give_the_same_rows(monkeypatch):
    example = F.example_row()
    workbooks = [
        fill_template("primary-resident", [example, {}, dict(example, 姓名="李小红", 出生日期="20190202")]),
        xlsx([["学生信息表"], [], ["姓名", "性别", "出生日期"], [], ["张三", "男", "20190101"]],
             start_row=2, start_col=3),
        xlsx([
            ["姓名", "性别", "出生日期", "身份证件号", "上下学距离", "入学年月", "是否孤儿"],
            ["张三", 1, dt.datetime(2019, 1, 1), 440106201901010019, 1.5, 202509, True],
            ["  ", None, dt.date(2019, 1, 2), "", 0, None, False],
            [" 王五 ", "2", dt.datetime(2019, 1, 3, 8, 30), "4401&<>", -1e-3, "2025-09", None],
        ]),
    ]
    streamed = [list(excel.read_rows(data)) for data in workbooks]
    _calamine_only(monkeypatch)
    assert [list(excel.read_rows(data)) for data in workbooks] == streamed
    assert [n for n, _ in streamed[0]] == [2, 4] and [n for n, _ in streamed[2]] == [2, 3, 4]


def test_duplicate_header_names_the_sheet_columns():
    data = xlsx([["姓名", "性别", "姓名"], ["张三", "1", "李四"]], start_col=3)
    with pytest.raises(excel.ExcelFormatError, match="第C列和第E列"):
        list(excel.read_rows(data))


def test_header_must_be_in_the_first_ten_rows():
    rows = [["说明"]] + [[] for _ in range(10)] + [["姓名", "性别", "民族"], ["张三", "1", "01"]]
    with pytest.raises(excel.ExcelFormatError, match="未找到表头行"):
        list(excel.read_rows(xlsx(rows)))
    rows = [["说明"]] * 9 + [["姓名", "性别", "民族"], ["张三", "1", "01"]]
    assert list(excel.read_rows(xlsx(rows))) == [(11, {"姓名": "张三", "性别": "1", "民族": "01"})]


def test_sheet_of_formatted_blank_cells_has_no_data():
    wb = Workbook()
    ws = wb.active
    for row in range(1, 30):
        ws.cell(row=row, column=2).number_format = "@"
        ws.cell(row=row, column=3, value="  ")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(excel.ExcelFormatError, match="Excel文件中没有数据"):
        list(excel.read_rows(out.getvalue()))


def test_data_beyond_the_header_search_without_header():
    rows = [[] for _ in range(12)] + [["张三", "1", "01"]]
    with pytest.raises(excel.ExcelFormatError, match="未找到表头行"):
        list(excel.read_rows(xlsx(rows)))


def test_damaged_sheet_body_is_reported_when_reached():
    head = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>性别</t></is></c>'
    head += '<c r="C1" t="inlineStr"><is><t>民族</t></is></c></row>'
    good = '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2"><v>1</v></c></row>'
    bad = '<row r="3"><c r="A3" t="zz"><v>1</v></c></row>'
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{head}{good}{bad}</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([["x"]]))) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else source.read(name))
    rows = excel.read_rows(out.getvalue())
    assert next(rows) == (2, {"姓名": "张三", "性别": 1.0, "民族": ""})
    with pytest.raises(excel.ExcelFormatError, match="文件不是有效的Excel文件"):
        next(rows)


def test_uploaded_file_object():
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = xlsx([["姓名", "性别", "民族"], ["张三", "1", "01"]])
    upload = SimpleUploadedFile("学生.xlsx", data)
    upload.read(10)  # wherever the file position is
    assert list(excel.read_rows(upload)) == [(2, {"姓名": "张三", "性别": "1", "民族": "01"})]
    upload = SimpleUploadedFile("学生.ods", ods([["姓名", "性别", "民族"], ["张三", "1", "01"]]))
    assert list(excel.read_rows(upload)) == [(2, {"姓名": "张三", "性别": "1", "民族": "01"})]
