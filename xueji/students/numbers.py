"""全国学籍号 and identity keys: pure functions (SPEC F-26, F-41).

- official number for a resident ID: "G" + the 18-character ID number;
- official number without a resident ID: "J" + 6-digit division of the school + 8-digit
  birth date + 4-character sequence;
- temporary number: "L" + the same 18 characters.

The 4-character sequence counts in digits first, then letters (0-9, then A-Z: base 36),
so 0001 … 0009, 000A … 000Z, 0010 …; 1,679,615 numbers per division and birth date.
"""

from __future__ import annotations

import datetime as dt

SEQUENCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SEQUENCE_LENGTH = 4
MAX_SEQUENCE = len(SEQUENCE_ALPHABET) ** SEQUENCE_LENGTH - 1
RESIDENT_ID_TYPE = "1"
NO_DOCUMENT_TYPE = "Z"


def encode_sequence(n: int) -> str:
    """1 → '0001', 10 → '000A', 36 → '0010'."""
    if not 1 <= n <= MAX_SEQUENCE:
        raise ValueError(f"sequence {n} out of range")
    chars = []
    for _ in range(SEQUENCE_LENGTH):
        n, digit = divmod(n, len(SEQUENCE_ALPHABET))
        chars.append(SEQUENCE_ALPHABET[digit])
    return "".join(reversed(chars))


def official_number(id_number: str) -> str:
    """G + the resident ID number (upper-case X)."""
    return "G" + id_number.upper()


def sequence_prefix(kind: str, division_code: str, birth_date: dt.date) -> str:
    """The 15-character prefix of a J or L number: letter + 6 division digits + birth date."""
    if kind not in {"J", "L"}:
        raise ValueError(kind)
    return f"{kind}{division_code[:6]}{birth_date:%Y%m%d}"


def sequenced_number(prefix: str, n: int) -> str:
    return prefix + encode_sequence(n)


def identity_key(id_type: str, id_number: str | None) -> str | None:
    """The key 查重 uses: resident IDs by number; other documents by type and number;
    no key for ID-type Z (matched by name + gender + birth date instead, not blocked)."""
    number = (id_number or "").strip().upper()
    if id_type == NO_DOCUMENT_TYPE or not number:
        return None
    return f"{id_type}:{number}"
