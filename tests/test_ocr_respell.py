"""Misread kanji put right where the dictionary and the photo agree
(transfer/ocr/respell.py, reading.uncovered / reading.substitutes)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.drawing import mincho
from tests.sheets import photo, truth
from transfer.ocr import glyphs
from transfer.ocr.pipeline import extract_page
from transfer.ocr.reading import substitutes, uncovered
from transfer.ocr.recognise import Char, Segment
from transfer.ocr.respell import RESPELLED, respell

SIZE = 30
PITCH = 34

needs_fonts = pytest.mark.skipif(not glyphs.available(), reason="needs fonts-noto-cjk")


def _printed(text: str, read: str) -> tuple[np.ndarray, Segment]:
    """text drawn in a mincho (not a font the candidates are drawn in), and
    the segment OCR made of it, reading ``read``."""
    img = Image.new("L", (80 + PITCH * len(text), 80), 255)
    draw = ImageDraw.Draw(img)
    chars = []
    for i, (ch, got) in enumerate(zip(text, read, strict=True)):
        draw.text((40 + i * PITCH, 20), ch, font=mincho(SIZE), fill=20)
        chars.append(Char(got, (40 + i * PITCH, 18, PITCH - 2, SIZE + 8), 0.9))
    return cv2.GaussianBlur(np.array(img), (0, 0), 0.8), Segment(chars, 0)


def test_it_finds_the_kanji_no_word_accounts_for() -> None:
    assert 1 in uncovered("誤嘆性肺炎")
    assert uncovered("誤嚥性肺炎") == []


def test_the_dictionary_proposes_what_would_make_a_word() -> None:
    assert substitutes("帯状交疹", 2)["疱"] == 4
    assert "嚥" in substitutes("誤嘆性肺炎", 1)
    # The misread character first in its word: found by the second one.
    assert "腎" in substitutes("慢性答臓病", 2)
    assert "嘆" not in substitutes("誤嘆性肺炎", 1)  # not what OCR read already


@needs_fonts
def test_it_puts_right_a_kanji_the_dictionary_and_the_photo_agree_on() -> None:
    gray, seg = _printed("誤嚥性肺炎", "誤嘆性肺炎")

    assert respell(gray, [seg]) == 1

    assert seg.text == "誤嚥性肺炎"
    assert seg.chars[1].conf == RESPELLED  # never certain on that account


@needs_fonts
def test_it_keeps_a_reading_the_photo_bears_out() -> None:
    # A word the dictionary lacks, printed as read: the ink is what OCR said.
    gray, seg = _printed("誤嘆性肺炎", "誤嘆性肺炎")

    assert respell(gray, [seg]) == 0

    assert seg.text == "誤嘆性肺炎"


@needs_fonts
def test_it_leaves_a_suffix_the_photo_bears_out() -> None:
    # 高血圧|症: the dictionary lists no word for the last kanji, the ink
    # is the 症 OCR read.
    gray, seg = _printed("高血圧症", "高血圧症")

    assert respell(gray, [seg]) == 0


@needs_fonts
def test_it_puts_right_a_misread_diagnosis_on_a_dev_photo() -> None:
    # sheet_00016's 誤嚥性肺炎 is read 誤嘆性肺炎 by Tesseract.
    assert "誤嚥性肺炎" in truth("sheet_00016")["record"]["diagnoses"]

    record = extract_page(photo("sheet_00016")).record()

    assert "誤嚥性肺炎" in [d.replace(" ", "") for d in record["diagnoses"]]


@needs_fonts
def test_it_reads_a_relation_ocr_dropped_on_a_dev_photo() -> None:
    assert truth("sheet_00028")["record"]["key_person"]["relation"] == "甥"

    record = extract_page(photo("sheet_00028")).record()

    assert record["key_person"]["relation"] == "甥"
