"""QR codes for invite links, rendered once per (link, size, format) and then cached."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

DEFAULT_BOX = 12
MIN_BOX, MAX_BOX = 2, 40


def clamp_box(value: object) -> int:
    """A bounded size parameter: anything unparsable gets the default."""
    try:
        box = int(str(value))
    except (TypeError, ValueError):
        return DEFAULT_BOX
    return max(MIN_BOX, min(MAX_BOX, box))


def _qr(data: str, box: int) -> qrcode.QRCode[Any]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=2048)
def png(data: str, box: int = DEFAULT_BOX) -> bytes:
    # Greyscale rather than 1-bit: a few hundred bytes more, and it stays above Yandex's
    # 1 KB minimum for image uploads at the default size.
    image = _qr(data, box).make_image(fill_color="black", back_color="white").convert("L")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=2048)
def svg(data: str, box: int = DEFAULT_BOX) -> bytes:
    image = _qr(data, box).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
