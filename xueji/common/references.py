"""Which rows of a model other tables still point at (引用检查): before a hard removal
(a record an unfinished load created, a class nobody uses), every foreign key to the
model is asked once per chunk of ids — the relations found in the model's metadata,
hidden ones (``related_name="+"``) included, so a table added later is checked without
anyone listing it here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

#: Ids per ``IN (…)`` (well under SQLite's limit of bound parameters).
CHUNK = 5000


def reverse_relations(model: type[models.Model]) -> list:
    """Every foreign key and one-to-one field of another model (or this one) that points
    at ``model``."""
    return [f for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)]


def _indexed(field) -> bool:
    """Whether the database can find rows by ``field`` without reading the whole table:
    its own index, or an index or unique constraint that starts with it."""
    if field.db_index or field.unique:
        return True
    meta = field.model._meta
    leading = [list(index.fields)[:1] for index in meta.indexes]
    leading += [list(getattr(c, "fields", ()) or ())[:1] for c in meta.constraints]
    return [field.name] in leading


def referenced(model: type[models.Model], ids: Iterable[int], *, ignore: Iterable[type[models.Model]] = ()
               ) -> dict[int, list[str]]:
    """The ids of ``ids`` that a row of another table points at, each with the Chinese
    names (``verbose_name``) of the tables that do. ``ignore``: tables the caller removes
    with the rows (their own dependent data). One query per relation and chunk of ids;
    for a key without an index (a table that is never searched by it), one query over
    the range of the ids instead, so the table is read once, not once per chunk."""
    ids = list(dict.fromkeys(ids))
    skip = set(ignore)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    wanted = set(ids)
    low, high = min(ids), max(ids)
    for relation in reverse_relations(model):
        related = relation.related_model
        if related in skip:
            continue
        field = relation.field
        # a key to the primary key is its own column; one to another field (to_field) joins
        column = field.attname if field.target_field == model._meta.pk else f"{field.name}__pk"
        label = str(related._meta.verbose_name)
        rows = related._base_manager
        if _indexed(field):
            lookups = [{f"{column}__in": ids[start:start + CHUNK]} for start in range(0, len(ids), CHUNK)]
        else:
            lookups = [{f"{column}__gte": low, f"{column}__lte": high}]
        for lookup in lookups:
            for pk in rows.filter(**lookup).values_list(column, flat=True).distinct().iterator():
                if pk not in wanted:
                    continue
                names = found.setdefault(pk, [])
                if label not in names:
                    names.append(label)
    return found
