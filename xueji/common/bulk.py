"""The bulk write path: many rows of one model in one statement, without building model
instances (批量写入).

An Excel import writes tens of thousands of rows; building a Django model instance per
row and preparing every field through the ORM costs more than the database's own work
(bench/registration_import.py, docs/PERFORMANCE.md). Services that write in bulk use
these helpers instead of ``bulk_create``:

- :func:`allocate_ids` reserves primary keys before the insert, so related rows (an
  identity claim naming its business) can be written first or together;
- :func:`insert_rows` inserts plain tuples with ``executemany``; columns the caller does
  not give get the model's default (``auto_now``/``auto_now_add`` columns get now);
- :func:`update_rows` sets columns of many rows, each to its own values, with one
  ``UPDATE … WHERE key = %s`` run by ``executemany`` (a ``bulk_update`` builds one
  ``CASE WHEN`` per row and column instead);
- :func:`delete_rows` deletes many rows by a key column, in chunks, without Django's
  collector (which loads every instance to follow cascades): the caller deletes the
  dependent rows first;
- :func:`update_grouped` sets the same values on every row of a group (rows going into
  one class, one grade): one ``UPDATE … WHERE pk IN`` per group and chunk, the values
  bound once, no per-row values;
- :func:`ids_in` is the ``column IN (…)`` of a list of ids for hand-written SQL (one
  array parameter on PostgreSQL);
- :func:`instances` builds model instances of rows already read (``values_list``)
  without ``Model.__init__`` per row — for the services that must hand instances to
  hooks (the review engine's businesses) but read tens of thousands of them at once;
- :func:`dumps` is the JSON encoding of JSON fields written this way (dates as ISO
  text, decimals as text — what ``DjangoJSONEncoder`` gives, and readable by JSONField).

Values passed to :func:`insert_rows` must be ready for the database: str, int, bool,
None, ISO date text (:func:`date_text`) and JSON text. Both helpers must run inside a
transaction (``transaction.atomic``): on SQLite the project opens transactions with
``BEGIN IMMEDIATE`` (settings.py), so the connection holds the write lock and the ids
reserved cannot be taken by anyone else; on PostgreSQL they come from the table's
sequence.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence

import orjson
from django.db import connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone

from .lookups import int_array

__all__ = ["allocate_ids", "date_text", "delete_rows", "dumps", "ids_in", "insert_rows", "instances",
           "update_grouped", "update_rows"]

#: Values per ``IN (…)`` of :func:`delete_rows` (well under SQLite's limit of bound parameters).
DELETE_CHUNK = 5000


def _default(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value) -> str:
    """JSON text of ``value`` (UTF-8, no spaces; dates ISO, decimals as text)."""
    return orjson.dumps(value, default=_default).decode()


def instances(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence], *,
                using: str = "default") -> list[models.Model]:
    """Instances of ``model`` loaded from ``rows`` (each the values of ``attnames`` in that
    order, as the ORM converts them: a ``values_list`` of those names) — what
    ``Model.from_db`` gives, saved (``_state.adding`` false, ``_state.db`` ``using``),
    without running ``Model.__init__`` per row (its per-field descriptors cost ~50 µs a
    row of a wide model: 100,000 businesses of one 全部审核 are seconds). A concrete field
    left out of ``attnames`` is deferred (loaded when first read), as with ``only()``.
    A model with ``pre_init``/``post_init`` receivers (ImageField dimensions, say) is
    refused: they would not run here."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        raise ValueError(f"{model.__name__} has init signal receivers; load it through the ORM")
    names = tuple(attnames)
    concrete = {f.attname for f in model._meta.concrete_fields}
    unknown = [name for name in names if name not in concrete]
    if unknown:
        raise ValueError(f"not concrete fields of {model.__name__}: {unknown}")
    new = model.__new__
    made = []
    for values in rows:
        instance = new(model)
        state = ModelState()
        state.adding, state.db = False, using
        fields = instance.__dict__
        fields.update(zip(names, values, strict=True))
        fields["_state"] = state
        made.append(instance)
    return made


def date_text(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def update_grouped(model: type[models.Model], rows: Iterable[tuple[object, int]],
                   values: Callable[[object], dict], chunk: int = DELETE_CHUNK) -> None:
    """``rows`` are ``(group key, primary key)``; every row of a group gets ``values(key)``
    (field names → values): one ``UPDATE`` per group and chunk of ``chunk`` keys.

    On PostgreSQL many groups (自动分班: ten classes of each of hundreds of schools) are
    one ``UPDATE … FROM unnest`` of :func:`update_rows` instead, each row its group's
    values: one statement per school, not one per class (bench/peak.py ``--profile``:
    900 UPDATEs of 40 rows cost about half as much again per row as one of 400)."""
    groups: dict[object, list[int]] = {}
    for key, pk in rows:
        groups.setdefault(key, []).append(pk)
    changes = {key: values(key) for key in groups}
    conn = connections[model._default_manager.db]
    if conn.vendor == "postgresql" and len(groups) > 1 and _update_as_rows(model, groups, changes, conn):
        return
    for key, pks in groups.items():
        for start in range(0, len(pks), chunk):
            model._default_manager.filter(pk__in=pks[start:start + chunk]).update(**changes[key])


def _update_as_rows(model, groups: dict[object, list[int]], changes: dict[object, dict], conn) -> bool:
    """:func:`update_grouped` as one :func:`update_rows`; False (nothing written) when the
    groups set different fields or a JSON one (left to the ORM's update)."""
    names = list(next(iter(changes.values())))
    if any(list(change) != names for change in changes.values()):
        return False
    fields_ = [model._meta.get_field(name) for name in names]
    if any(isinstance(f, models.JSONField) or not f.concrete for f in fields_):
        return False
    prepared = {key: tuple(f.get_db_prep_save(change[name], conn) for f, name in zip(fields_, names, strict=True))
                for key, change in changes.items()}
    update_rows(model, "id", [f.attname for f in fields_],
                [(*prepared[key], pk) for key, pks in groups.items() for pk in pks])
    return True


def ids_in(column: str, ids: Sequence[int], using: str = "default") -> tuple[str, list]:
    """``(sql, params)`` of "``column`` is one of ``ids``" (integers) for hand-written SQL:
    ``column = ANY(%s::bigint[])`` with the list as one parameter on PostgreSQL — the
    statement stays short, psycopg does not split thousands of placeholders and the server
    parses one array (as ``common.lookups`` does for the ORM, DECISIONS 184) — and
    ``column IN (%s, …)`` elsewhere. ``ids`` must not be empty."""
    ids = [int(pk) for pk in ids]
    if not ids:
        raise ValueError("ids_in needs at least one id")
    if connections[using].vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [int_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _connection_in_transaction(using: str):
    """The connection ``using``, refused unless in a transaction holding the write lock."""
    conn = connections[using]
    if not conn.in_atomic_block:
        raise RuntimeError("bulk writes must run inside transaction.atomic()")
    if conn.vendor == "sqlite" and conn.settings_dict.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
        raise RuntimeError("bulk writes on SQLite need OPTIONS transaction_mode IMMEDIATE (settings.py)")
    return conn


def allocate_ids(model: type[models.Model], count: int, *, using: str = "default") -> list[int]:
    """``count`` new primary keys of ``model``, never used before (not even by a row
    since deleted), in ascending order. The rows must then be inserted with these ids
    by :func:`insert_rows` in the same transaction."""
    if count <= 0:
        return []
    conn = _connection_in_transaction(using)
    table = model._meta.db_table
    pk = model._meta.pk.column
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        if conn.vendor != "sqlite":
            raise NotImplementedError(conn.vendor)
        # AUTOINCREMENT tables remember the highest id ever given in sqlite_sequence;
        # ids above both it and the current maximum have never been used.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        cursor.execute(f"SELECT max({conn.ops.quote_name(pk)}) FROM {conn.ops.quote_name(table)}")
        highest = max(row[0] if row else 0, cursor.fetchone()[0] or 0)
    return list(range(highest + 1, highest + 1 + count))


def _column_defaults(model: type[models.Model], given: Sequence[str], now, conn) -> list[tuple[str, object]]:
    """(column, database value) for every concrete column not in ``given``."""
    result = []
    for f in model._meta.concrete_fields:
        if f.attname in given or f.name in given:
            continue
        if f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now if isinstance(f, models.DateTimeField) else now.date()
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.blank and isinstance(f, (models.CharField, models.TextField, models.FileField)):
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.name}: no value and no default")
        result.append((f.column, f.get_db_prep_save(value, conn)))
    return result


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], *,
                using: str = "default") -> int:
    """INSERT ``rows`` (tuples in the order of ``columns``, field names or attnames such
    as ``school_id``; include ``id`` when the ids come from :func:`allocate_ids`).
    Returns how many rows were inserted. Raises ``IntegrityError`` like any insert."""
    if not rows:
        return 0
    conn = _connection_in_transaction(using)
    meta = model._meta
    names, placeholders = [], []
    for name in columns:
        f = meta.get_field(name) if name != "id" else meta.pk
        names.append(f.column)
        # Dates and JSON arrive as text; PostgreSQL is told what the text is.
        cast = conn.vendor == "postgresql" and isinstance(f, (models.DateField, models.JSONField))
        placeholders.append(f"%s::{f.db_type(conn)}" if cast else "%s")
    defaults = _column_defaults(model, columns, timezone.now(), conn)
    quote = conn.ops.quote_name
    all_columns = names + [c for c, _ in defaults]
    placeholders += ["%s"] * len(defaults)
    tail = tuple(v for _, v in defaults)
    full = [row + tail for row in rows] if tail else rows
    column_sql = ", ".join(quote(c) for c in all_columns)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # COPY: executemany pays a round of the pipeline per row (four times slower
            # for a record's 55 columns, bench/record_writer.py). Errors come out as
            # Django's (IntegrityError …), as from any insert.
            with conn.wrap_database_errors, cursor.cursor.copy(
                    f"COPY {quote(meta.db_table)} ({column_sql}) FROM STDIN") as copy:
                for row in full:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {quote(meta.db_table)} ({column_sql}) VALUES ({', '.join(placeholders)})",
                               full)
    return len(rows)


def update_rows(model: type[models.Model], key: str, columns: Sequence[str], rows: Sequence[tuple], *,
                where: str = "", using: str = "default") -> int:
    """UPDATE ``columns`` (field names or attnames) of the rows whose ``key`` column has
    the given value: ``rows`` are tuples ``(*values of columns, key value)``, values
    ready for the database as for :func:`insert_rows`. ``where`` adds a condition in SQL
    on the model's table (e.g. ``"student_id IS NULL"``). Returns how many rows
    changed, as the database counts them."""
    if not rows:
        return 0
    conn = _connection_in_transaction(using)
    meta = model._meta
    quote = conn.ops.quote_name
    sets = []
    for name in columns:
        f = meta.get_field(name)
        cast = conn.vendor == "postgresql" and isinstance(f, (models.DateField, models.JSONField))
        sets.append(f"{quote(f.column)} = %s" + (f"::{f.db_type(conn)}" if cast else ""))
    key_field = meta.pk if key in ("id", "pk") else meta.get_field(key)
    if conn.vendor == "postgresql" and len({row[-1] for row in rows}) == len(rows):
        return _update_from_values(conn, meta, key_field, columns, rows, where)
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {quote(key_field.column)} = %s"
           + (f" AND ({where})" if where else ""))
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount


#: Rows per statement of the PostgreSQL path (each column is one array parameter).
_UNNEST_ROWS = 20000


def _update_from_values(conn, meta, key_field, columns: Sequence[str], rows: Sequence[tuple], where: str) -> int:
    """PostgreSQL: ``UPDATE … FROM unnest(%s::type[], …)`` — one statement for many rows,
    one array parameter per column (an ``executemany`` of 10,000 UPDATEs waits on 10,000
    results even in a pipeline, about four times slower: bench/record_writer.py
    ``update_records``; ``FROM (VALUES …)`` with a placeholder per value cost psycopg a
    split of tens of thousands of placeholders and PostgreSQL their parsing — unnest
    about a fifth less, DECISIONS 184). Keys must be distinct (the caller checks;
    otherwise executemany's last-one-wins order is kept)."""
    quote = conn.ops.quote_name
    fields_ = [meta.get_field(name) for name in columns]
    casts = [f.cast_db_type(conn) for f in fields_] + [key_field.cast_db_type(conn)]
    names = [f"c{i}" for i in range(len(fields_))]
    sets = ", ".join(f"{quote(f.column)} = v.{name}" for f, name in zip(fields_, names, strict=True))
    table = quote(meta.db_table)
    key = f"{table}.{quote(key_field.column)}"
    # The keys once more as ``key = ANY(…)``: the table is then read by its key index, the
    # rows named and no others. Joined to unnest alone, the planner hashes the whole table
    # whenever it thinks the table small (its statistics lag behind a day's imports, and it
    # prices a page as if read from disk): a sequential scan of every row for each
    # statement of a few hundred (bench/peak.py under auto_explain, DECISIONS 202).
    sql = (f"UPDATE {table} SET {sets} FROM unnest({', '.join(f'%s::{cast}[]' for cast in casts)}) "
           f"AS v({', '.join(names)}, k) WHERE {key} = v.k AND {key} = ANY(%s::{casts[-1]}[])"
           + (f" AND ({where})" if where else ""))
    total = 0
    with conn.cursor() as cursor:
        for start in range(0, len(rows), _UNNEST_ROWS):
            part = rows[start:start + _UNNEST_ROWS]
            params = [_array_param(column) for column in zip(*part, strict=True)]
            cursor.execute(sql, [*params, params[-1]])
            total += cursor.rowcount
    return total


def _array_param(values: Sequence) -> str | list:
    """An unnest column: integers as the array's text (psycopg's list adapter walks a list
    in Python, ``common.lookups.int_array``), anything else as a list for psycopg."""
    try:
        return int_array(values)
    except TypeError:
        return list(values)


def delete_rows(model: type[models.Model], key: str, values: Sequence, *, using: str = "default") -> int:
    """DELETE the rows of ``model`` whose ``key`` column (a field name or attname, or
    ``id``) is one of ``values``: one statement per :data:`DELETE_CHUNK` values, no
    cascades and no signals — rows that point at them must be deleted first (the database
    refuses otherwise). Returns how many rows were deleted."""
    values = list(dict.fromkeys(values))
    if not values:
        return 0
    conn = _connection_in_transaction(using)
    meta = model._meta
    key_field = meta.pk if key in ("id", "pk") else meta.get_field(key)
    quote = conn.ops.quote_name
    deleted = 0
    with conn.cursor() as cursor:
        for start in range(0, len(values), DELETE_CHUNK):
            chunk = values[start:start + DELETE_CHUNK]
            cursor.execute(f"DELETE FROM {quote(meta.db_table)} WHERE {quote(key_field.column)} IN "
                           f"({', '.join(['%s'] * len(chunk))})", chunk)
            deleted += cursor.rowcount
    return deleted
