"""Form helpers shared by every app."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def add_validation_errors(form, error: ValidationError, default_field: str | None = None) -> None:
    """Put a service's ValidationError on the form: a per-field error on its field (or on
    the form when the form has no such field), a plain one on ``default_field``."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(default_field, error)


def error_messages(request, error: ValidationError) -> None:
    """Show a service's refusal on the next page: each message of ``error`` as an error message."""
    from django.contrib import messages

    for message in error.messages:
        messages.error(request, message)
