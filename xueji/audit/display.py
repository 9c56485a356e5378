"""How an audit entry is shown (审计日志的中文显示): object types by their Chinese name,
``before``/``after`` as labelled fields, codes by their names, times as
YYYY-MM-DD HH:MM:SS.

The audit app imports nothing above it: names come from the registries in ``rules``
(filled by the apps in their ``ready()``) and, for object types that are models, from the
model's ``verbose_name``, its fields' ``verbose_name`` and ``choices`` — looked up in
Django's app registry by the ``app_label.model_name`` string, not by importing the app.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from xueji.common.masking import mask_id_number, mask_national_number, mask_phone

from . import rules

#: List items shown before "等 N 项".
LIST_LIMIT = 20
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _model(object_type: str):
    if not object_type or "." not in object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(object_type: str, key: str):
    model = _model(object_type)
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def object_type_label(object_type: str) -> str:
    """``学籍`` for ``students.student``: the registered name, else the model's
    ``verbose_name``, else the type as stored."""
    if not object_type:
        return ""
    if object_type in rules.OBJECT_TYPE_LABELS:
        return rules.OBJECT_TYPE_LABELS[object_type]
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def object_display(object_type: str, object_id: str) -> str:
    """``学籍 524``; ``—`` when the entry names no object."""
    label = object_type_label(object_type)
    return f"{label} {object_id}".strip() if label or object_id else "—"


def field_label(object_type: str, key: str) -> str:
    """The Chinese label of a ``before``/``after`` key: registered for the type, the
    model field's ``verbose_name``, registered for any type — else the key itself."""
    key = str(key)
    if (object_type, key) in rules.FIELD_LABELS:
        return rules.FIELD_LABELS[(object_type, key)]
    field = _field(object_type, key)
    name = str(getattr(field, "verbose_name", "") or "")
    if field is not None and not field.auto_created and not name.isascii():
        return name  # (a field without verbose_name has its own name, in English)
    return rules.FIELD_LABELS.get(key, key)


def _value_names(object_type: str, key: str):
    names = rules.VALUE_LABELS.get((object_type, key)) or rules.VALUE_LABELS.get(key)
    if names is not None:
        return names
    field = _field(object_type, key)
    if field is not None and getattr(field, "choices", None):
        return {str(code): str(name) for code, name in field.flatchoices}
    return None


def _named(names, value) -> str | None:
    if names is None:
        return None
    if callable(names):
        return names(value)
    return names.get(str(value))


def _mask(key: str):
    """Personal numbers are masked on this page as in lists: ID numbers, G 学籍号 (which
    contain the ID number) and phone numbers, under any key at any depth."""
    lowered = key.lower()
    if "id_number" in lowered or key in {"身份证件号", "证件号"}:
        return mask_id_number
    if "national_number" in lowered or lowered == "students" or key == "学籍号":
        return mask_national_number
    if "phone" in lowered or "电话" in key or "手机" in key:
        return mask_phone
    return None


def scope_label(prefix: str) -> str:
    """An entry's data scope: ``440106(天河区)``; no prefix: the ministry's alone."""
    if not prefix:
        return "全国(仅教育部可见)"
    name = rules.chain_name(prefix)
    return f"{prefix}({name})" if name else prefix


def format_time(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def value_display(object_type: str, key: str, value: Any) -> str:
    """One value as a person reads it: 是/否, —, a code's name, a local time, a list as
    "甲、乙", a mapping as "标签:值;…"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        return ";".join(f"{field_label(object_type, str(k))}:{value_display(object_type, str(k), v)}"
                        for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        shown = [_item(object_type, key, item) for item in value[:LIST_LIMIT]]
        more = f" 等 {len(value)} 项" if len(value) > LIST_LIMIT else ""
        return ("、".join(shown) + more) if shown else "(无)"
    mask = _mask(str(key))
    if mask is not None and isinstance(value, str | int):
        return mask(str(value))
    name = _named(_value_names(object_type, key), value)
    if name:
        return name
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, str) and _DATETIME.match(value):
        try:
            return format_time(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return str(value)


def _item(object_type: str, key: str, item: Any) -> str:
    if isinstance(item, list | tuple):  # a pair such as (id, reason)
        return " ".join(value_display(object_type, key, v) for v in item)
    return value_display(object_type, key, item)


def changes(object_type: str, before: Any, after: Any) -> tuple[list[dict], bool]:
    """(rows, tabular): a labelled row per key when both sides are mappings (or absent),
    else one row with both values. Secrets are stripped again (older entries)."""
    before = rules.strip_secrets(before)
    after = rules.strip_secrets(after)
    if all(v is None or isinstance(v, Mapping) for v in (before, after)):
        before, after = before or {}, after or {}
        keys = list(before) + [k for k in after if k not in before]
        return [
            {
                "field": field_label(object_type, key),
                "before": value_display(object_type, key, before.get(key)) if key in before else "",
                "after": value_display(object_type, key, after.get(key)) if key in after else "",
                "changed": before.get(key) != after.get(key),
            }
            for key in keys
        ], True
    return [{"field": "", "before": value_display(object_type, "", before),
             "after": value_display(object_type, "", after), "changed": before != after}], False
