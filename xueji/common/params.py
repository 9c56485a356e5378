"""Ids and numbers from query strings and form fields, parsed once (no 500 on bad input).

A URL converter (``<int:pk>``) already refuses what is not a number; a query parameter
(``?grade=abc``) or a form field (``reg=abc``) reaches the view as text. These helpers
turn it into an int the database accepts (1 … 2⁶³-1), or say it is not one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import BadRequest

#: The largest id a 64-bit primary key holds (SQLite and PostgreSQL ``bigint``).
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """``value`` as a database id, or None when it is not one ("abc", "", "-1", "1.5",
    "99999999999999999999")."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def require_id(value: object, what: str = "编号") -> int:
    """``value`` as an id, or a 400 (``BadRequest``) naming what was wrong."""
    number = parse_id(value)
    if number is None:
        raise BadRequest(f"{what}格式不正确")
    return number


def parse_ids(values: Iterable[object]) -> tuple[list[int], list[str]]:
    """The ids among ``values`` (in order, without repeats) and the values that are not ids."""
    good: dict[int, None] = {}
    bad: list[str] = []
    for value in values:
        number = parse_id(value)
        if number is None:
            bad.append(str(value)[:40])
        else:
            good[number] = None
    return list(good), bad


def local_url(target: str | None, request, fallback: str) -> str:
    """``target`` when it is a path on this site ("/…", not "//host/…"), else
    ``fallback``: the one check of every ``next`` parameter (no open redirect, and no
    bare word that ``redirect()`` would try as a URL name)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (target or "").strip()
    if (target.startswith("/") and not target.startswith(("//", "/\\"))
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return target
    return fallback


def content_disposition(filename: str, *, attachment: bool = True, fallback: str = "") -> str:
    """A Content-Disposition header for a name the system gave (RFC 6266/5987): an ASCII
    ``fallback`` for old clients (default: the name with every other character as ``_``)
    and the UTF-8 name percent-encoded."""
    from urllib.parse import quote

    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in fallback or filename)
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def national_number_query(value: object) -> str | None:
    """A 全国学籍号 typed as a query condition, normalised ("g4401…" → "G4401…"): '' when
    empty, None when it can't be one (19 characters: G, J or L and 18 letters or digits)."""
    text = str(value or "").strip().upper()
    if text and (len(text) != 19 or text[0] not in "GJL" or not text[1:].isascii() or not text[1:].isalnum()):
        return None
    return text


def id_number_query(value: object) -> str | None:
    """An ID document number typed as a query condition, normalised to upper case: '' when
    empty, None when it has characters no document number has (ASCII letters, digits and
    "()-/" only)."""
    text = str(value or "").strip().upper()
    if text and (not text.isascii() or not text.replace("(", "").replace(")", "").replace("-", "")
                 .replace("/", "").isalnum()):
        return None
    return text


def optional_id(value: object, what: str) -> int | None:
    """A form field naming an optional id (a grade, a class …): None when empty, the id,
    or a ValidationError "<what>不正确" for text that is not one."""
    from django.core.exceptions import ValidationError

    text = str(value or "").strip()
    if not text:
        return None
    number = parse_id(text)
    if number is None:
        raise ValidationError(f"{what}不正确")
    return number
