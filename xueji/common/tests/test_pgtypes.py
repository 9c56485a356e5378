"""The compiled timestamptz loader (common.pgtypes) gives exactly what Django's would."""

import datetime as dt

import pytest
from django.db import connection

from xueji.common import pgtypes

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-07-30 23:59:59.999999+00",
    "2026-09-01 00:00:00+08",  # another offset: the same instant, given in UTC
    "1900-02-28 12:00:00.5+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 08:30:00.000001-03:30",
]


def _load(sql_values, loader=None):
    with connection.cursor() as cursor:
        if loader is not None:
            loader(cursor.cursor)
        cursor.execute("SELECT " + ", ".join("%s::timestamptz" for _ in sql_values) + ", NULL::timestamptz",
                       sql_values)
        return cursor.fetchone()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_connection_uses_the_compiled_loader():
    connection.ensure_connection()
    assert pgtypes.applies(connection)
    oid = pgtypes.psycopg.postgres.types["timestamptz"].oid
    assert connection.connection.adapters.get_loader(oid, pgtypes.Format.TEXT) is pgtypes.UtcTimestamptzLoader
    # Django's cursor creation compares the loader's time zone and keeps the connection's loader
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(oid, pgtypes.Format.TEXT) is pgtypes.UtcTimestamptzLoader


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_values_equal_djangos_loader():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    ours = _load(VALUES)
    djangos = _load(VALUES, loader=lambda cursor: register_tzloader(dt.UTC, cursor))
    assert ours == djangos
    assert ours[-1] is None and djangos[-1] is None
    for mine, theirs in zip(ours[:-1], djangos[:-1], strict=True):
        assert mine.tzinfo is dt.UTC and theirs.tzinfo is dt.UTC
        assert (mine.year, mine.microsecond, mine.utcoffset()) == (theirs.year, theirs.microsecond, theirs.utcoffset())
    assert ours[1] == dt.datetime(2026, 8, 31, 16, 0, tzinfo=dt.UTC)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_model_datetimes_round_trip():
    from django.contrib.sessions.models import Session

    moment = dt.datetime(2026, 8, 10, 16, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    Session.objects.create(session_key="k" * 32, session_data="x", expire_date=moment)
    fresh = Session.objects.get(session_key="k" * 32)
    assert fresh.expire_date == moment
    assert fresh.expire_date.tzinfo is dt.UTC
    assert Session.objects.filter(expire_date__lt=moment + dt.timedelta(microseconds=1)).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_another_session_zone_keeps_djangos_loader(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection, "timezone", dt.timezone(dt.timedelta(hours=8)))
    assert not pgtypes.applies(connection)


def test_sqlite_is_left_alone():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    connection.ensure_connection()
    assert not pgtypes.applies(connection)
