"""QR codes for invite links, rendered once per (link, size, format) and then cached.

Every first share makes a new code, so its QR is always a cache miss: the PNG path is
the part of a share an MCP tool call pays for (it returns the QR as an image). Two parts of
qrcode's work are redone here, same result, a fraction of the time. The mask choice lays
the data out 9 times (8 candidates, then the winner): the zigzag walk of a version's free
cells and each mask's flips are worked out once per version (bounded memos of pure
functions), so a layout is one pass of XORs; the candidates are scored with qrcode's own
penalty rules (`lost_point`), counted with bytes regexes and integer bit operations instead
of Python loops over modules. Tests compare both with qrcode's, matrix for matrix. The PNG
is one pixel per module scaled up (Pillow, nearest neighbour) instead of a rectangle drawn
per module: the same pixels, saved at zlib's default level (optimize=True cost 7 ms for
about 15% fewer bytes)."""

from __future__ import annotations

import io
import itertools
import re
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.image.svg
from PIL import Image
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

DEFAULT_BOX = 12
MIN_BOX, MAX_BOX = 2, 40
BORDER = 4

# qrcode.util's penalty rules (ISO/IEC 18004 7.8.3), over rows and columns as bytes of 0/1:
_RUN = re.compile(rb"\x00{5,}|\x01{5,}")  # N1: 3 + (run - 5) per run of 5 or more
_FINDER = re.compile(  # N3: 40 per 1:1:3:1:1 with 4 light on one side (overlaps count)
    rb"(?=\x01\x00\x01\x01\x01\x00\x01\x00\x00\x00\x00|\x00\x00\x00\x00\x01\x00\x01\x01\x01\x00\x01)")
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # light module white, dark black


def clamp_box(value: object) -> int:
    """A bounded size parameter: anything unparsable gets the default."""
    try:
        box = int(str(value))
    except (TypeError, ValueError):
        return DEFAULT_BOX
    return max(MIN_BOX, min(MAX_BOX, box))


def lost_point(modules: list[list[bool | None]]) -> int:
    """qrcode.util.lost_point's score of a masked matrix (lower is easier to scan)."""
    n = len(modules)
    rows = [bytes(row) for row in modules]  # type: ignore[arg-type]
    cols = [bytes(col) for col in zip(*modules, strict=True)]
    lines = b"\x02".join((*rows, *cols))  # \x02 ends a run or a pattern at each line's end
    runs = _RUN.findall(lines)
    score = sum(map(len, runs)) - 2 * len(runs) + 40 * len(_FINDER.findall(lines))
    ints = [int(row.translate(_DIGITS), 2) for row in rows]
    pairs = (1 << (n - 1)) - 1
    for top, bottom in itertools.pairwise(ints):  # N2: 3 per 2x2 block of one colour
        differs = (top ^ (top >> 1)) | (bottom ^ (bottom >> 1)) | (top ^ bottom)
        score += 3 * (~differs & pairs).bit_count()
    dark = sum(value.bit_count() for value in ints)  # N4: 10 per 5% away from half dark
    percent = float(dark) / (n**2)
    return score + int(abs(percent * 100 - 50) / 5) * 10


class _CellFinder(qrcode.QRCode):  # type: ignore[type-arg]
    """Records where qrcode's map_data would put data bits, in its order."""

    cells: tuple[tuple[int, int], ...] = ()

    def map_data(self, data: Any, mask_pattern: Any) -> None:
        cells = []
        inc, row, count = -1, self.modules_count - 1, self.modules_count
        for col in range(count - 1, 0, -2):
            if col <= 6:
                col -= 1
            while True:
                cells += [(row, c) for c in (col, col - 1) if self.modules[row][c] is None]
                row += inc
                if row < 0 or count <= row:
                    row -= inc
                    inc = -inc
                    break
        self.cells = tuple(cells)


@lru_cache(maxsize=40)
def _data_cells(version: int) -> tuple[tuple[int, int], ...]:
    finder = _CellFinder(version=version)
    finder.data_cache = []
    finder.makeImpl(True, 0)
    return finder.cells


@lru_cache(maxsize=320)
def _mask_flips(version: int, pattern: int) -> int:
    """The mask over a version's data cells, as bits in walk order (first cell highest)."""
    flip = util.mask_func(pattern)
    return int("".join("1" if flip(row, col) else "0" for row, col in _data_cells(version)), 2)


class _QRCode(qrcode.QRCode):  # type: ignore[type-arg]
    _bits: tuple[object, int] | None = None

    def map_data(self, data: Any, mask_pattern: Any) -> None:
        cells = _data_cells(self.version)
        if self._bits is None or self._bits[0] is not data:  # the same data for all 9 layouts
            spare = len(cells) - 8 * len(data)  # remainder bits, light before masking
            self._bits = (data, int.from_bytes(bytes(data), "big") << spare)
        laid = format(self._bits[1] ^ _mask_flips(self.version, mask_pattern), f"0{len(cells)}b")
        modules = self.modules
        for (row, col), bit in zip(cells, laid, strict=True):
            modules[row][col] = bit == "1"

    def best_mask_pattern(self) -> int:
        scores = []
        for pattern in range(8):
            self.makeImpl(True, pattern)
            scores.append(lost_point(self.modules))
        return scores.index(min(scores))  # the first of equals, as qrcode picks


def _qr(data: str, box: int) -> qrcode.QRCode[Any]:
    qr = _QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=BORDER)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=2048)
def png(data: str, box: int = DEFAULT_BOX) -> bytes:
    # Greyscale rather than 1-bit: a few hundred bytes more, and it stays above Yandex's
    # 1 KB minimum for image uploads at the default size.
    modules = _qr(data, box).modules
    side = len(modules) + 2 * BORDER
    margin = b"\xff" * BORDER
    quiet = b"\xff" * side * BORDER
    body = b"".join(margin + bytes(row).translate(_PIXELS) + margin  # type: ignore[arg-type]
                    for row in modules)
    image = Image.frombytes("L", (side, side), quiet + body + quiet)
    image = image.resize((side * box, side * box), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=2048)
def svg(data: str, box: int = DEFAULT_BOX) -> bytes:
    image = _qr(data, box).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
