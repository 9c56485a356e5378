"""认证 for features above ``students``: who asks the population registry (人口信息库)
whether a resident ID belongs to a name.

The registry's adapters belong to ``registration`` (docs/REGISTRATION.md); a sibling
feature (关键数据变更 in ``changes``) may not import it, so ``registration`` plugs its
verifier in here when its app is ready (``set_verifier``), and the others call
:func:`verify`. Plain data, no database access here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

#: ``[(resident ID, name)]`` → ``{resident ID: (verified, reason)}``, or None when the
#: registry could not be reached.
Verifier = Callable[[Sequence[tuple[str, str]]], "dict[str, tuple[bool, str]] | None"]

_verifier: Verifier | None = None


def set_verifier(verifier: Verifier | None) -> None:
    global _verifier
    _verifier = verifier


def verify(people: Sequence[tuple[str, str]]) -> dict[str, tuple[bool, str]] | None:
    """认证 of ``people`` (resident ID, name) in one call; None: no answer (the registry is
    unreachable or no verifier is plugged in) — the caller waits and retries."""
    if not people:
        return {}
    if _verifier is None:
        return None
    return _verifier(list(people))


@contextmanager
def registry_unreachable() -> Iterator[None]:
    """While inside, the registry does not answer (:func:`verify` returns None) — how the
    demo shows a request waiting for 查重认证."""
    global _verifier
    previous, _verifier = _verifier, None
    try:
        yield
    finally:
        _verifier = previous
