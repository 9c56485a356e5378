"""The worker-process pipeline (common.parallel) and the batches it carries (common.batching)."""

from __future__ import annotations

import os

import pytest

from xueji.common import parallel
from xueji.common.batching import batches


def _pids(count):
    for index in range(count):
        yield (os.getpid(), index)


def _fails_after(count):
    yield from range(count)
    raise ValueError("第3行以后无法读取")


def _dies():
    yield 1
    os._exit(3)


def _unpicklable_error():
    yield 1
    raise _LocalError(lambda: None)


class _LocalError(Exception):
    pass


def test_items_come_from_another_process_in_order():
    items = list(parallel.iterate_in_worker(_pids, 5))
    assert [index for _, index in items] == list(range(5))
    if parallel.parallel_available():
        assert {pid for pid, _ in items} == {items[0][0]} and items[0][0] != os.getpid()


def test_the_producers_error_is_raised_here():
    seen = []
    with pytest.raises(ValueError, match="第3行以后"):
        for item in parallel.iterate_in_worker(_fails_after, 3):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_an_error_that_cannot_be_pickled_still_arrives():
    with pytest.raises(Exception, match="_LocalError"):
        list(parallel.iterate_in_worker(_unpicklable_error))


@pytest.mark.skipif(not parallel.parallel_available(), reason="no fork here")
def test_a_worker_that_dies_is_reported():
    with pytest.raises(parallel.WorkerFailed, match="退出码 3"):
        list(parallel.iterate_in_worker(_dies))


def test_stopping_early_stops_the_worker():
    iterator = parallel.iterate_in_worker(_pids, 10_000_000)
    assert next(iterator)[1] == 0
    iterator.close()  # must not hang: the worker is terminated


def test_off_by_setting_runs_here(settings):
    settings.XUEJI_PARALLEL_IMPORT = False
    assert {pid for pid, _ in parallel.iterate_in_worker(_pids, 3)} == {os.getpid()}


def test_batches_ramp_up_then_keep_size():
    sizes = [len(b) for b in batches(range(5000), 2000, first=250)]
    assert sizes == [250, 500, 1000, 2000, 1250]
    assert [len(b) for b in batches(range(5), 2)] == [2, 2, 1]
    assert list(batches([], 3)) == []
    assert [x for b in batches(range(4321), 1000, first=7) for x in b] == list(range(4321))


def test_batches_shrink_towards_the_expected_end():
    sizes = [len(b) for b in batches(range(10_000), 1000, first=250, expected=10_000)]
    assert sizes[:3] == [250, 500, 1000]
    assert sizes[-3:] == [312, 250, 63]  # the consumer's last batch is a small one
    assert max(sizes) == 1000 and sum(sizes) == 10_000
    # A wrong estimate changes only the sizes, never the items.
    for expected in (0, 10, 9_999, 50_000):
        assert [x for b in batches(range(4321), 1000, first=7, expected=expected) for x in b] == list(range(4321))
    assert min(len(b) for b in list(batches(range(4321), 1000, first=7, expected=0))[:-1]) >= 7


def test_work_while_the_worker_starts_runs_before_the_first_item():
    order = []
    for item in parallel.iterate_in_worker(_pids, 2, while_starting=lambda: order.append("check")):
        order.append(item[1])
    assert order == ["check", 0, 1]


def test_a_failing_check_while_starting_stops_the_worker():
    def refuse():
        raise ValueError("行数超过上限")

    with pytest.raises(ValueError, match="行数超过上限"):
        list(parallel.iterate_in_worker(_pids, 10_000_000, while_starting=refuse))


def test_paused_gc_restores_the_collector():
    import gc

    from xueji.common.batching import paused_gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the inner one leaves it paused
            pass
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: stays off
    finally:
        gc.enable()


def test_inline_runs_the_producer_here_after_while_starting():
    order = []
    items = list(parallel.iterate_in_worker(_pids, 3, while_starting=lambda: order.append("started"), inline=True))
    assert order == ["started"]
    assert items == [(os.getpid(), 0), (os.getpid(), 1), (os.getpid(), 2)]
