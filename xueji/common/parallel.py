"""Work beside the request: a generator run in a second process (并行处理).

A bulk import has two halves that can overlap — reading and checking the rows (pure
Python, no database) and writing them (the database). :func:`iterate_in_worker` runs the
first half in a forked child process and hands its batches to the caller as they come,
so on a machine with two cores the checks of batch *n + 1* run while batch *n* is
written. Only the producer's output crosses the pipe (pickled), so it should be
compact: tuples of plain values, not model instances.

The child never touches the database: it is forked with the parent's connection
objects and must not use them (the producer gets everything it needs as arguments).
It ends with ``os._exit`` (multiprocessing's fork start does that), so nothing of the
parent is closed or flushed twice. Where ``fork`` is not available, or
``settings.XUEJI_PARALLEL_IMPORT`` is off, the generator runs in the caller's process
— same results, one core.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

__all__ = ["WorkerFailed", "iterate_in_worker", "parallel_available"]


class WorkerFailed(RuntimeError):
    """The worker process died without reporting an error (killed, out of memory)."""


def parallel_available() -> bool:
    return bool(getattr(settings, "XUEJI_PARALLEL_IMPORT", True)) and (
        "fork" in multiprocessing.get_all_start_methods()
    )


def _child(receiver, sender, producer: Callable[..., Iterator[Any]], args: tuple) -> None:
    # The forked child inherits the read end too: close it, so that if the parent dies
    # (SIGKILL of a task worker) the pipe has no reader left and the next send fails
    # (BrokenPipeError) instead of blocking forever once the pipe is full.
    receiver.close()
    try:
        for item in producer(*args):
            sender.send(("item", item))
        sender.send(("done", None))
    except BrokenPipeError:  # the parent is gone: nobody to report to
        return
    except BaseException as error:  # reported to the parent, which raises it
        try:
            sender.send(("error", error))
        except BrokenPipeError:
            return
        except Exception:  # the error itself can't be pickled
            sender.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        sender.close()


def iterate_in_worker(producer: Callable[..., Iterator[Any]], *args,
                      while_starting: Callable[[], None] | None = None, inline: bool = False) -> Iterator[Any]:
    """Yield what ``producer(*args)`` yields, computed in a forked worker process (or
    here, see the module docstring). An exception in the producer is raised here; if
    the caller stops early, the worker is stopped.

    ``while_starting``: called here once the worker has started, before its first item
    is taken — work of this process that may overlap the worker's first batch (a check
    that must pass before anything is written); what it raises stops the worker.

    ``inline``: run the producer here all the same (the caller knows the work is too small
    to repay a fork)."""
    if inline or not parallel_available():
        if while_starting is not None:
            while_starting()
        yield from producer(*args)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(receiver, sender, producer, args), daemon=True,
                              name="xueji-worker")
    process.start()
    sender.close()
    try:
        if while_starting is not None:
            while_starting()
        while True:
            try:
                kind, item = receiver.recv()
            except EOFError:
                process.join()
                raise WorkerFailed(f"后台处理进程异常退出(退出码 {process.exitcode})") from None
            if kind == "item":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()
