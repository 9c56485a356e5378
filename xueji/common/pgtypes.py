"""Reading ``timestamptz`` columns on PostgreSQL with psycopg's compiled loader.

Django registers its own loader for ``timestamptz`` on every connection (a subclass of
psycopg's pure-Python loader that replaces the parsed value's ``tzinfo`` with the
connection's time zone). Every datetime a query returns then goes through Python-level
parsing: about 14 µs a value, 2.6 s of the 19.6 s the review of 20,000 admissions takes
(``bench/admission.py --count 20000 --cprofile``, decision 193).

When the session's time zone is UTC — Django's setting with ``USE_TZ`` and no
``TIME_ZONE`` of the database — psycopg's compiled loader (psycopg-binary) already returns
what Django's would: the same instant, with ``tzinfo`` ``datetime.timezone.utc``. Then
:func:`install` registers :class:`UtcTimestamptzLoader`, a thin loader that hands each
value to the compiled one. It keeps the ``timezone`` attribute Django's cursor creation
compares (``DatabaseWrapper.create_cursor``), so a cursor never re-registers Django's.
Any other configuration (another session time zone, no compiled psycopg) keeps Django's.
"""

from __future__ import annotations

import datetime as dt

try:  # PostgreSQL support is optional for a SQLite deployment
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.pq import Format
except ImportError:  # pragma: no cover - psycopg is a dependency of the project
    psycopg = None

TIMESTAMPTZ = "timestamptz"


def _compiled_loader():
    """psycopg's compiled timestamptz loader class, or None without psycopg-binary/-c."""
    if psycopg is None or psycopg.pq.__impl__ == "python":
        return None
    oid = psycopg.postgres.types[TIMESTAMPTZ].oid
    loader = psycopg.adapters.get_loader(oid, Format.TEXT)
    return loader if loader.__module__.startswith(("psycopg_binary", "psycopg_c")) else None


_COMPILED = _compiled_loader()

if psycopg is not None:

    class UtcTimestamptzLoader(Loader):
        """Loads ``timestamptz`` in a UTC session through the compiled loader. The C
        row loader calls an instance's ``load`` attribute directly, so binding the
        compiled loader's ``load`` there costs no Python frame per value."""

        timezone = dt.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._compiled = _COMPILED(oid, context)
            self.load = self._compiled.load  # shadows the method below

        def load(self, data):
            return self._compiled.load(data)


def applies(connection) -> bool:
    """Whether the compiled loader gives what Django expects on this connection."""
    if connection.vendor != "postgresql" or _COMPILED is None or connection.connection is None:
        return False
    session_zone = connection.connection.info.parameter_status("TimeZone")
    return connection.timezone is dt.UTC and session_zone == "UTC"


def install(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: register the loader on a new PostgreSQL connection."""
    if connection is not None and applies(connection):
        connection.connection.adapters.register_loader(TIMESTAMPTZ, UtcTimestamptzLoader)
