"""Writes of the codes app: keeping the database mirror in step with ``tables.TABLES``."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from .models import CodeItem, CodeTableRecord
from .tables import TABLES, CodeTable

_TABLE_FIELDS = ("name", "standard", "source", "note")
_ITEM_FIELDS = ("name", "sort_order", "is_active")


@transaction.atomic
def load_code_tables(tables: Mapping[str, CodeTable] | None = None) -> dict[str, int]:
    """装载代码表: upsert ``CodeTableRecord`` and ``CodeItem`` from ``TABLES``.

    Set-based (two reads, then ``bulk_create``/``bulk_update`` of what differs), in one
    transaction, idempotent: a second run writes nothing. A code that left a table is
    kept with ``is_active=False`` (old records may still hold it), and comes back active
    if it returns. Returns the counts: ``tables``/``items`` (now defined) and
    ``tables_created``, ``tables_updated``, ``items_created``, ``items_updated``,
    ``items_deactivated`` (what this run changed).
    """
    tables = TABLES if tables is None else tables
    counts = dict.fromkeys(
        ("tables_created", "tables_updated", "items_created", "items_updated", "items_deactivated"), 0
    )

    existing_tables = {record.key: record for record in CodeTableRecord.objects.all()}
    new_tables: list[CodeTableRecord] = []
    changed_tables: list[CodeTableRecord] = []
    for key, table in tables.items():
        wanted = {"name": table.name, "standard": table.standard, "source": table.source, "note": table.note}
        record = existing_tables.get(key)
        if record is None:
            new_tables.append(CodeTableRecord(key=key, **wanted))
        elif any(getattr(record, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(record, field, value)
            changed_tables.append(record)
    CodeTableRecord.objects.bulk_create(new_tables)
    CodeTableRecord.objects.bulk_update(changed_tables, _TABLE_FIELDS)
    counts["tables_created"], counts["tables_updated"] = len(new_tables), len(changed_tables)

    existing_items = {(item.table_id, item.code): item for item in CodeItem.objects.all()}
    wanted_keys: set[tuple[str, str]] = set()
    new_items: list[CodeItem] = []
    changed_items: list[CodeItem] = []
    for key, table in tables.items():
        for order, (code, name) in enumerate(table.items, start=1):
            wanted_keys.add((key, code))
            item = existing_items.get((key, code))
            if item is None:
                new_items.append(CodeItem(table_id=key, code=code, name=name, sort_order=order))
            elif (item.name, item.sort_order, item.is_active) != (name, order, True):
                item.name, item.sort_order, item.is_active = name, order, True
                changed_items.append(item)
    retired: list[CodeItem] = []
    for item_key, item in existing_items.items():
        if item_key not in wanted_keys and item.is_active:
            item.is_active = False
            retired.append(item)
    CodeItem.objects.bulk_create(new_items, batch_size=500)
    CodeItem.objects.bulk_update(changed_items + retired, _ITEM_FIELDS, batch_size=500)
    counts["items_created"] = len(new_items)
    counts["items_updated"] = len(changed_items)
    counts["items_deactivated"] = len(retired)

    counts["tables"] = len(tables)
    counts["items"] = len(wanted_keys)
    return counts
