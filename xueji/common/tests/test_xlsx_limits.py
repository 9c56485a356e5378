"""Bounds of the streaming reader (issue 7 §6): a small .xlsx can expand to gigabytes.
The expanded size of the parts, the shared strings and the rows are bounded before the
rows are read, each with a clear Chinese message. The files are built in memory: a 45 MB
shared string compresses to a few dozen KB, a million empty rows likewise."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from xueji.common import xlsx_reader as X

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"

_FIXED = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/></Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="r1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
        '<sheet name="学生信息" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>'),
}


def _write(zf: zipfile.ZipFile, name: str, pieces) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as out:
        for piece in pieces:
            out.write(piece)


def workbook(rows, strings=None, compress=zipfile.ZIP_DEFLATED, prefix: str = "") -> bytes:
    """An .xlsx whose sheet XML is ``rows`` (an iterable of bytes pieces) and whose
    shared-string part is ``strings`` (likewise), written piece by piece."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress, compresslevel=9) as zf:
        for name, text in _FIXED.items():
            zf.writestr(name, text)
        p = f"{prefix}:" if prefix else ""
        ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
        _write(zf, "xl/worksheets/sheet1.xml", [
            f'<?xml version="1.0"?><{p}worksheet {ns}><{p}sheetData>'.encode(), *rows,
            f"</{p}sheetData></{p}worksheet>".encode()])
        if strings is not None:
            _write(zf, "xl/sharedStrings.xml", [f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode(),
                                                *strings, b"</sst>"])
    return buffer.getvalue()


def huge_string_workbook(megabytes: int = 45) -> bytes:
    chunk = b"A" * (1 << 20)
    strings = [b"<si><t>", *([chunk] * megabytes), b"</t></si>"]
    return workbook([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], strings)


def empty_rows_workbook(count: int) -> bytes:
    def rows():
        for start in range(1, count + 1, 10_000):
            yield b"".join(b'<row r="%d"/>' % n for n in range(start, min(start + 10_000, count + 1)))
    return workbook(rows())


def test_a_45_mb_shared_string_is_refused_early_and_cheaply():
    data = huge_string_workbook(45)
    assert len(data) < 200_000  # a few dozen KB on the wire
    tracemalloc.start()
    try:
        with pytest.raises(X.LimitError) as caught:
            X.open_first_sheet(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "文字过长" in caught.value.message
    assert peak < 16 << 20  # not the 45 MB string (nor the 500 MB it cost before)


def test_a_million_empty_rows_are_refused_before_reading():
    data = empty_rows_workbook(1_000_000)
    assert len(data) < 3 << 20
    with pytest.raises(X.LimitError) as caught:
        X.open_first_sheet(data, X.Limits(max_rows=200_000))
    assert "200,000行" in caught.value.message
    with pytest.raises(X.LimitError):
        X.check_workbook(data, X.Limits(max_rows=200_000))


def test_rows_within_the_bound_are_read():
    data = empty_rows_workbook(1000)
    with X.open_first_sheet(data, X.Limits(max_rows=1000)) as sheet:
        assert sum(1 for _ in sheet) == 1000
    with pytest.raises(X.LimitError):
        X.open_first_sheet(data, X.Limits(max_rows=999))


def test_the_row_count_sees_prefixed_rows_and_tags_cut_between_chunks(monkeypatch):
    monkeypatch.setattr(X, "CHUNK_SIZE", 7)  # every tag is cut somewhere
    rows = [b'<x:row r="%d"><x:c r="A%d"><x:v>1</x:v></x:c></x:row>' % (n, n) for n in range(1, 51)]
    data = workbook(rows, prefix="x")
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert X._count_rows(zf, "xl/worksheets/sheet1.xml", 10_000) == 50
    assert 11 <= X._count_rows(zf, "xl/worksheets/sheet1.xml", 10) < 50  # stops past the bound
    monkeypatch.undo()
    with X.open_first_sheet(data) as sheet:
        assert sum(1 for _ in sheet) == 50


def test_expanded_size_bound():
    data = workbook([b'<row r="1"><c r="A1"><v>1</v></c></row>' * 60_000])  # about 2.3 MB of XML
    with pytest.raises(X.LimitError) as caught:
        X.open_first_sheet(data, X.Limits(max_expanded_bytes=1 << 20))
    assert "解压后过大" in caught.value.message
    with pytest.raises(X.LimitError):
        X.check_zip(data, X.Limits(max_expanded_bytes=1 << 20))
    X.open_first_sheet(data, X.Limits(max_expanded_bytes=4 << 20)).close()


def test_shared_string_part_and_count_bounds():
    strings = [b"<si><t>%d</t></si>" % n for n in range(5000)]
    data = workbook([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], strings)
    with pytest.raises(X.LimitError) as caught:
        X.open_first_sheet(data, X.Limits(max_strings=1000))
    assert "共享文字超过1,000条" in caught.value.message
    with pytest.raises(X.LimitError) as caught:
        X.open_first_sheet(data, X.Limits(max_strings_bytes=10_000))
    assert "共享文字表过大" in caught.value.message
    with X.open_first_sheet(data) as sheet:
        assert next(iter(sheet)) == (1, ["0"])


def test_an_overlong_row_is_refused():
    big = b"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>" + b"B" * (20 << 20) + b"</t></is></c></row>"
    data = workbook([big])
    with pytest.raises(X.LimitError) as caught, X.open_first_sheet(data) as sheet:
        list(sheet)
    assert "一行超过" in caught.value.message


def test_too_many_parts():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for n in range(50):
            zf.writestr(f"x/{n}.xml", "<a/>")
    with pytest.raises(X.LimitError) as caught:
        X.check_zip(buffer.getvalue(), X.Limits(max_members=10))
    assert "部件过多" in caught.value.message


def test_not_a_zip_passes_the_zip_check():
    X.check_zip(b"plain text")
    X.check_workbook(b"plain text")
