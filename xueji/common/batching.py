"""Batches for the set-based bulk paths (imports, data collection)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator


def batches(rows: Iterable, size: int, *, first: int | None = None,
            expected: int | None = None) -> Iterator[list]:
    """Lists of at most ``size`` items, streaming: only one batch is in memory.

    ``first``: the first batch has at most this many items and each next one doubles
    until ``size`` — so the consumer of a pipeline (:mod:`xueji.common.parallel`) starts
    working early instead of waiting for a whole batch. ``expected``: about how many
    items there are (an estimate, e.g. a sheet's declared last row); towards the end the
    batches shrink again (at most half of what is left, not below ``first``), so the
    consumer's last batch — the work left once the producer is done — is a small one."""
    smallest = min(first or size, size)
    limit = smallest
    batch: list = []
    produced = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= limit:
            yield batch
            produced += len(batch)
            batch = []
            limit = min(limit * 2, size)
            if expected is not None:
                limit = max(smallest, min(limit, (expected - produced) // 2))
    if batch:
        yield batch


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector paused for a bulk step (an import of 10,000 rows builds
    some 500,000 dicts and lists, none of them cyclic garbage; each full collection walks
    every live object of the process — 0.7 s of a 2.5 s batch edit). Reference counting
    still frees everything; cycles made meanwhile are collected once it is back on. Not
    nested: an inner pause leaves the collector as the outer one wants it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
