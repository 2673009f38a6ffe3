"""Circled options and ticked check boxes read from the image (transfer.ocr.marks)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tests.drawing import font
from transfer.ocr.image import load_photo
from transfer.ocr.marks import read_marks
from transfer.ocr.preprocess import Page, prepare
from transfer.ocr.recognise import Char, Segment, run_tesseract, segments_from_data
from transfer.ocr.types import Quality

from .sheets import shared_dir

# Seeds outside the reserved ranges (0-29 dev set, 1000-1099, 5000+); chosen
# so that every field is present among them.
HAND_SEEDS = (2003, 2016, 2034)


def _era(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    if d < dt.date(1912, 7, 30):
        return "明治"
    if d < dt.date(1926, 12, 25):
        return "大正"
    if d < dt.date(1989, 1, 8):
        return "昭和"
    return "平成"


def _truth(gt: dict[str, Any]) -> dict[str, object]:
    rec = gt["record"]
    truth: dict[str, object] = {
        "sex": rec["sex"],
        "dnar": rec["dnar"],
        "care_level": rec["care_level"],
    }
    if "明治・大正・昭和" in gt["text"]:  # the era was printed as options to circle
        truth["birth_era"] = _era(rec["birth_date"])
    return truth


def test_it_reads_circles_and_ticks_on_generated_hand_sheets() -> None:
    sys.path.insert(0, str(shared_dir() / "sheetgen"))
    from sheetgen import FontBank, generate_sample

    fonts = FontBank()
    confident = 0
    for seed in HAND_SEEDS:
        jpg, gt, _clean = generate_sample(seed, fonts, severity=0.3, layout="hand")
        page = prepare(load_photo(jpg))
        segments = segments_from_data(run_tesseract(page.gray, psm=4))
        truth = _truth(gt)
        marks = read_marks(page, segments)
        for key, (value, score, box) in marks.items():
            assert 0.0 <= score <= 1.0
            assert box[2] > 0 and box[3] > 0
            if score >= 0.9:
                confident += 1
                assert value == truth.get(key), (seed, key, value, truth.get(key))
    # Three sheets hold eleven marked fields; most are found with confidence.
    assert confident >= 5


def _blank_page(gray: np.ndarray) -> Page:
    return Page(
        gray=gray,
        flat=gray,
        lines=np.zeros_like(gray),
        vertical=np.zeros_like(gray),
        inverse=np.eye(3),
        quality=Quality(ok=True, page_found=True),
    )


def _segment(text: str, x: int, y: int, size: int, step: int) -> Segment:
    chars = [Char(ch, (x + i * step, y, size, size), 0.9) for i, ch in enumerate(text)]
    return Segment(chars, 0)


SIZE, TOP = 24, 45  # type size and top of the drawn line
OPTION_X = (150, 150 + int(SIZE * 2.6))


def _draw_circled(label: str, options: tuple[str, str], circle: int) -> np.ndarray:
    """``label`` and two options ("男・女") printed on white paper, with a pen
    ellipse around option ``circle``."""
    img = Image.new("L", (700, 120), 255)
    d = ImageDraw.Draw(img)
    face = font(SIZE)
    d.text((20, TOP), label, font=face, fill=0)
    d.text((OPTION_X[0], TOP), options[0], font=face, fill=0)
    d.text((OPTION_X[0] + int(SIZE * 1.5), TOP), "・", font=face, fill=0)
    d.text((OPTION_X[1], TOP), options[1], font=face, fill=0)
    cx = OPTION_X[circle]
    d.ellipse((cx - 12, TOP - 8, cx + SIZE + 12, TOP + SIZE + 14), outline=30, width=3)
    return np.asarray(img, dtype=np.uint8).copy()


def _draw_options(circle: int) -> tuple[Page, list[Segment]]:
    """性別 男・女 with option ``circle`` circled, and what OCR read of it."""
    gray = _draw_circled("性別", ("男", "女"), circle)
    y, size, xs = TOP, SIZE, OPTION_X
    segments = [
        _segment("性別", 20, y + 3, size, size),
        Segment(
            [
                Char("男", (xs[0], y + 3, size, size), 0.9),
                Char("・", (xs[0] + int(size * 1.5), y + 3, size, size), 0.9),
                Char("女", (xs[1], y + 3, size, size), 0.9),
            ],
            0,
        ),
    ]
    return _blank_page(gray), segments


def test_it_picks_the_circled_option_on_a_drawn_image() -> None:
    for circle, expected in ((0, "male"), (1, "female")):
        page, segments = _draw_options(circle)
        marks = read_marks(page, segments)
        assert "sex" in marks, marks
        value, score, box = marks["sex"]
        assert value == expected
        assert score >= 0.9
        # The box is the circled character, not its neighbour.
        option_x = 150 if circle == 0 else 150 + int(24 * 2.6)
        assert abs(box[0] - option_x) < 12


def test_it_returns_nothing_when_no_option_is_marked() -> None:
    size = 24
    img = Image.new("L", (700, 120), 255)
    d = ImageDraw.Draw(img)
    face = font(size)
    d.text((20, 45), "性別", font=face, fill=0)
    d.text((150, 45), "男・女", font=face, fill=0)
    page = _blank_page(np.asarray(img, dtype=np.uint8).copy())
    segments = [_segment("性別", 20, 48, size, size), _segment("男・女", 150, 48, size, size)]
    assert "sex" not in read_marks(page, segments)


def test_a_band_with_no_width_does_not_crash_the_worker() -> None:
    """OpenCV's connected components segfault on an empty image; a label at
    the right edge of the page gave one (seed 1628 of the calibration set)."""
    from transfer.ocr.marks import _add_swallowed, _split_ink

    glyphs, mark = _split_ink(np.zeros((80, 0), bool), 40.0, 29.0)

    assert glyphs == [] and mark.shape == (80, 0)
    assert _add_swallowed([], mark, 29.0, 40.0) == []


def test_it_reads_the_circled_answer_beside_a_latin_label_when_ocr_lost_the_options() -> None:
    """DNAR 有・無 on a hand form: OCR read the label but nothing of the
    options the pen crossed. The kanji stand taller than the capitals of
    "DNAR"; measured by the label alone, they reached out of the text line
    and were taken for the circle's ink."""
    for circle, expected in ((0, True), (1, False)):
        page = _blank_page(_draw_circled("DNAR", ("有", "無"), circle))
        label = Segment(
            [Char(ch, (20 + i * 16, TOP + 8, 15, 17), 0.9) for i, ch in enumerate("DNAR")], 0
        )

        marks = read_marks(page, [label])

        assert "dnar" in marks, marks
        value, score, _box = marks["dnar"]
        assert value is expected
        assert score >= 0.8  # named by its place in the printed order
