"""Misread kanji put right where the dictionary and the photo agree
(transfer/ocr/respell.py, reading.uncovered / reading.substitutes)."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.drawing import mincho
from tests.sheets import photo, truth
from transfer.ocr import glyphs, reading
from transfer.ocr.pipeline import extract_page
from transfer.ocr.reading import substitutes, uncovered
from transfer.ocr.recognise import Char, Segment
from transfer.ocr.respell import RESPELLED, meridiem_by_shape, respell, restore_dropped

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

    assert len(respell(gray, [seg])) == 1

    assert seg.text == "誤嚥性肺炎"
    assert seg.chars[1].conf == RESPELLED  # never certain on that account


@needs_fonts
def test_it_keeps_a_reading_the_photo_bears_out() -> None:
    # A word the dictionary lacks, printed as read: the ink is what OCR said.
    gray, seg = _printed("誤嘆性肺炎", "誤嘆性肺炎")

    assert respell(gray, [seg]) == []

    assert seg.text == "誤嘆性肺炎"


@needs_fonts
def test_it_leaves_a_suffix_the_photo_bears_out() -> None:
    # 高血圧|症: the dictionary lists no word for the last kanji, the ink
    # is the 症 OCR read.
    gray, seg = _printed("高血圧症", "高血圧症")

    assert respell(gray, [seg]) == []


@needs_fonts
def test_it_puts_right_a_misread_diagnosis_on_a_dev_photo_and_asks_to_confirm_it() -> None:
    # sheet_00000's 骨粗鬆症 is read 骨粗胃症 by Tesseract; its other three
    # diagnoses are read right, so the list would otherwise be green.
    assert "骨粗鬆症" in truth("sheet_00000")["record"]["diagnoses"]

    result = extract_page(photo("sheet_00000"))

    assert "骨粗鬆症" in [d.replace(" ", "") for d in result.record()["diagnoses"]]
    assert result.fields["diagnoses"].confidence < 0.9


@needs_fonts
def test_it_reads_a_relation_ocr_dropped_on_a_dev_photo() -> None:
    assert truth("sheet_00028")["record"]["key_person"]["relation"] == "甥"

    record = extract_page(photo("sheet_00028")).record()

    assert record["key_person"]["relation"] == "甥"


@pytest.fixture(scope="module")
def glyph_store() -> None:
    """The machine's store of every JIS X 0208 character, drawn once (a few
    seconds) if this machine has none yet: the nearest shapes come from it."""
    glyphs.build_store()
    glyphs._store.cache_clear()
    assert glyphs._store() is not None


@needs_fonts
def test_it_puts_right_two_misread_kanji_side_by_side_by_their_shapes(glyph_store) -> None:
    # 褥瘡 read as 補癒: neither makes a word with the other, so no
    # dictionary proposal for one of them alone fits.
    gray, seg = _printed("褥瘡処置中", "補癒処置中")

    put_in = respell(gray, [seg])

    assert seg.text == "褥瘡処置中"
    assert [c.ch for c in put_in] == ["褥", "瘡"]
    assert seg.chars[0].conf == seg.chars[1].conf == RESPELLED


@needs_fonts
def test_it_keeps_two_kanji_side_by_side_the_photo_bears_out(glyph_store) -> None:
    gray, seg = _printed("補癒処置中", "補癒処置中")

    assert respell(gray, [seg]) == []

    assert seg.text == "補癒処置中"


@needs_fonts
def test_it_leaves_two_misread_kanji_without_a_store(settings, tmp_path) -> None:
    settings.KAKEHASHI_GLYPH_STORE_DIR = tmp_path  # empty: every shape drawn on demand
    glyphs._store.cache_clear()
    try:
        gray, seg = _printed("褥瘡処置中", "補癒処置中")
        assert respell(gray, [seg]) == []
        assert seg.text == "補癒処置中"
    finally:
        glyphs._store.cache_clear()


def _substitutes_by_scanning(run: str, i: int) -> dict[str, int]:
    """substitutes as it read whole tables once: the indexed one must give
    the same characters, lengths and order."""
    out: dict[str, int] = {}
    for start in range(max(0, i - 4), i + 1):
        if start < i:
            words: Iterable[str] = (
                w for w in reading.words_from(run[start]) if w.startswith(run[start:i])
            )
        elif i + 1 < len(run):
            words = reading._by_second().get(run[i + 1], ())
        else:
            continue
        for word in words:
            end = start + len(word)
            if len(word) < 2 or end <= i or end > len(run):
                continue
            k = i - start
            if word[k] == run[i] or word[:k] != run[start:i] or word[k + 1 :] != run[i + 1 : end]:
                continue
            if not "\u4e00" <= word[k] <= "\u9fff":
                continue
            out[word[k]] = max(out.get(word[k], 0), len(word))
    return out


@pytest.mark.parametrize(
    "run",
    [
        "帯状交疹",
        "誤嘆性肺炎",
        "慢性答臓病",
        "骨粗明症",
        "補癒",
        "新見市新見",
        "白内隊",
        "一般状態",
    ],
)
def test_the_dictionarys_proposals_are_those_of_reading_every_word(run: str) -> None:
    for i in range(len(run)):
        assert list(substitutes(run, i).items()) == list(_substitutes_by_scanning(run, i).items())


def test_a_value_holding_a_respelled_kanji_is_never_green() -> None:
    from transfer.ocr.pipeline import cap_respelled

    put_in = [Char("嚥", (120, 40, 30, 30), 0.6)]
    diagnoses = ["誤嚥性肺炎", "高血圧症"]

    assert cap_respelled(diagnoses, (100, 30, 300, 50), put_in, 0.97) < 0.9
    # Elsewhere on the page, or not in the value (a label in a vitals block).
    assert cap_respelled(diagnoses, (100, 300, 300, 50), put_in, 0.97) == 0.97
    assert cap_respelled(120, (100, 30, 300, 50), put_in, 0.97) == 0.97


@needs_fonts
@pytest.mark.parametrize(
    ("kana", "name", "put_in"),
    [
        # 和夫 read as 和大 beside the kana カズオ: 夫 is the nearest shape that
        # makes the name read as its kana (和央 does too, but looks less
        # alike). The character put in caps the value below green.
        ("ヤマダ カズオ", "山田和夫", ["夫"]),
        # No shape near the ink makes the name read タロウ: left as read.
        ("ヤマダ タロウ", "山田和大", []),
    ],
)
def test_it_puts_right_a_name_by_its_furigana_and_its_shape(
    glyph_store, kana: str, name: str, put_in: list[str]
) -> None:
    from transfer.ocr.extract import Found
    from transfer.ocr.pipeline import _name_by_its_reading

    gray, seg = _printed("山田和夫", "山田和大")
    found = {
        "name": Found("山田和大", 0.7, seg.box),
        "name_kana": Found(kana, 0.9, (0, 0, 10, 10)),
    }

    assert [c.ch for c in _name_by_its_reading(gray, [seg], found)] == put_in
    assert found["name"].value == name


@needs_fonts
@pytest.mark.parametrize(
    ("printed", "read", "patient", "key"),
    [
        # The key person's 植 misread as 徒: the patient's reading of the
        # shared family name, and the ink, put it right.
        ("植田文子 植田和夫", "植田文子 徒田和夫", "植田文子", "植田和夫"),
        # Two family names one character apart: each ink is its own.
        ("藤井清子 石井健一", "藤井清子 石井健一", "藤井清子", "石井健一"),
    ],
)
def test_it_puts_right_a_family_name_by_the_other_reading_of_it(
    printed: str, read: str, patient: str, key: str
) -> None:
    from transfer.ocr.extract import Found
    from transfer.ocr.pipeline import _family_names_agree

    gray, seg = _printed(printed, read)
    found = {
        "name": Found(read.split()[0], 0.7, seg.box),
        "key_person.name": Found(read.split()[1], 0.7, seg.box),
    }

    put_in = _family_names_agree(gray, [seg], found)

    assert (found["name"].value, found["key_person.name"].value) == (patient, key)
    assert len(put_in) == (read != printed)


def _dropped(text: str) -> tuple[np.ndarray, Segment]:
    """text printed in a table cell, read by OCR without its first character."""
    gray, seg = _printed(text, text)
    return gray, Segment(seg.chars[1:], 0, cell=3)


@needs_fonts
def test_it_puts_back_a_first_character_ocr_dropped_at_a_cells_edge(glyph_store) -> None:
    # 嘔吐3回 read as 吐3回: the dictionary proposes what makes a word with
    # 吐, the ink left of it decides.
    gray, seg = _dropped("嘔吐3回、腹痛")

    put_in = restore_dropped(gray, np.zeros_like(gray), [seg])

    assert seg.text == "嘔吐3回、腹痛"
    assert [c.ch for c in put_in] == ["嘔"]
    assert put_in[0].conf == RESPELLED  # the machine's own reading: never green


@needs_fonts
def test_it_puts_back_nothing_across_a_ruled_line(glyph_store) -> None:
    # The ink left of the value is in the cell beyond the rule (a label's).
    gray, seg = _dropped("嘔吐3回、腹痛")
    lines = np.zeros_like(gray)
    lines[:, 40 + PITCH - 1] = 255

    assert restore_dropped(gray, lines, [seg]) == []
    assert seg.text == "吐3回、腹痛"


@needs_fonts
def test_it_puts_back_nothing_when_the_ink_makes_no_word(glyph_store) -> None:
    # 猫 before 吐 is no word the dictionary knows, and no proposal (嘔, 呑)
    # looks like that ink.
    gray, seg = _dropped("猫吐3回、腹痛")

    assert restore_dropped(gray, np.zeros_like(gray), [seg]) == []


@needs_fonts
def test_it_puts_back_nothing_outside_a_table(glyph_store) -> None:
    gray, seg = _dropped("嘔吐3回、腹痛")
    seg.cell = None  # a line of a letter: the ink left may be its label

    assert restore_dropped(gray, np.zeros_like(gray), [seg]) == []


@needs_fonts
def test_it_puts_right_a_misread_afternoon_by_its_ink() -> None:
    # 午後5時 read as 午入5時: 5:00 or 17:00 is the ink's to say.
    gray, seg = _printed("午後5時", "午入5時")

    put_in = meridiem_by_shape(gray, [seg])

    assert seg.text == "午後5時"
    assert [c.ch for c in put_in] == ["後"]
    assert put_in[0].conf == RESPELLED


@needs_fonts
def test_it_leaves_a_meridiem_whose_ink_is_neither() -> None:
    gray, seg = _printed("午入5時", "午入5時")

    assert meridiem_by_shape(gray, [seg]) == []
    assert seg.text == "午入5時"
