"""core.qr draws the same QR codes as qrcode's own code path, only faster (the MCP share
tool returns one per call). Compared against qrcode 8.2 itself: version, mask, every module,
every pixel; and each image still decodes (zbar) to its link."""

from __future__ import annotations

import io
import random

import pytest
import qrcode
from PIL import Image
from qrcode import util
from qrcode.constants import ERROR_CORRECT_M

from core import qr
from tests.support.qr_decode import decode_png

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _links() -> list[str]:
    rng = random.Random(28)  # fixed: the same links every run, versions 1 to 20
    links = [f"https://refer.test/r/{''.join(rng.choices(ALPHABET, k=rng.randint(4, 12)))}"
             f"?c=screen{'&x=' + 'y' * rng.randint(0, 600) if i % 2 else ''}"
             for i in range(40)]
    return [*links, "A", "1234567", "https://магазин.test/r/ÜBER?c=qr"]


def _reference(data: str) -> qrcode.QRCode:  # type: ignore[type-arg]
    ref = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=qr.BORDER)
    ref.add_data(data)
    ref.make(fit=True)
    return ref


@pytest.mark.parametrize("data", _links())
def test_matrix_and_mask_are_qrcodes_own(data: str) -> None:
    ref, ours = _reference(data), qr._qr(data, 6)
    assert (ours.version, ours.mask_pattern) == (ref.version, ref.mask_pattern)
    assert ours.modules == ref.modules


def test_mask_penalty_matches_qrcodes_for_every_candidate() -> None:
    versions = set()
    for data in _links():
        ref = _reference(data)
        versions.add(ref.version)
        for pattern in range(8):
            ref.makeImpl(True, pattern)
            assert qr.lost_point(ref.modules) == util.lost_point(ref.modules), (data, pattern)
    assert len(versions) >= 10


@pytest.mark.parametrize("box", [2, 6, 12])
def test_png_has_the_pixels_qrcode_draws_and_decodes(box: int) -> None:
    for data in _links()[:8]:
        drawn = _reference(data)
        drawn.box_size = box
        expected = drawn.make_image(fill_color="black", back_color="white").convert("L")
        image = Image.open(io.BytesIO(qr.png(data, box)))
        assert (image.mode, image.size) == ("L", expected.size)
        assert image.tobytes() == expected.tobytes()


@pytest.mark.parametrize("data", _links()[:6])
def test_png_decodes_to_its_link(data: str) -> None:
    assert decode_png(qr.png(data, 6)) == [data]


def test_default_size_png_stays_above_yandex_minimum_upload() -> None:
    assert len(qr.png("https://refer.test/r/X?c=qr")) > 1024
