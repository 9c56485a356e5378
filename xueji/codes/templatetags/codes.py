"""Template filters for code values: ``{% load codes %}`` then
``{{ student.gender|code_label:"gender" }}`` → "1-男", ``{{ value|code_name:"gender" }}`` → "男"."""

from __future__ import annotations

from django import template

from xueji.codes import tables

register = template.Library()


@register.filter
def code_label(value, key: str) -> str:
    """Code + Chinese name, the way every person-facing display shows a code."""
    return tables.label(key, value)


@register.filter
def code_name(value, key: str) -> str:
    """The Chinese name alone (for tight spaces); the raw value if it is not a code."""
    if value is None or value == "":
        return ""
    name = tables.name_of(key, value)
    return name if name is not None else str(value)
