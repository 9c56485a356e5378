"""Masking of personal data in lists (SPEC F-16): pure functions.

ID numbers keep their first four and last four characters (4401**********1234); phone
numbers their first three and last four (138****5678). Short values are masked whole
but for their last character, so nothing identifying leaks from a short value either.
"""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """4401**********1234 for an 18-character ID number."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * (len(value) - 1) + value[-1]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_national_number(value: str | None) -> str:
    """A G-prefixed 全国学籍号 is "G" + the resident ID (F-26), so in lists it is masked
    like the ID: G4401**********1234. J and L numbers carry no ID number and are shown
    whole (docs/DECISIONS.md #15)."""
    value = (value or "").strip()
    if len(value) == 19 and value[0] == "G":
        return "G" + mask_id_number(value[1:])
    return value


def mask_phone(value: str | None) -> str:
    """138****5678 for a mobile number; an office number keeps its last four digits."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * (len(value) - 1) + value[-1]
    return "*" * (len(value) - 4) + value[-4:]
