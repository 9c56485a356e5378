"""Batches for the set-based bulk paths (imports, data collection)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def batches(rows: Iterable, size: int) -> Iterator[list]:
    """Lists of at most ``size`` items, streaming: only one batch is in memory."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
