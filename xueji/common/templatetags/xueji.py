"""Template filters shared by every page: masking (F-16) and the list pattern."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.http import urlencode

from xueji.common import masking

register = template.Library()


@register.filter
def mask_id(value: str | None) -> str:
    """``{{ student.id_number|mask_id }}`` → 4401**********1234."""
    return masking.mask_id_number(value)


@register.filter
def mask_number(value: str | None) -> str:
    """``{{ student.national_number|mask_number }}`` → G4401**********1234 (J/L whole)."""
    return masking.mask_national_number(value)


@register.filter
def mask_phone(value: str | None) -> str:
    """``{{ user.phone|mask_phone }}`` → 138****5678."""
    return masking.mask_phone(value)


@register.filter
def day(value) -> str:
    """A date in the one display format, also from the stored ``YYYYMMDD`` text of JSON
    data: ``{{ match.birth_date|day }}`` → 2019-01-01. Other text is shown as it is."""
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    text = "" if value is None else str(value)
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed, for paging and sort links."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True)


@register.inclusion_tag("common/_sort_header.html", takes_context=True)
def sort_header(context, field: str, label: str):
    """A column header that sorts the list by ``field`` (click again to reverse)."""
    current = context["request"].GET.get("sort", "")
    if current == field:
        next_sort, arrow = "-" + field, "▲"
    elif current == "-" + field:
        next_sort, arrow = field, "▼"
    else:
        next_sort, arrow = field, ""
    return {"request": context["request"], "label": label, "next_sort": next_sort, "arrow": arrow}
