"""学籍卡 (SPEC F-49, seed 004 §10 学籍卡片管理): the printable record card of a student as
a Word document — 学籍基本信息 (the groups of the 72-item template, codes with their
Chinese names), 家庭成员, the photo when there is one, and 学籍变动情况 (when, what, at
which school).

Reads only (set-based: a fixed number of queries for any number of students, see
:func:`card_data`); the pages and the background job (``students.record_cards``) call
:func:`docx_of` (one card, or many with a page break between them) and :func:`zip_of`
(one ``<全国学籍号>.docx`` per student). Plain python-docx features only (paragraphs,
tables with the built-in "Table Grid" style, merged cells, one inline picture, page
breaks) so Word and WPS open the file alike.

The card is the school's official record of the student, so it carries the full ID
numbers (docs/DECISIONS.md); producing it is a personal-data export, audited by the
caller.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from xueji.codes import tables
from xueji.common.masking import mask_id_number, mask_national_number, mask_phone

from . import fields as F
from . import rules
from .models import EventKind, FamilyMember, RecordEvent, StatusChange, Student

TITLE = "学生学籍卡"
#: Columns of 学籍基本信息 left out of the groups: shown in the header rows instead
#: (学校, 班级 by name) or not a value of the record.
_SHOWN_ABOVE = {"school_code", "class_code", "name", "gender", "birth_date", "id_type", "id_number", "nationality",
                "hmt", "ethnicity"}
_FAMILY_COLUMNS = ("关系", "姓名", "是否监护人", "联系电话", "身份证件类型", "身份证件号", "工作单位")
_HISTORY_COLUMNS = ("学籍变动时间", "学籍变动情况", "所在学校")


@dataclass
class Card:
    """What one card shows, as text (display values already decided)."""

    student_id: int
    national_number: str
    name: str
    school_name: str
    school_code: str
    head: list[tuple[str, str]]
    groups: list[tuple[str, list[tuple[str, str]]]]
    family: list[tuple[str, ...]]
    history: list[tuple[str, str, str]]
    photo: bytes | None = None
    photo_note: str = ""
    generated: str = field(default_factory=lambda: timezone.localdate().isoformat())


# --- display values ----------------------------------------------------------------------------

def _date(value) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else \
            value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value or "")


def _yes_no(value) -> str:
    return "" if value is None else ("是" if value else "否")


def _value(fld: F.Field, value, divisions: dict[str, str], masked: bool = False) -> str:
    """One value of the record as a person reads it: codes "1-男", 是/否, YYYY-MM-DD,
    divisions by their full name, 入学年月 YYYY-MM; ID and phone numbers masked when
    ``masked`` (the page; the Word card carries them whole)."""
    if value is None or value == "":
        return ""
    if masked and fld.kind == "id_number":
        return mask_id_number(str(value))
    if masked and fld.kind == "phone":
        return mask_phone(str(value))
    if fld.kind == "bool":
        return _yes_no(value)
    if fld.kind == "code":
        return tables.label(fld.code_table, value)
    if fld.kind == "choice":
        return next((f"{code}-{name}" for code, name in fld.options or () if code == value), str(value))
    if fld.kind == "date":
        return _date(value)
    if fld.kind == "division":
        name = divisions.get(value)
        return f"{value} {name}" if name else str(value)
    if fld.kind == "yearmonth" and len(str(value)) == 6:
        return f"{str(value)[:4]}-{str(value)[4:]}"
    return str(value)


def _division_names(codes: Iterable[str]) -> dict[str, str]:
    from xueji.org.models import Division

    codes = {c for c in codes if c}
    if not codes:
        return {}
    return {d.code: d.full_name for d in Division.objects.filter(code__in=codes).select_related("parent__parent")}


def _photo_of(student: Student) -> tuple[bytes | None, str]:
    """The photo's bytes if the record has one that reads as a JPEG or PNG image
    (``photo`` is guarded: the field may be named or typed otherwise later)."""
    photo = getattr(student, "photo", None)
    if not photo:
        return None, ""
    try:
        with photo.open("rb") as handle:
            content = handle.read(2 * 1024 * 1024 + 1)
    except (OSError, ValueError):
        return None, "照片文件无法读取"
    if len(content) > 2 * 1024 * 1024 or not (content.startswith(b"\xff\xd8\xff")
                                               or content.startswith(b"\x89PNG\r\n\x1a\n")):
        return None, "照片格式不正确,未显示"
    return content, ""


def _history(students: Sequence[Student]) -> dict[int, list[tuple[str, str, str]]]:
    """学籍变动情况 of each student, oldest first: the registration (at the school the
    record's history names for it: a transferred record was registered elsewhere), then
    every status change with its date, what changed and the school at the time
    (``StatusChange``; a transfer writes 在校→转出 at the old school and 转出→在校 at the
    new one). Two queries and one for the schools' names."""
    from xueji.org.models import School

    ids = [s.pk for s in students]
    changes = list(StatusChange.objects.filter(student_id__in=ids).order_by("student_id", "date", "pk")
                   .values_list("student_id", "date", "old_status", "new_status", "reason", "school_id"))
    registered = dict(RecordEvent.objects.filter(student_id__in=ids, kind=EventKind.REGISTERED)
                      .order_by("student_id", "-at").values_list("student_id", "school_id"))
    wanted = {c[5] for c in changes} | set(registered.values())
    names = dict(School.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    rows: dict[int, list[tuple[str, str, str]]] = {}
    for s in students:
        school = names.get(registered.get(s.pk), s.school.name)
        rows[s.pk] = [(_date(s.registered_at), f"在{school}完成学籍注册", school)]
    for student_id, date, old, new, reason, school_id in changes:
        text = f"{rules.STATUS_NAMES.get(old, old)} → {rules.STATUS_NAMES.get(new, new)}"
        if reason:
            text += f"({reason})"
        rows[student_id].append((_date(date), text, names.get(school_id, "")))
    return rows


def card_data(students: Iterable[Student] | Iterable[int], *, masked: bool = False) -> list[Card]:
    """The cards of ``students`` (records or ids; the caller has scoped them), in the order
    given; ``masked``: ID numbers, G numbers and phone numbers masked, for the page. A
    fixed number of queries: the records with school, grade and class, their family
    members, their status changes, the division names."""
    from xueji.org.rules import class_label, school_year_of

    ids = [s.pk if isinstance(s, Student) else s for s in students]
    records = {s.pk: s for s in Student.objects.filter(pk__in=ids).select_related("school", "grade", "klass")}
    ordered = [records[pk] for pk in ids if pk in records]
    family: dict[int, list[FamilyMember]] = {}
    for member in FamilyMember.objects.filter(student_id__in=records).order_by("student_id", "seq"):
        family.setdefault(member.student_id, []).append(member)
    division_attrs = [f.attr for f in F.STUDENT_FIELDS if f.kind == "division"]
    divisions = _division_names([getattr(s, a) for s in ordered for a in division_attrs])
    history = _history(ordered)
    year = school_year_of(timezone.localdate())
    by_attr = F.BY_ATTR
    member_fields = {f.attr: f for f in F.MEMBER_FIELDS[1]}
    cards = []
    for s in ordered:
        school = s.school
        years = {"1": school.primary_years, "2": school.junior_years, "3": school.senior_years}
        klass = (class_label(s.grade.stage, s.grade.entry_year, s.klass.name, s.klass.code, year, years)
                 if s.klass is not None else "待分班")
        head = [
            ("姓名", s.name), ("性别", _value(by_attr["gender"], s.gender, divisions)),
            ("出生日期", _date(s.birth_date)), ("民族", _value(by_attr["ethnicity"], s.ethnicity, divisions)),
            ("全国学籍号", mask_national_number(s.national_number) if masked else s.national_number), ("学籍状态", rules.STATUS_NAMES.get(s.status, s.status)),
            ("身份证件类型", _value(by_attr["id_type"], s.id_type, divisions)), ("身份证件号", _value(by_attr["id_number"], s.id_number, divisions, masked)),
            ("国籍/地区", _value(by_attr["nationality"], s.nationality, divisions)),
            ("港澳台侨外", _value(by_attr["hmt"], s.hmt, divisions)),
            ("所在学校", school.name), ("学校标识码", school.code),
            ("所在班级", klass), ("班号", s.klass.code if s.klass is not None else ""),
        ]
        groups = []
        for key, title in F.GROUPS:
            if key == "family":
                continue
            pairs = [(f.header, _value(f, getattr(s, f.attr, None), divisions, masked)) for f in F.STUDENT_FIELDS
                     if f.group == key and f.attr not in _SHOWN_ABOVE and hasattr(s, f.attr)]
            if pairs:
                groups.append((title, pairs))
        members = [(
            _value(member_fields["relation"], m.relation, divisions)
            + (f"({m.relation_note})" if m.relation_note else ""),
            m.name, _yes_no(m.is_guardian), _value(member_fields["phone"], m.phone, divisions, masked),
            _value(member_fields["id_type"], m.id_type, divisions),
            _value(member_fields["id_number"], m.id_number, divisions, masked), m.employer,
        ) for m in family.get(s.pk, [])]
        photo, note = _photo_of(s)
        cards.append(Card(student_id=s.pk, national_number=s.national_number, name=s.name,
                          school_name=school.name, school_code=school.code, head=head, groups=groups,
                          family=members, history=history.get(s.pk, []), photo=photo, photo_note=note))
    return cards


# --- the Word document ---------------------------------------------------------------------------

def _new_document():
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.5)
    return document


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Usable width of an A4 page with 1.8 cm margins, in twentieths of a point.
_TABLE_WIDTH = 9764


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    # characters XML 1.0 does not allow would make Word refuse the file
    clean = "".join(ch for ch in str(text) if ch in "\t\n" or ord(ch) >= 0x20)
    return escape(clean)


def _cell(text: str, width: int, *, span: int = 1, bold: bool = False) -> str:
    props = f'<w:tcW w:type="dxa" w:w="{width}"/>' + (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "")
    run = ""
    if text:
        run = "<w:r>" + ("<w:rPr><w:b/></w:rPr>" if bold else "") + f'<w:t xml:space="preserve">{_esc(text)}</w:t></w:r>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p>{run}</w:p></w:tc>"


def _table(widths: Sequence[int], rows: list[list[tuple[str, int, bool]]]):
    """A table with the built-in "Table Grid" style, as python-docx writes one: ``rows``
    of cells ``(text, columns spanned, bold)``. Built as one XML string (python-docx's
    cell-by-cell API costs tens of milliseconds a card)."""
    from docx.oxml import parse_xml

    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    body = []
    for row in rows:
        cells, col = [], 0
        for text, span, bold in row:
            cells.append(_cell(text, sum(widths[col:col + span]), span=span, bold=bold))
            col += span
        body.append("<w:tr>" + "".join(cells) + "</w:tr>")
    return parse_xml(
        f'<w:tbl xmlns:w="{_W}"><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" '
        f'w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(body)}</w:tbl>')


def _append(document, element) -> None:
    body = document.element.body
    body.insert(len(body) - 1, element)  # before the final sectPr


def _pairs_rows(pairs: list[tuple[str, str]], title: str) -> list[list[tuple[str, int, bool]]]:
    rows = [[(title, 4, True)]]
    for i in range(0, len(pairs), 2):
        row: list[tuple[str, int, bool]] = []
        for label, value in pairs[i:i + 2]:
            row += [(label, 1, True), (value, 1, False)]
        if len(row) == 2:
            row += [("", 1, False), ("", 1, False)]
        rows.append(row)
    return rows


def _list_table(columns: Sequence[str], title: str, rows: list[tuple[str, ...]], empty: str,
                widths: Sequence[int]):
    n = len(columns)
    body = [[(title, n, True)], [(c, 1, True) for c in columns]]
    body += [[(v, 1, False) for v in row] for row in rows] or [[(empty, n, False)]]
    return _table(widths, body)


_PAIR_WIDTHS = (1900, 2982, 1900, 2982)
_FAMILY_WIDTHS = (1300, 1300, 1000, 1500, 1500, 2164, 1000)
_HISTORY_WIDTHS = (2200, 4764, 2800)


def _add_card(document, card: Card) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(TITLE)
    run.bold, run.font.size = True, Pt(18)
    document.add_paragraph(f"学校:{card.school_name}({card.school_code})    打印日期:{card.generated}")
    if card.photo is not None:
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        try:
            picture.add_run().add_picture(io.BytesIO(card.photo), height=Cm(3.2))
        except Exception:  # an image python-docx can't place: the card still prints
            picture.add_run("照片格式不正确,未显示")
    photo = "见上方" if card.photo is not None else (card.photo_note or "暂无")
    rows = _pairs_rows(card.head + [("照片", photo)], "学籍基本信息")
    for title, pairs in card.groups:
        rows += _pairs_rows(pairs, title)
    _append(document, _table(_PAIR_WIDTHS, rows))
    document.add_paragraph()
    _append(document, _list_table(_FAMILY_COLUMNS, "家庭成员信息", card.family, "无家庭成员信息", _FAMILY_WIDTHS))
    document.add_paragraph()
    _append(document, _list_table(_HISTORY_COLUMNS, "学籍变动情况", card.history, "无学籍变动", _HISTORY_WIDTHS))


def docx_of(cards: Sequence[Card]) -> bytes:
    """One Word document with every card of ``cards``, a page break between two."""
    if len(cards) == 1 and cards[0].photo is None:
        return _quick_docx(cards[0])
    document = _new_document()
    for i, card in enumerate(cards):
        if i:
            document.add_page_break()
        _add_card(document, card)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _Blank:
    """A blank card document kept per process: its package (styles, settings …) saved
    once, and the document whose body is refilled for each card without a photo — the
    body is all that differs between two such cards, so a card costs its own XML and one
    small zip instead of loading and saving the whole package (F-49: ≥ 50 cards/s)."""

    def __init__(self) -> None:
        self.document = _new_document()
        out = io.BytesIO()
        self.document.save(out)
        with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
            self.entries = [(info, package.read(info.filename)) for info in package.infolist()]
        body = self.document.element.body
        self.section = body[-1]

    def render(self, card: Card) -> bytes:
        from docx.opc.oxml import serialize_part_xml

        body = self.document.element.body
        for child in list(body):
            if child is not self.section:
                body.remove(child)
        _add_card(self.document, card)
        xml = serialize_part_xml(self.document.element)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
            for info, content in self.entries:
                package.writestr(info.filename, xml if info.filename == "word/document.xml" else content)
        return out.getvalue()


#: One blank document per thread (a threaded server renders two cards at once).
_local = threading.local()


def _quick_docx(card: Card) -> bytes:
    blank = getattr(_local, "blank", None)
    if blank is None:
        blank = _local.blank = _Blank()
    return blank.render(card)


def filename_of(card: Card) -> str:
    return f"{card.national_number}.docx"


def zip_of(cards: Iterable[Card], *, progress=None) -> bytes:
    """A zip with one ``<全国学籍号>.docx`` per card; ``progress(k)`` after each. The
    documents are compressed already: stored as they are."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for card in cards:
            archive.writestr(filename_of(card), docx_of([card]))
            if progress is not None:
                progress(1)
    return out.getvalue()


# --- the export (an audited personal-data export) --------------------------------------------------

#: Cards built and written at a time in the job (memory stays bounded by one chunk's cards).
CHUNK = 200


def export_one(student: Student, user, *, request=None) -> tuple[bytes, str]:
    """学籍卡导出 of one student (the caller has scoped the record): the Word document and
    its name ``<全国学籍号>.docx``; one audit entry (a personal-data export)."""
    from xueji.audit.services import record_event

    (card,) = card_data([student])
    content = docx_of([card])
    record_event(action="students.record_card_exported",
                 summary=f"导出学籍卡:{student.name}({student.national_number})",
                 actor=user, request=request, target=student, school=student.school,
                 after={"students": [student.pk], "format": "docx"})
    return content, filename_of(card)


def build_many(student_ids: Sequence[int], *, fmt: str = "zip", progress=None) -> tuple[bytes, str, int]:
    """学籍卡批量导出: the cards of ``student_ids`` (scoped and checked by the caller) as a
    zip of ``<全国学籍号>.docx`` (``fmt="zip"``) or one document with a page break between
    two cards (``"docx"``); built ``CHUNK`` records at a time, ``progress(done)`` after
    each chunk. Returns (bytes, file name, number of cards); the caller audits the export
    (:func:`record_many_exported`)."""
    if fmt not in ("zip", "docx"):
        raise ValueError(fmt)
    ids = list(student_ids)
    count = 0
    if fmt == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
            for start in range(0, len(ids), CHUNK):
                for card in card_data(ids[start:start + CHUNK]):
                    archive.writestr(filename_of(card), docx_of([card]))
                    count += 1
                if progress is not None:
                    progress(min(len(ids), start + CHUNK))
        content = out.getvalue()
    else:
        cards: list[Card] = []
        for start in range(0, len(ids), CHUNK):
            cards += card_data(ids[start:start + CHUNK])
            if progress is not None:
                progress(min(len(ids), start + CHUNK))
        content, count = docx_of(cards), len(cards)
    first = Student.objects.filter(pk__in=ids[:1]).select_related("school").first()
    school = first.school.name if first else ""
    return content, f"学籍卡({school}{count}人).{fmt}", count


def record_many_exported(student_ids: Sequence[int], count: int, user, *, fmt: str,
                         second: tuple[str, str] = ("", "")) -> None:
    """The audit entry of a batch export: a personal-data export of ``count`` cards,
    naming the account that verified it (F-14)."""
    from xueji.audit.services import record_event

    ids = list(student_ids)
    first = Student.objects.filter(pk__in=ids[:1]).select_related("school").first()
    name, username = second
    record_event(action="students.record_cards_exported",
                 summary=f"批量导出学籍卡:{count}人" + (f",{user.real_name}({user.username})经{name}({username})验证"
                                                 if username else ""),
                 actor=user, school=first.school if first else None,
                 after={"students": ids[:1000], "count": count, "format": fmt, "second_username": username,
                        "second_name": name})
