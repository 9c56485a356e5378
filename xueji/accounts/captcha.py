"""A CAPTCHA for the login page (SPEC F-12): asked for after a failed attempt.

The answer lives in the session only; the image is drawn with Pillow, so nothing is
fetched from outside (offline intranets).
"""

from __future__ import annotations

import io
import secrets

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LENGTH = 4
SESSION_KEY = "captcha_answer"


def new_answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def issue(session) -> str:
    answer = new_answer()
    session[SESSION_KEY] = answer
    return answer


def check(session, given: str | None) -> bool:
    """Compare case-insensitively; an answer is good for one try only."""
    expected = session.pop(SESSION_KEY, None)
    return bool(expected) and secrets.compare_digest(expected, (given or "").strip().upper())


def render_png(answer: str) -> bytes:
    width, height = 120, 44
    image = Image.new("RGB", (width, height), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    rng = secrets.SystemRandom()
    for _ in range(6):
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _ in range(2)],
            fill=(rng.randint(120, 200),) * 3,
            width=1,
        )
    for i, char in enumerate(answer):
        draw.text((10 + i * 26, rng.randint(2, 8)), char, font=font, fill=(rng.randint(0, 80), 40, 120))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
