"""A streaming reader of the first visible worksheet of an .xlsx workbook (standard library only).

:func:`open_first_sheet` opens an Office Open XML workbook (.xlsx, .xlsm), loads the small
parts (workbook, relationships, styles) and the shared-string table, and returns a
:class:`Sheet` whose iteration yields ``(sheet row number, [cell values])`` for every
``<row>`` of the sheet XML, in file order. The sheet part is decompressed 1 MB at a time
and cut into rows and cells with compiled regular expressions, so memory stays bounded
by the shared strings plus a couple of chunks, whatever the number of rows.

The values mirror what python-calamine 0.9.1 gives through ``sheet.iter_rows()``:

- strings (shared, inline, cached formula results) as ``str``; ``<t>`` text without
  ``xml:space="preserve"`` is trimmed of ASCII white space; the ``_x00HH_`` escapes are
  decoded; phonetic runs (``<rPh>``) are left out of rich text;
- every number as ``float`` (calamine gives 1.0 for ``<v>1</v>``), or, when the cell's
  style has a date/time number format (built-in ids 14-22, 27-36, 45, 47, 50-58 or a
  custom format with date tokens outside quotes and brackets), a ``datetime.time``
  (serial < 1), a ``datetime.date`` (whole serial) or a ``datetime.datetime``; a duration
  format (``[h]:mm:ss``, built-in 46) gives a ``datetime.timedelta``; the 1904 date system
  and Excel's 1900 leap-year bug are honoured; a serial out of Python's range stays a float;
- ``t="b"`` as ``bool``; ``t="d"`` (ISO 8601) as date/time/datetime, or the text;
- error cells (``t="e"``) and empty cells as ``""``.

Each row is a list indexed by 0-based column, as long as its right-most cell (present in
the XML, even empty) + 1; missing cells are ``""``. A row element without ``r`` follows the
previous row, a cell without ``r`` follows the previous cell.

:class:`LimitError` (a kind of :class:`XlsxError`, with a Chinese ``message``) says the
workbook is larger than the :class:`Limits` allow: the expanded size of its parts (a zip
bomb: a 48 KB file can hold gigabytes of XML), the size and number of its shared
strings, a single text or row beyond any real workbook, or more rows than the caller
takes. Every bound is checked before the rows are handed out (sizes from the zip's
directory, which ``zipfile`` holds the data to; the rows by a quick count of the sheet
XML), or, for a single overlong text or row, as soon as the reader meets it.

:class:`NotXlsxError` says the source is not an OOXML workbook at all (not a zip, no
workbook part: an .xls, .ods, .xlsb, an encrypted workbook, a text file): the caller may
hand it to another reader. :class:`XlsxError` says it is a damaged or malformed .xlsx; it
can also surface during iteration, after earlier rows were yielded.

Differences from calamine, all on files no common writer produces: rows are yielded in
file order (calamine sorts them, and merges repeated row numbers); a cell whose ``r``
names another row than its ``<row>`` is read into its ``<row>``; unknown error codes
read as ``""`` (calamine fails); serials that overflow give floats (calamine raises
OverflowError, or panics).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_LIMITS",
    "LimitError",
    "Limits",
    "NotXlsxError",
    "Sheet",
    "XlsxError",
    "check_workbook",
    "check_zip",
    "column_letters",
    "iter_rows",
    "last_row_hint",
    "open_first_sheet",
]

Source = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes]

#: Bytes of decompressed XML processed at a time.
CHUNK_SIZE = 1 << 20


class NotXlsxError(Exception):
    """The source is not an Office Open XML workbook; another reader may know it."""


class XlsxError(ValueError):
    """The source is an .xlsx workbook that is damaged or malformed."""


class LimitError(XlsxError):
    """The workbook is beyond the :class:`Limits`; ``message`` says so to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    """What a workbook may hold before it is read.

    ``zipfile`` never hands out more bytes of a part than the zip's directory declares
    for it (and fails on a CRC mismatch), so the declared sizes bound the real work."""

    #: Every part together, expanded (the 72-column template: about 1.8 KB a row).
    max_expanded_bytes: int = 400 << 20
    #: The shared-string part, expanded, and the number of strings in it (they are held
    #: in memory while the sheet is read).
    max_strings_bytes: int = 100 << 20
    max_strings: int = 2_000_000
    #: Rows of the sheet (``<row>`` elements, empty ones too); None: no bound.
    max_rows: int | None = None
    #: Parts in the zip.
    max_members: int = 10_000


DEFAULT_LIMITS = Limits()
#: One shared or inline text: Excel holds at most 32,767 characters in a cell; its XML,
#: with rich-text runs, stays far below this.
_MAX_ITEM_BYTES = 1 << 20
#: One row of the sheet XML (16,384 columns of short values fit several times over).
_MAX_ROW_BYTES = 16 << 20
_MB = 1 << 20


def _too_large(what: str) -> LimitError:
    return LimitError(f"Excel文件{what},请检查文件(删除多余的空行、空列和格式)或分批导入")


# --------------------------------------------------------------------------------------
# Number formats.
# --------------------------------------------------------------------------------------
_DATETIME = 1
_DURATION = 2

#: Built-in number formats that python-calamine 0.9.1 reads as dates (ids 27-36 and
#: 50-58 are the East Asian date formats).
_BUILTIN_KINDS = {
    **dict.fromkeys(range(14, 23), _DATETIME),
    **dict.fromkeys(range(27, 37), _DATETIME),
    45: _DATETIME,
    46: _DURATION,
    47: _DATETIME,
    **dict.fromkeys(range(50, 59), _DATETIME),
}


def format_kind(code: str) -> int:
    """0 for a number format, 1 for a date/time format, 2 for a duration (``[h]:mm``).

    Only the first section counts. Quoted text, the character after ``\\``, ``_`` (a
    space as wide as it) or ``*`` (fill with it), and anything in brackets (colours,
    conditions, locales) are not date tokens; ``[h]``, ``[mm]``,
    ``[ss]`` make a duration; an ``A`` starts an AM/PM marker, after which ``P``, ``M``
    or ``/`` make a time. This follows calamine's scan, so the two readers agree."""
    escaped = quoted = ampm = elapsed = False
    depth = 0
    previous = " "
    for char in code:
        if escaped:
            escaped = False
        elif char == "_" or char == "\\" or char == "*":
            escaped = True
        elif quoted:
            if char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ";":
            return 0
        elif char == "[":
            depth += 1
        elif char == "]":
            if depth == 1 and elapsed:
                return _DURATION
            depth = max(depth - 1, 0)
        elif depth == 0 and not ampm and char in "aA":
            ampm = True
        elif depth == 0 and ampm and char in "pPmM/":
            return _DATETIME
        elif depth == 0 and not ampm and char in "dDmMhHyYsS":
            return _DATETIME
        elif not (elapsed and char.lower() == previous.lower()):
            elapsed = previous == "[" and char in "hHmMsS"
        previous = char
    return 0


_EPOCH = dt.datetime(1899, 12, 30)
_MS_PER_DAY = 86_400_000.0
#: chrono's date range, in days around the epoch (beyond it calamine gives the float).
_CHRONO_DAYS = 262_000 * 365.2425


def _round_ms(value: float) -> int:
    """``value.round() as i64``: half away from zero, NaN → 0; raises OverflowError for ±inf."""
    if value != value:
        return 0
    magnitude = abs(value)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:
        whole += 1
    return whole if value >= 0 else -whole


def excel_date(serial: float, kind: int, date1904: bool = False) -> Any:
    """The Python value of a date-formatted number, as python-calamine gives it."""
    try:
        if kind == _DURATION:
            return dt.timedelta(milliseconds=_round_ms(serial * _MS_PER_DAY))
        days = serial + 1462.0 if date1904 else serial
        if not days >= 60.0:  # Excel counts a 29 February 1900
            days += 1.0
        ms = _round_ms(days * _MS_PER_DAY)
        if serial < 1.0:
            if abs(ms) > _CHRONO_DAYS * _MS_PER_DAY:
                return serial
            ms %= 86_400_000
            return (dt.datetime.min + dt.timedelta(milliseconds=ms)).time()
        moment = _EPOCH + dt.timedelta(milliseconds=ms)
    except (OverflowError, ValueError):
        return serial
    return moment.date() if serial.is_integer() else moment


_ISO_DATETIME = re.compile(
    r"\s*([+-]?\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?\s*")
_ISO_TIME = re.compile(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?\s*")
_ISO_DATE = re.compile(r"\s*([+-]?\d{4})-(\d{1,2})-(\d{1,2})\s*")


def _iso_value(text: str) -> Any:
    """A ``t="d"`` cell: python-calamine parses ISO 8601 with chrono, else keeps the text."""
    try:
        if "T" in text:
            m = _ISO_DATETIME.fullmatch(text)
            if m:
                second = min(int(m[6]), 59)  # chrono's leap second
                micro = int((m[7] or "0")[:6].ljust(6, "0"))
                return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), second,
                                   micro)
        elif ":" in text:
            m = _ISO_TIME.fullmatch(text)
            if m:
                second = min(int(m[3] or 0), 59)
                micro = int((m[4] or "0")[:6].ljust(6, "0"))
                return dt.time(int(m[1]), int(m[2]), second, micro)
        else:
            m = _ISO_DATE.fullmatch(text)
            if m:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    return text


# --------------------------------------------------------------------------------------
# Text.
# --------------------------------------------------------------------------------------
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+))?;?")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_X_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")
_MARKUP = re.compile(rb"<!\[CDATA\[(.*?)\]\]>|<!--.*?-->|<\?.*?\?>", re.S)
_TRIM = " \t\r\n"


def _entity(match: re.Match) -> str:
    text = match[0]
    if not text.endswith(";") or len(text) < 3:
        raise XlsxError(f"malformed XML reference {text!r}")
    if match[1]:
        return _NAMED[match[1]]
    code = int(match[2]) if match[2] else int(match[3], 16)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise XlsxError(f"invalid character reference {text!r}")
    return chr(code)


def _text(raw: bytes) -> str:
    """Character data (no markup) → str: UTF-8, line ends normalised, references resolved."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def _xml_text(raw: bytes, cdata: bool = True) -> str:
    """Element content that may hold CDATA sections (dropped unless ``cdata``, as
    calamine does in ``<v>``), comments or processing instructions."""
    if b"<" not in raw:
        return _text(raw)
    parts = []
    position = 0
    for m in _MARKUP.finditer(raw):
        parts.append(_text(raw[position:m.start()]))
        if m[1] is not None and cdata:
            section = m[1].decode("utf-8")
            parts.append(section.replace("\r\n", "\n").replace("\r", "\n"))
        position = m.end()
    rest = raw[position:]
    if b"<" in rest:
        raise XlsxError("unexpected markup in text")
    parts.append(_text(rest))
    return "".join(parts)


def _unescape_x(text: str) -> str:
    """Excel's ``_x000D_`` escapes (calamine decodes ``_x00HH_`` only)."""
    if "_x00" in text:
        return _X_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    return text


_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # any namespace prefix
_RPH = re.compile(rb"<" + _P + rb"rPh\b[^>]*?(?:/>|>.*?</" + _P + rb"rPh>)", re.S)
_T = re.compile(rb"<" + _P + rb"t(\s[^>]*?)?(?:/>|>(.*?)</" + _P + rb"t>)", re.S)
_PRESERVE = re.compile(rb"""xml:space\s*=\s*["']preserve["']""")


def _rich_text(content: bytes) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>`` elements outside ``<rPh>``, each
    trimmed unless ``xml:space="preserve"`` and then unescaped, concatenated."""
    if b"rPh" in content:
        content = _RPH.sub(b"", content)
    parts = []
    for attrs, body in _T.findall(content):
        text = _xml_text(body) if body else ""
        if not (attrs and _PRESERVE.search(attrs)):
            text = text.strip(_TRIM)
        parts.append(_unescape_x(text))
    return "".join(parts)


# --------------------------------------------------------------------------------------
# Zip parts.
# --------------------------------------------------------------------------------------
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
               NotImplementedError)
#: A part read whole (not the sheet, not the shared strings) is never that large.
_SMALL_PART_LIMIT = 64 << 20
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _check_encoding(head: bytes) -> bytes:
    """The part's first bytes without a UTF-8 BOM; other encodings go to another reader."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotXlsxError("UTF-16 part")
    m = _DECLARATION.match(head[:200])
    if m and m[1].lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise NotXlsxError(f"{m[1].decode('ascii', 'replace')} part")
    return head


def _resolve(base: str, target: str) -> str:
    """A relationship target → a part name (no leading slash)."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = posixpath.join(posixpath.dirname(base), target)
    return posixpath.normpath(path).lstrip("/")


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


class _Package:
    """The zip, with case-insensitive part names (writers differ in case and slashes)."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zip = zf
        self.names = {}
        for info in zf.infolist():
            key = info.filename.replace("\\", "/").lstrip("/").lower()
            self.names.setdefault(key, info.filename)

    def find(self, part: str) -> str | None:
        return self.names.get(part.lower())

    def read(self, part: str) -> bytes | None:
        """A small part (workbook, relationships, styles), whole."""
        name = self.find(part)
        if name is None:
            return None
        if self.zip.getinfo(name).file_size > _SMALL_PART_LIMIT:
            raise XlsxError(f"{part} is too large")
        try:
            data = self.zip.read(name)
        except _ZIP_ERRORS as error:
            raise XlsxError(f"cannot read {part}: {error}") from None
        return _check_encoding(data)

    def xml(self, part: str) -> ElementTree.Element | None:
        data = self.read(part)
        if data is None:
            return None
        if b"<!DOCTYPE" in data:  # OOXML has no DTDs; refuse entity tricks
            raise XlsxError(f"{part} has a DTD")
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise XlsxError(f"{part}: {error}") from None

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """id → (type's last segment, part name) of a part's relationships."""
        root = self.xml(_rels_name(part))
        result: dict[str, tuple[str, str]] = {}
        if root is None:
            return result
        for element in root:
            if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
                continue
            kind = (element.get("Type") or "").rstrip("/").rpartition("/")[2]
            target = element.get("Target")
            if target:
                result[element.get("Id") or ""] = (kind, _resolve(part, target))
        return result


def _check_members(zf: zipfile.ZipFile, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _too_large(f"包含的部件过多({len(infos)}个)")
    expanded = sum(info.file_size for info in infos)
    if expanded > limits.max_expanded_bytes:
        raise _too_large(f"解压后过大(约{expanded // _MB:,}MB,上限{limits.max_expanded_bytes // _MB:,}MB)")


def check_zip(source: Source, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check a zip-based workbook of any kind (.xlsx, .ods, .xlsb) against ``limits``
    before another reader loads it whole; a source that is not a zip passes (an .xls is
    not compressed, so its size is its upload size)."""
    try:
        zf = _open_zip(source)
    except NotXlsxError:
        return
    with zf:
        _check_members(zf, limits)


def _open_zip(source: Source) -> zipfile.ZipFile:
    fileobj: Any
    if isinstance(source, (bytes, bytearray, memoryview)):
        fileobj = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        fileobj = os.fspath(source)
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        fileobj = source
    try:
        return zipfile.ZipFile(fileobj)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as error:
        raise NotXlsxError(f"not a zip file: {error}") from None


# --------------------------------------------------------------------------------------
# Sheet XML.
# --------------------------------------------------------------------------------------
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(worksheet|chartsheet|dialogsheet|macrosheet)\b")
_SST_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sst\b")
_ROW = re.compile(rb"<" + _P + rb"row\b([^>]*?)(?:/>|>(.*?)</" + _P + rb"row>)", re.S)
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([0-9]+)["']""")
_SHEETDATA_END = re.compile(rb"</" + _P + rb"sheetData\s*>|<" + _P + rb"sheetData\b[^>]*?/>")
_ATTR = re.compile(rb"""([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]*)")
_CHILD = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b[^>]*?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?\1\s*>)",
    re.S)
_FIRST_REF = re.compile(rb"""<""" + _P + rb"""c\b[^>]*?\sr\s*=\s*["'][A-Za-z]{1,3}([0-9]+)["']""")
_BOOLS = {"0": False, "false": False, "1": True, "true": True}
_SPACE = b" \t\n\r\x0b\x0c"
_DELIMITERS = (b"", b" ", b"\t", b"\r", b"\n")
_PLAIN = re.compile(rb"[^<&]*")

_COLUMNS: dict[bytes, int] = {}


def column_letters(index: int) -> str:
    """The sheet's name of a 0-based column index: 0 → "A", 26 → "AA"."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _columns() -> dict[bytes, int]:
    """b"A" → 0 … b"ZZZ" (built once)."""
    if not _COLUMNS:
        letters = [chr(65 + i) for i in range(26)]
        names = list(letters)
        names += [a + b for a in letters for b in letters]
        names += [a + b + c for a in letters for b in letters for c in letters]
        _COLUMNS.update((name.encode(), index) for index, name in enumerate(names))
    return _COLUMNS


def _fast_cell_pattern(prefix: bytes) -> re.Pattern:
    """Cells in the usual form, ``<c r="B2" s="1" t="s"><v>12</v></c>``: attributes r, s, t
    in that order and nothing but a ``<v>`` inside.

    The first alternative takes a run of up to four shared-string cells in one match (a
    match costs more than its groups, so this saves a good part of the work); the second
    takes any other cell in the usual form; any other ``<c`` start tag matches the third,
    which captures one character to say "read this row the general way". Groups: four
    (column letters, string index) pairs, style, type, value, other. Possessive repeats
    and negated single characters keep ``re`` on its fast paths."""
    c, v = re.escape(prefix + b"c"), re.escape(prefix + b"v")
    shared = (rb' r="([A-Z]{1,3}+)[0-9]++"(?: s="[^"]*+")?+ t="s"><' + v + rb">([^<]++)</"
              + v + rb"></" + c + rb">")
    return re.compile(
        rb"<" + c + rb"(?:" + shared + (rb"(?:<" + c + shared + rb")?+") * 3
        + rb'| r="([A-Z]{1,3}+)[0-9]++"(?: s="([0-9]++)")?+(?: t="([a-z]++)")?+'
        rb"(?:/>|>(?:<" + v + rb">([^<\s_]*+)</" + v + rb">)?+</" + c + rb">)"
        rb"|(?=([\s/>])))"
    )


def _plain_cell_pattern(prefix: bytes) -> re.Pattern:
    """Cells without a reference, each in the next column, as streaming writers put them
    (xlsx_writer's exports among them: ``<c t="inlineStr"><is><t>张三</t></is></c>``,
    ``<c/>``, ``<c><v>12</v></c>``). Groups: the text of an inline string with nothing to
    resolve (no ``&``, carriage return or ``_x00HH_`` escape), the value of a number, and
    "other" — any other cell, which sends the row the general way."""
    c, v = re.escape(prefix + b"c"), re.escape(prefix + b"v")
    is_, t = re.escape(prefix + b"is"), re.escape(prefix + b"t")
    return re.compile(
        rb"<" + c + rb"(?:"
        rb' t="inlineStr"><' + is_ + rb"><" + t + rb">([^<&\r_]*+)</" + t + rb"></" + is_ + rb"></" + c + rb">"
        rb"|(/)>"
        rb"|><" + v + rb">([^<\s_]*+)</" + v + rb"></" + c + rb">"
        rb"|(?=([\s/>])))"
    )


#: Any cell: attributes, the end of the start tag (``/>`` or ``>…</c>``), the content.
_CELL = re.compile(rb"<" + _P + rb"c\b([^>]*?)(/>|>(.*?)</" + _P + rb"c>)", re.S)


def _sst_pattern(prefix: bytes) -> re.Pattern:
    si, t = re.escape(prefix + b"si"), re.escape(prefix + b"t")
    return re.compile(
        rb"<" + si + rb"><" + t + rb">([^<]*+)</" + t + rb"></" + si + rb">"
        rb"|<" + si + rb"><" + t + rb' xml:space="preserve">([^<]*+)</' + t + rb"></" + si + rb">"
        rb"|<" + _P + rb"si\b[^>]*?(/>|>(.*?)</" + _P + rb"si>)",
        re.S,
    )


def _read_head(stream: IO[bytes], root: re.Pattern) -> bytes:
    """The first chunk of a part, made long enough to hold its root element's tag (or 64
    KiB), checked for its encoding."""
    head = stream.read(CHUNK_SIZE)
    while root.search(head) is None and len(head) < 1 << 16:
        more = stream.read(CHUNK_SIZE)
        if not more:
            break
        head += more
    return _check_encoding(head)


def _split_stream(stream: IO[bytes], first: bytes, end_tag: bytes
                  ) -> Iterator[tuple[list[bytes], bytes | None]]:
    """The sheet XML cut at each ``end_tag`` (which is dropped), a chunk at a time, as
    ``(texts, rest)``: every text ended at an ``end_tag``; ``rest`` is None but in the last
    pair, where it is what follows the last ``end_tag`` up to the end of sheetData (where
    reading stops)."""
    pending = b""
    data = first
    while data:
        if b"sheetData" in data or b"sheetData" in pending[-16:] + data[:16]:
            buffer = pending + data
            end = _SHEETDATA_END.search(buffer)
            if end is not None:
                texts = buffer[:end.start()].split(end_tag)
                rest = texts.pop()
                yield texts, rest
                return
            texts = buffer.split(end_tag)
        else:
            texts = data.split(end_tag)
            if pending:
                joined = pending + texts[0]
                if end_tag in joined:  # the tag was cut between the chunks
                    texts[0:1] = joined.split(end_tag)
                else:
                    texts[0] = joined
        pending = texts.pop()
        if len(pending) > _MAX_ROW_BYTES:
            raise _too_large(f"中有一行超过{_MAX_ROW_BYTES // _MB}MB")
        if texts:
            yield texts, None
        data = stream.read(CHUNK_SIZE)
    raise XlsxError("the sheet XML ends before </sheetData>")


class Sheet:
    """The first visible worksheet of an .xlsx; iterate for ``(row number, values)``.

    Iterate once. Close it (or use ``with``) to release the zip file."""

    def __init__(self, zf: zipfile.ZipFile, part: str, name: str, strings: list[str],
                 kinds: list[int], date1904: bool):
        self._zip = zf
        self._part = part
        self.name = name
        self.date1904 = date1904
        self._strings = strings
        self._kinds = kinds
        try:
            self._stream = zf.open(part)
            self._first = _read_head(self._stream, _ROOT)
        except _ZIP_ERRORS as error:
            raise XlsxError(f"cannot read {part}: {error}") from None

    def close(self) -> None:
        self._stream.close()
        self._zip.close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return self._rows()

    # -- rows ---------------------------------------------------------------------------
    def _rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Cut the XML at each ``</row>`` (bytes.split, C speed), take the cells of a row
        with one ``findall`` of the fast pattern (or, when its first cell has no
        reference, of the plain one) and, when a cell is not in the usual form, read that
        row the general way."""
        root = _ROOT.search(self._first)
        if root is not None and root[2] != b"worksheet":
            return
        prefix = root[1] + b":" if root is not None and root[1] else b""
        end_tag = b"</" + prefix + b"row>"
        row_open = b"<" + prefix + b"row"
        row_r = row_open + b' r="'
        fast = _fast_cell_pattern(prefix).findall
        plain = _plain_cell_pattern(prefix).findall
        cell_open, ref_cell = b"<" + prefix + b"c", b"<" + prefix + b'c r="'
        cols = _columns()
        strings = {str(i).encode(): s for i, s in enumerate(self._strings)}
        styles = {str(i).encode(): k for i, k in enumerate(self._kinds)}
        date1904 = self.date1904
        previous = 0
        try:
            first, self._first = self._first, b""  # held by the generator only
            for texts, rest in _split_stream(self._stream, first, end_tag):
                for text in texts:
                    start = text.find(row_open)
                    close = text.find(b">", start)
                    if start < 0 or close < 0:
                        raise XlsxError("</row> without <row>")
                    if text[close - 1] == 47:  # empty <row/>s before this one
                        for number, row in self._general_rows(text + end_tag, previous):
                            previous = number
                            yield number, row
                        continue
                    if text.startswith(row_r, start):
                        digits = start + len(row_r)
                        number = int(text[digits:text.index(b'"', digits)])
                    else:
                        attrs = text[start + len(row_open):close]
                        if attrs[:1] not in _DELIMITERS:
                            raise XlsxError(f"unexpected element in sheetData: {text[start:close]!r}")
                        number = self._row_number(attrs, text[close + 1:], previous)
                    previous = number
                    if not text.startswith(ref_cell, text.find(cell_open, close + 1)):
                        row = self._plain_row(plain, text, close + 1)
                        yield number, row
                        continue
                    cells = fast(text, close + 1)
                    try:
                        last = cells[-1]
                        row = [""] * (cols[last[6] or last[4] or last[2] or last[0] or last[8]] + 1)
                        for l1, i1, l2, i2, l3, i3, l4, i4, letters, s, t, v, other in cells:
                            if i1:
                                row[cols[l1]] = strings[i1]
                                if i2:
                                    row[cols[l2]] = strings[i2]
                                    if i3:
                                        row[cols[l3]] = strings[i3]
                                        if i4:
                                            row[cols[l4]] = strings[i4]
                            elif other:
                                raise IndexError  # not the usual form: the general way
                            elif not t or t == b"n":
                                if v:
                                    value = float(v)
                                    if s:
                                        kind = styles[s]
                                        if kind:
                                            value = excel_date(value, kind, date1904)
                                    row[cols[letters]] = value
                            elif t == b"b" and (v == b"0" or v == b"1"):
                                row[cols[letters]] = v == b"1"
                            else:
                                raise IndexError  # another type: the general way
                    except (KeyError, IndexError, ValueError):
                        row = self._general_row(text[close + 1:])
                    yield number, row
                if rest is not None and rest.strip():
                    for number, row in self._general_rows(rest, previous):
                        previous = number
                        yield number, row
        except XlsxError:
            raise
        except (ValueError, *_ZIP_ERRORS) as error:  # damaged data, a value no reader takes
            raise XlsxError(f"{self._part}: {error}") from None

    def _plain_row(self, plain, text: bytes, start: int) -> list[Any]:
        """A row whose cells have no reference (``_plain_cell_pattern``); a cell in another
        form sends it the general way."""
        row: list[Any] = []
        add = row.append
        try:
            for string, _, value, other in plain(text, start):
                if string:
                    add(string.decode("utf-8").strip(_TRIM))
                elif value:
                    add(float(value))
                elif other:
                    raise IndexError  # not a plain cell
                else:
                    add("")
        except (IndexError, ValueError):
            return self._general_row(text[start:])
        return row

    @staticmethod
    def _row_number(attrs: bytes, body: bytes, previous: int) -> int:
        """The ``r`` of a row; without one, the row of its first cell, else the next row."""
        m = _ROW_NUMBER.search(attrs)
        if m is None:
            m = _FIRST_REF.search(body)
            if m is None or int(m[1]) == 0:
                return previous + 1
        return int(m[1])

    def _general_rows(self, text: bytes, previous: int) -> list[tuple[int, list[Any]]]:
        """Rows found by a regular expression (empty ``<row/>``s, the end of sheetData)."""
        rows = []
        for attrs, body in _ROW.findall(text):
            previous = self._row_number(attrs, body or b"", previous)
            rows.append((previous, self._general_row(body)))
        return rows

    def _general_row(self, body: bytes) -> list[Any]:
        """A row cell by cell, every attribute parsed."""
        row: list[Any] = []
        at = -1
        for attributes, tail, content in _CELL.findall(body):
            at, value = self._cell(attributes, tail, content, at)
            if at >= len(row):
                row.extend([""] * (at + 1 - len(row)))
            row[at] = value
        return row

    def _cell(self, attributes: bytes, tail: bytes, content: bytes, previous: int) -> tuple[int, Any]:
        """A cell the fast alternative did not take: → (column index, value)."""
        attrs = {name: a if a else b for name, a, b in _ATTR.findall(attributes)}
        ref = attrs.get(b"r")
        if ref is None:
            at = previous + 1
        else:
            m = _REF.fullmatch(ref)
            if m is None:
                raise XlsxError(f"bad cell reference {ref!r}")
            at = _columns()[m[1].upper()]
        if tail == b"/>" or not content:
            return at, ""
        t = attrs.get(b"t")
        s = attrs.get(b"s")
        value: Any = ""
        for name, body in _CHILD.findall(content):  # the last value element wins, as in calamine
            local = name.rpartition(b":")[2]
            if local == b"is":
                value = _rich_text(body)
            elif local == b"v":
                value = "" if t in (b"inlineStr", b"is") else self._value(t, s, body)
            elif local == b"f":
                value = ""
        return at, value

    def _value(self, t: bytes | None, s: bytes | None, raw: bytes) -> Any:
        """The value of a ``<v>`` (raw content) of a cell of type ``t`` and style ``s``.

        As calamine: numbers, booleans and string indexes are the text before any
        reference or markup; formula strings and ISO dates are the whole text, CDATA
        sections left out."""
        if t in (b"str", b"d"):
            text = _xml_text(raw, cdata=False)
            if t == b"str":
                return _unescape_x(text)
            return _iso_value(text) if text else ""
        if t in (b"inlineStr", b"is"):
            return ""
        if t == b"e":
            return ""
        raw = raw[:_PLAIN.match(raw).end()]  # type: ignore[union-attr]  # always matches
        if not raw:
            return ""
        if t is None or t == b"n":
            number = _number(raw)
            if number is None:
                if t is None:
                    return raw.decode("utf-8")
                raise XlsxError(f"not a number: {raw[:40]!r}")
            if s is not None:
                index = int(s) if s.isdigit() else 0
                kind = self._kinds[index] if index < len(self._kinds) else 0
                if kind:
                    return excel_date(number, kind, self.date1904)
            return number
        if t == b"s":
            index = int(raw) if raw.isdigit() else 0
            if index >= len(self._strings):
                raise XlsxError(f"shared string {index} not in the table")
            return self._strings[index]
        if t == b"b":
            flag = _BOOLS.get(raw.decode("utf-8").strip().lower())
            if flag is None:
                raise XlsxError(f"not a boolean: {raw[:40]!r}")
            return flag
        raise XlsxError(f"unknown cell type {t!r}")


def _number(raw: bytes) -> float | None:
    """``raw`` as calamine parses a number (no spaces or underscores, unlike float())."""
    try:
        number = float(raw)
    except ValueError:
        return None
    if b"_" in raw or raw[0] in _SPACE or raw[-1] in _SPACE:
        return None
    return number


# --------------------------------------------------------------------------------------
# Workbook.
# --------------------------------------------------------------------------------------
def _load_strings(package: _Package, part: str | None, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    name = package.find(part) if part else None
    if name is None:
        return []
    size = package.zip.getinfo(name).file_size
    if size > limits.max_strings_bytes:
        raise _too_large(f"的共享文字表过大(约{size // _MB:,}MB,上限{limits.max_strings_bytes // _MB:,}MB)")
    strings: list[str] = []
    append = strings.append
    try:
        with package.zip.open(name) as stream:
            first = _read_head(stream, _SST_ROOT)
            root = _SST_ROOT.search(first)
            prefix = (root[1] or b"") if root is not None else b""
            if b"<!DOCTYPE" in first:
                raise XlsxError("sharedStrings has a DTD")
            end_tag = b"</" + (prefix + b":" if prefix else b"") + b"si>"
            findall = _sst_pattern(prefix).findall
            pending = b""
            data = first
            while True:
                buffer = pending + data if pending else data
                if data:
                    cut = buffer.rfind(end_tag)
                    if cut < 0:  # no whole <si> yet
                        if len(buffer) > _MAX_ITEM_BYTES + CHUNK_SIZE:
                            raise _too_large("中有单元格文字过长(Excel单元格最多32,767个字符)")
                        pending = buffer
                        data = stream.read(CHUNK_SIZE)
                        continue
                    cut += len(end_tag)
                else:
                    cut = len(buffer)
                for plain, preserved, tail, content in findall(buffer, 0, cut):
                    if plain:
                        text = plain.decode("utf-8")
                        if "&" in text or "\r" in text:
                            text = _text(plain)
                        append(_unescape_x(text.strip(_TRIM)))
                    elif preserved:
                        append(_unescape_x(_text(preserved)))
                    elif tail and content:
                        append(_rich_text(content))
                    else:
                        append("")
                if len(strings) > limits.max_strings:
                    raise _too_large(f"的共享文字超过{limits.max_strings:,}条")
                if not data:
                    break
                pending = buffer[cut:]
                if len(pending) > _MAX_ITEM_BYTES:
                    raise _too_large("中有单元格文字过长(Excel单元格最多32,767个字符)")
                data = stream.read(CHUNK_SIZE)
    except XlsxError:
        raise
    except (ValueError, *_ZIP_ERRORS) as error:
        raise XlsxError(f"{part}: {error}") from None
    return strings


def _load_kinds(package: _Package, part: str | None) -> list[int]:
    """The date kind (0, date/time, duration) of each cell style (``cellXfs``)."""
    root = package.xml(part) if part else None
    if root is None:
        return []
    custom: dict[str, str] = {}
    kinds: list[int] = []
    for child in root:
        name = _local(child.tag)
        if name == "numFmts":
            for fmt in child:
                if _local(fmt.tag) == "numFmt":
                    ident, code = fmt.get("numFmtId"), fmt.get("formatCode")
                    if ident is not None and code is not None:
                        custom[ident] = code
        elif name == "cellXfs":
            for xf in child:
                if _local(xf.tag) != "xf":
                    continue
                ident = xf.get("numFmtId")
                if ident is None:
                    kinds.append(0)
                elif ident in custom:
                    kinds.append(format_kind(custom[ident]))
                else:
                    kinds.append(_BUILTIN_KINDS.get(int(ident), 0) if ident.isdigit() else 0)
    return kinds


def open_first_sheet(source: Source, limits: Limits = DEFAULT_LIMITS) -> Sheet:
    """Open the first visible worksheet of an .xlsx (a path, bytes or a binary file).

    Raises :class:`NotXlsxError` when the source is not an OOXML workbook (not a zip, or
    a zip without a workbook part), :class:`LimitError` when it is beyond ``limits``,
    :class:`XlsxError` when it is a damaged one, and ``FileNotFoundError`` for a missing
    path."""
    zf = _open_zip(source)
    try:
        _check_members(zf, limits)
        return _open_sheet(zf, limits)
    except BaseException:
        zf.close()
        raise


def _count_rows(zf: zipfile.ZipFile, part: str, limit: int) -> int:
    """The ``<row`` start tags of a sheet part, counted on the raw XML with
    ``bytes.count`` (no parsing: about as fast as the decompression itself), stopping
    once past ``limit``. Counts a tag or two more than the rows at most (``<rowBreaks>``
    after the sheet data), which is fine for a bound."""
    try:
        with zf.open(part) as stream:
            head = _read_head(stream, _ROOT)
            root = _ROOT.search(head)
            prefix = root[1] + b":" if root is not None and root[1] else b""
            tag = b"<" + prefix + b"row"
            keep = len(tag) - 1  # a tag cut between two chunks is counted in the second
            count = head.count(tag)
            tail = head[-keep:]
            while count <= limit:
                data = stream.read(CHUNK_SIZE)
                if not data:
                    break
                count += (tail + data[:keep]).count(tag) + data.count(tag)
                tail = data[-keep:]
    except _ZIP_ERRORS as error:
        raise XlsxError(f"cannot read {part}: {error}") from None
    return count


def check_workbook(source: Source, limits: Limits = DEFAULT_LIMITS) -> None:
    """The bounds of :func:`open_first_sheet` (expanded size, shared-string part, rows),
    without reading the shared strings or any cell: a quick check for an upload form.
    A source that is not an .xlsx is only checked as a zip (see :func:`check_zip`)."""
    try:
        zf = _open_zip(source)
    except NotXlsxError:
        return
    with zf:
        _check_members(zf, limits)
        try:
            package, _, sheet_part, _, shared, _ = _locate(zf)
        except NotXlsxError:
            return
        name = package.find(shared) if shared else None
        if name is not None and zf.getinfo(name).file_size > limits.max_strings_bytes:
            size = zf.getinfo(name).file_size
            raise _too_large(f"的共享文字表过大(约{size // _MB:,}MB,上限{limits.max_strings_bytes // _MB:,}MB)")
        if limits.max_rows is not None and _count_rows(zf, sheet_part, limits.max_rows) > limits.max_rows:
            raise _too_large(f"的行数超过{limits.max_rows:,}行(空行也计算在内)")


_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')


def last_row_hint(source: Source) -> int | None:
    """The last row number the first visible sheet declares (its ``<dimension>``, written
    by Excel, WPS and openpyxl), read from the sheet's first chunk only — an estimate for
    a progress bar, never trusted for the rows themselves. None when absent or unreadable."""
    try:
        zf = _open_zip(source)
    except Exception:
        return None
    try:
        part = _locate(zf)[2]
        with zf.open(part) as stream:
            head = stream.read(1 << 16)
    except Exception:
        return None
    finally:
        zf.close()
    found = _DIMENSION.search(head)
    return int(found[1]) if found and found[1] else None


def _open_sheet(zf: zipfile.ZipFile, limits: Limits = DEFAULT_LIMITS) -> Sheet:
    package, name, sheet_part, styles, shared, date1904 = _locate(zf)
    if limits.max_rows is not None:
        rows = _count_rows(zf, sheet_part, limits.max_rows)
        if rows > limits.max_rows:
            raise _too_large(f"的行数超过{limits.max_rows:,}行(空行也计算在内)")
    kinds = _load_kinds(package, styles)
    strings = _load_strings(package, shared, limits)
    return Sheet(zf, sheet_part, name, strings, kinds, date1904)


def _locate(zf: zipfile.ZipFile) -> tuple[_Package, str, str, str, str, bool]:
    """The package and, of the first visible worksheet: its name and part; the styles
    and shared-string parts; the 1904 date system flag."""
    package = _Package(zf)
    workbook = None
    for kind, target in package.relationships("").values():
        if kind == "officeDocument":
            workbook = target
            break
    if workbook is None or package.find(workbook) is None:
        workbook = "xl/workbook.xml"
    if not workbook.lower().endswith(".xml") or package.find(workbook) is None:
        raise NotXlsxError("no workbook part")
    root = package.xml(workbook)
    if root is None:
        raise NotXlsxError("no workbook part")
    rels = package.relationships(workbook)
    if not rels:
        raise XlsxError("the workbook has no relationships")

    date1904 = False
    sheets: list[tuple[str, bool, tuple[str, str] | None]] = []
    for child in root:
        name = _local(child.tag)
        if name == "workbookPr":
            date1904 = child.get("date1904") in ("1", "true")
        elif name == "sheets":
            for element in child:
                if _local(element.tag) != "sheet":
                    continue
                rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
                visible = (element.get("state") or "visible") == "visible"
                sheets.append((element.get("name") or "", visible, rels.get(rel_id)))
    chosen = next((s for s in sheets if s[1] and s[2] is not None and s[2][0] == "worksheet"), None)
    if chosen is None and sheets:
        chosen = sheets[0]
    if chosen is None or chosen[2] is None:
        raise XlsxError("the workbook has no sheet")
    sheet_part = package.find(chosen[2][1])
    if sheet_part is None:
        raise XlsxError(f"missing sheet part {chosen[2][1]}")

    by_kind = {kind: target for kind, target in rels.values()}
    folder = posixpath.dirname(workbook)
    styles = by_kind.get("styles") or posixpath.join(folder, "styles.xml")
    shared = by_kind.get("sharedStrings") or posixpath.join(folder, "sharedStrings.xml")
    return package, chosen[0], sheet_part, styles, shared, date1904


def iter_rows(source: Source, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, list[Any]]]:
    """``(sheet row number, [values by column])`` for every row of the first visible
    worksheet; see the module docstring for the values and :func:`open_first_sheet` for
    the errors (raised on the first ``next()``)."""
    with open_first_sheet(source, limits) as sheet:
        yield from sheet
