"""Digits written one per box (insurance numbers on hand-filled forms)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tests.drawing import font
from transfer.ocr.extract import Found
from transfer.ocr.recognise import Char, Segment

LABEL = "被保険者番号"


def _form(digits: str, pitch: int) -> np.ndarray:
    """A label and, right of it, digits ``pitch`` apart in light boxes (the
    box lines themselves are gone, as after line removal)."""
    img = Image.new("L", (1000, 120), 255)
    draw = ImageDraw.Draw(img)
    draw.text((20, 45), LABEL, font=font(24), fill=0)
    for i, d in enumerate(digits):
        x = 220 + i * pitch
        draw.rectangle((x, 30, x + 40, 90), fill=235)
        draw.text((x + 10, 38), d, font=font(36), fill=20)
    return np.array(img)


def _label() -> Segment:
    return Segment([Char(ch, (20 + 24 * i, 45, 24, 26), 0.9) for i, ch in enumerate(LABEL)], 0)


def test_it_reads_digits_a_box_apart_set_side_by_side() -> None:
    from transfer.ocr.digits import read_spaced_digits

    read = read_spaced_digits(_form("4179488124", 48), (200, 20, 780, 80))

    assert read is not None
    digits, conf, box = read
    assert digits == "4179488124"
    assert 0 <= conf <= 1
    assert 220 <= box[0] <= 240 and box[2] > 9 * 48


def test_it_leaves_digits_at_a_normal_spacing_to_the_page_reading() -> None:
    from transfer.ocr.digits import read_spaced_digits

    assert read_spaced_digits(_form("4179488124", 24), (200, 20, 780, 80)) is None


def test_it_puts_the_boxed_reading_in_place_of_a_misread_one() -> None:
    from transfer.ocr.pipeline import _read_boxed_insurance_number

    found = {"insurance_number": Found("41794881224", 0.3, None)}

    _read_boxed_insurance_number(_form("4179488124", 48), [_label()], found)

    assert found["insurance_number"].value == "4179488124"
    assert found["insurance_number"].box is not None


def test_two_readings_that_agree_confirm_the_number() -> None:
    from transfer.ocr.pipeline import READINGS_AGREE, _read_boxed_insurance_number

    found = {"insurance_number": Found("4179488124", 0.3, None)}

    _read_boxed_insurance_number(_form("4179488124", 48), [_label()], found)

    assert found["insurance_number"].score == READINGS_AGREE
