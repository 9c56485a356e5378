"""``{{ form.field|field_html }}``: a query condition's input or select written directly
(what Django's widget templates would write, for the widgets the query form uses). The
query page has some twenty conditions with 60-option selects; through the widget templates
they were a third of the page's time."""

from __future__ import annotations

from django import forms, template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def _attrs(bound) -> str:
    attrs = {**bound.field.widget.attrs, "name": bound.html_name, "id": bound.auto_id}
    if bound.errors:
        attrs["aria-invalid"] = "true"
    return "".join(f' {k}="{escape(v)}"' for k, v in attrs.items() if v not in (None, False))


@register.filter
def field_html(bound) -> str:
    widget = bound.field.widget
    value = bound.value()
    if isinstance(widget, forms.Select):
        current = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(code)}"{" selected" if str(code) == current else ""}>{escape(label)}</option>'
            for code, label in bound.field.choices)
        return mark_safe(f"<select{_attrs(bound)}>{options}</select>")
    if isinstance(widget, forms.TextInput):
        maxlength = getattr(bound.field, "max_length", None)
        shown = "" if value in (None, "") else f' value="{escape(value)}"'
        extra = f' maxlength="{maxlength}"' if maxlength else ""
        return mark_safe(f'<input type="text"{_attrs(bound)}{extra}{shown}>')
    return str(bound)
