"""The kinds of background work, registered by the feature apps in ``apps.ready()``
(a lower app never imports a feature):

    from xueji.jobs import registry
    registry.register("registration.import", name="学籍注册Excel导入", run=run_import,
                      on_failure=undo_import, result_url=import_result_url, rerun=rerun_import)

- ``run(job, progress)`` does the work in the worker and returns the result (a small
  JSON-able dict shown on the result page, or None). It reports progress through
  ``progress`` (:class:`xueji.jobs.services.Progress`) and may call
  ``progress.finish(result)`` inside its own last transaction, so the job is marked done
  atomically with the last write. It raises ``ValidationError`` / ``PermissionDenied``
  with a Chinese message for a refusal.
- ``on_failure(job, reason)`` undoes what a run that did not finish left behind (its worker
  died, it raised, or it was cancelled); it runs in the same transaction that marks the
  job failed, and must be idempotent; it may return a short note of what it undid
  (added to the job's message).
- ``result_url(job)``: where the job's result is shown (default: the job page).
- ``rerun(job, user, request)``: start the work again (default: a new job of the same
  kind with the same parameters and input file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobKind:
    kind: str
    name: str
    run: Callable[..., Any]
    on_failure: Callable[..., Any] | None = None
    result_url: Callable[..., str] | None = None
    rerun: Callable[..., Any] | None = None


_KINDS: dict[str, JobKind] = {}


def register(kind: str, *, name: str, run: Callable, on_failure: Callable | None = None,
             result_url: Callable | None = None, rerun: Callable | None = None) -> JobKind:
    """Register (or replace) the job kind ``kind``; ``name`` is its Chinese name."""
    entry = JobKind(kind, name, run, on_failure, result_url, rerun)
    _KINDS[kind] = entry
    return entry


def get(kind: str) -> JobKind | None:
    return _KINDS.get(kind)


def name_of(kind: str) -> str:
    entry = _KINDS.get(kind)
    return entry.name if entry else "后台任务"


def kinds() -> dict[str, JobKind]:
    return dict(_KINDS)
