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


def referenced(model: type[models.Model], ids: Iterable[int], *, ignore: Iterable[type[models.Model]] = ()
               ) -> dict[int, list[str]]:
    """The ids of ``ids`` that a row of another table points at, each with the Chinese
    names (``verbose_name``) of the tables that do. ``ignore``: tables the caller removes
    with the rows (their own dependent data). One query per relation and chunk."""
    ids = list(dict.fromkeys(ids))
    skip = set(ignore)
    found: dict[int, list[str]] = {}
    if not ids:
        return found
    for relation in reverse_relations(model):
        related = relation.related_model
        if related in skip:
            continue
        field = relation.field
        # a key to the primary key is its own column; one to another field (to_field) joins
        column = field.attname if field.target_field == model._meta.pk else f"{field.name}__pk"
        label = str(related._meta.verbose_name)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for pk in related._base_manager.filter(**{f"{column}__in": chunk}).values_list(column, flat=True).distinct():
                names = found.setdefault(pk, [])
                if label not in names:
                    names.append(label)
    return found
