"""Batches for the set-based bulk paths (imports, data collection)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def batches(rows: Iterable, size: int, *, first: int | None = None) -> Iterator[list]:
    """Lists of at most ``size`` items, streaming: only one batch is in memory.

    ``first``: the first batch has at most this many items and each next one doubles
    until ``size`` — so the consumer of a pipeline (:mod:`xueji.common.parallel`) starts
    working early instead of waiting for a whole batch."""
    limit = min(first or size, size)
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(limit * 2, size)
    if batch:
        yield batch
