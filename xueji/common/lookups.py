"""``__in`` of many integers as ``= ANY(array)`` on PostgreSQL.

Django writes ``pk__in=[…5,000 ids…]`` as ``IN (%s, %s, …)``: psycopg then splits a
statement of thousands of placeholders in Python on every call, and PostgreSQL parses
and plans a list of thousands of constants (bench/peak.py ``--profile``: ``_split_query``
alone was a tenth of 录取审核 and 分班; DECISIONS 184). With one array parameter the
statement is short and its plan the same for any length. The array goes as its text
(``'{1,2,3}'``, :func:`int_array`): psycopg's list adapter walks a list in Python, a few
tenths of a µs per id (``bench/peak.py --cprofile``: ~1 s of 录取 at 200,000 students),
``str.join`` does it in C. Only lists of at least
:data:`ANY_MIN` plain integers change (ids, foreign keys, integer codes); everything else
— subqueries, strings, dates, short lists, other databases — stays Django's ``IN``.
Installed by :class:`xueji.common.apps.CommonConfig` for every field and relation.
"""

from __future__ import annotations

from django.db.models import Field
from django.db.models.expressions import Col, ColPairs
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In
from django.utils.datastructures import OrderedSet

__all__ = ["ANY_MIN", "ArrayIn", "RelatedArrayIn", "install", "int_array"]

#: Shorter lists keep ``IN (…)`` (cheap either way, and the statements stay familiar).
ANY_MIN = 100

#: Fields whose database value of a Python ``int`` is that ``int`` (no conversion to run).
_INTEGER_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                            "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                            "PositiveSmallIntegerField"})


def _plain_ints(values) -> bool:
    return all(type(v) is int for v in values)


def _array_text(ints) -> str:
    return "{" + ",".join(map(str, ints)) + "}"


def int_array(values) -> str:
    """The PostgreSQL array text of integers (``'{1,2,3}'``), for a ``%s::bigint[]``
    parameter. Only ints (not bools, not strings of digits) are accepted."""
    if not _plain_ints(values):
        raise TypeError("int_array takes ints only")
    return _array_text(values)


def _plain_integer_column(lookup: In) -> bool:
    """Whether the lookup's column takes Python ints as they are (an integer field, or a
    relation whose target is one): then a list of ints needs no per-value preparation."""
    field = getattr(lookup.lhs, "output_field", None)
    while field is not None and getattr(field, "is_relation", False):
        field = getattr(field, "target_field", None)
    return field is not None and field.get_internal_type() in _INTEGER_TYPES


def _as_any(lookup: In, compiler, connection):
    """``lhs = ANY(%s::bigint[])`` for a direct list of ≥ ANY_MIN integers, else None."""
    if not lookup.rhs_is_direct_value() or lookup.bilateral_transforms or isinstance(lookup.lhs, ColPairs):
        return None
    try:
        values = OrderedSet(lookup.rhs)
    except TypeError:  # unhashable values: Django's way
        return None
    values.discard(None)
    if len(values) < ANY_MIN:
        return None
    if _plain_ints(values) and _plain_integer_column(lookup):
        # ids as they come from the database: the per-value preparation would give them back
        # unchanged (a few µs each, bench/admission.py --cprofile)
        params = list(values)
    else:
        sqls, params = lookup.batch_process_rhs(compiler, connection, values)
        if any(sql != "%s" for sql in sqls) or any(type(p) is not int for p in params):
            return None
    lhs_sql, lhs_params = lookup.process_lhs(compiler, connection)
    return f"{lhs_sql} = ANY(%s::bigint[])", [*lhs_params, _array_text(params)]  # ints, checked above


class _AnyOnPostgres:
    def get_prep_lookup(self):
        # A long list of plain ints on an integer column: each value's preparation (and a
        # relation's normalisation, two more passes) would give it back unchanged.
        rhs = self.rhs
        if (type(rhs) in (list, tuple) and len(rhs) >= ANY_MIN and isinstance(self.lhs, Col)
                and _plain_ints(rhs) and _plain_integer_column(self)):
            return list(rhs)
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        return _as_any(self, compiler, connection) or self.as_sql(compiler, connection)


class ArrayIn(_AnyOnPostgres, In):
    pass


class RelatedArrayIn(_AnyOnPostgres, RelatedIn):
    pass


def install() -> None:
    Field.register_lookup(ArrayIn)
    ForeignObject.register_lookup(RelatedArrayIn)
