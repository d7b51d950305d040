"""Decode QR images back to text with zbar, so tests compare what a phone camera would read."""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw
from pyzbar import pyzbar

_RECT = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z")


def decode_png(data: bytes) -> list[str]:
    return [r.data.decode() for r in pyzbar.decode(Image.open(io.BytesIO(data)))]


def decode_svg(data: bytes, scale: int = 8) -> list[str]:
    """Rasterize qrcode's path-only SVG (unit squares in a viewBox) and decode it."""
    text = data.decode()
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', text).group(1))  # type: ignore[union-attr]
    size = int(width * scale)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for x1, y1, x2, y2, _ in _RECT.findall(text):
        draw.rectangle(
            [float(x1) * scale, float(y1) * scale, float(x2) * scale - 1, float(y2) * scale - 1],
            fill=0,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return decode_png(out.getvalue())
