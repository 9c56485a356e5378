"""Writes of 招生入学 (filled in below)."""


def register() -> None:
    """Plug the admission business types, holds and jobs into the engine."""
