"""A character told among a few candidates by its shape (transfer/ocr/glyphs.py),
and the key person's relation checked that way."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.drawing import mincho
from transfer.ocr import glyphs
from transfer.ocr.extract import Found
from transfer.ocr.pipeline import RELATION_GLYPHS, _check_relation_glyph
from transfer.ocr.recognise import Char, Segment

SIZE = 30
PITCH = 34

pytestmark = pytest.mark.skipif(not glyphs.available(), reason="needs fonts-noto-cjk")


def _line(text: str, *, x: int = 40) -> tuple[np.ndarray, list[Char]]:
    """text drawn one character per PITCH in a mincho, lightly blurred like
    a photo; the characters with their boxes (spaces included)."""
    img = Image.new("L", (40 + PITCH * (len(text) + 2), 80), 255)
    draw = ImageDraw.Draw(img)
    chars = []
    for i, ch in enumerate(text):
        left = x + i * PITCH
        if ch != " ":
            draw.text((left, 20), ch, font=mincho(SIZE), fill=20)
        chars.append(Char(ch, (left, 18, PITCH - 2, SIZE + 8), 0.9))
    gray = cv2.GaussianBlur(np.array(img), (0, 0), 0.8)
    return gray, chars


def test_it_tells_a_relation_by_its_shape_in_another_font() -> None:
    gray, chars = _line("甥姪孫")

    for char in chars:
        glyph = glyphs.photo_glyph(gray, glyphs.refine(gray, char.box) or char.box)
        assert glyph is not None
        match = glyphs.best_of(glyph, RELATION_GLYPHS)
        assert match is not None
        assert match.ch == char.ch
        assert match.margin > 0.1


def test_it_finds_a_character_ocr_dropped_before_a_line() -> None:
    gray, chars = _line("甥 清水誠")

    box = glyphs.glyph_left_of(gray, [c.box for c in chars[2:]])

    assert box is not None
    assert 40 <= box[0] < 40 + PITCH // 2
    assert box[0] + box[2] <= 40 + PITCH


def test_it_finds_nothing_left_of_a_line_at_its_margin() -> None:
    gray, chars = _line("清水誠")

    assert glyphs.glyph_left_of(gray, [c.box for c in chars]) is None


def test_it_boxes_the_ink_between_brackets() -> None:
    gray, chars = _line("子(姪)")
    # The box OCR gives is a share of its word's box: off to one side.
    x, y, w, h = chars[2].box
    rough = (x - 6, y, w, h)

    box = glyphs.refine(gray, rough)

    assert box is not None
    assert chars[2].box[0] - 2 <= box[0] and box[0] + box[2] <= chars[2].box[0] + PITCH
    assert box[2] >= 0.6 * SIZE


def _name_found(seg: Segment, start: int, value: str) -> dict[str, Found]:
    box, _ = seg.span(start, start + len(value))
    return {"key_person.name": Found(value, 0.9, box)}


def test_it_reads_a_relation_ocr_dropped_from_its_shape() -> None:
    gray, chars = _line("甥 清水誠 様")
    seg = Segment(chars[2:], 0)  # OCR's line starts at the name
    found = _name_found(seg, 0, "清水誠")

    _check_relation_glyph(gray, [seg], found)

    assert found["key_person.relation"].value == "甥"
    assert found["key_person.relation"].box is not None


def test_it_leaves_a_relation_of_several_characters() -> None:
    gray, chars = _line("清水誠(長男の妻)")
    seg = Segment(chars, 0)
    found = _name_found(seg, 0, "清水誠")
    found["key_person.relation"] = Found("長男の妻", 1.0, seg.box)

    _check_relation_glyph(gray, [seg], found)

    assert found["key_person.relation"].value == "長男の妻"


@pytest.mark.parametrize(
    ("printed", "misread_at", "read", "name", "relation", "name_after"),
    [
        # In brackets after the name, read as another kanji.
        ("久美子(姪)", 4, "妊", "久美子", "姪", "久美子"),
        # Before the name, read as another kanji glued to it.
        ("甥林浩二 様", 0, "坦", "坦林浩二", "甥", "林浩二"),
    ],
)
def test_it_puts_the_shape_in_place_of_a_misread_relation(
    printed: str, misread_at: int, read: str, name: str, relation: str, name_after: str
) -> None:
    gray, chars = _line(printed)
    chars[misread_at] = Char(read, chars[misread_at].box, 0.6)  # as OCR read it
    seg = Segment(chars, 0)
    found = _name_found(seg, 0, name)

    _check_relation_glyph(gray, [seg], found)

    assert found["key_person.relation"].value == relation
    assert found["key_person.name"].value == name_after


@pytest.mark.parametrize(
    ("printed", "start", "name"),
    [
        ("連絡先 清水誠", 4, "清水誠"),  # a clear character that is no relation
        ("妹尾伸也 様", 0, "妹尾伸也"),  # a family name beginning with a relation's kanji
    ],
)
def test_it_leaves_a_name_with_no_relation_beside_it(printed: str, start: int, name: str) -> None:
    gray, chars = _line(printed)
    seg = Segment(chars, 0)
    found = _name_found(seg, start, name)

    _check_relation_glyph(gray, [seg], found)

    assert "key_person.relation" not in found
    assert found["key_person.name"].value == name


# The glyph store: candidates drawn once per machine, mapped by every process.

SAMPLE = ("甥", "姪", "癌", "嚥", "瘡", "あ", "ア", "１")


@pytest.fixture
def store_dir(tmp_path, settings, monkeypatch):
    """A store of a few characters in a directory of the test's own, so a
    test builds in milliseconds and never touches the machine's store."""
    settings.KAKEHASHI_GLYPH_STORE_DIR = tmp_path / "glyphs"
    monkeypatch.setattr(glyphs, "store_chars", lambda: SAMPLE)
    glyphs._store.cache_clear()
    glyphs._screen.cache_clear()
    yield settings.KAKEHASHI_GLYPH_STORE_DIR
    glyphs._store.cache_clear()
    glyphs._screen.cache_clear()


def test_it_draws_the_store_once_and_reads_the_same_shapes(store_dir) -> None:
    assert glyphs._store() is None
    path, built = glyphs.build_store()
    assert built and path.parent == store_dir and path.is_file()
    assert glyphs.build_store() == (path, False)  # already there: not drawn again
    store = glyphs._store()
    assert store is not None
    index, rows = store
    assert set(index) == set(SAMPLE) and rows.shape[0] == len(SAMPLE)
    assert isinstance(rows.base, np.memmap)  # the file mapped, not read into memory
    for ch in SAMPLE:
        stored = glyphs.templates(ch)
        assert np.shares_memory(stored, rows)  # read from the store, not drawn
        assert np.array_equal(stored, glyphs._drawn.__wrapped__(ch))


def test_it_draws_a_character_outside_the_store_on_demand(store_dir) -> None:
    glyphs.build_store()
    drawn = glyphs.templates("鷗")  # JIS X 0212, not 0208: not in any store
    store = glyphs._store()
    assert store is not None and not np.shares_memory(drawn, store[1])
    assert np.linalg.norm(drawn[0]) == pytest.approx(1.0, abs=1e-4)


def test_it_never_reads_a_store_drawn_with_other_fonts(store_dir, settings) -> None:
    path, _ = glyphs.build_store()
    settings.KAKEHASHI_GLYPH_FONTS = settings.KAKEHASHI_GLYPH_FONTS[:1]
    glyphs._fonts.cache_clear()
    try:
        assert glyphs.store_path() != path
        glyphs._store.cache_clear()
        assert glyphs._store() is None
    finally:
        glyphs._fonts.cache_clear()


def test_it_draws_on_demand_when_the_store_cannot_be_written(store_dir) -> None:
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    store_dir.write_text("a file where the directory should be")
    path, built = glyphs.build_store()
    assert not built and not path.exists()
    assert glyphs._store() is None
    assert glyphs.similarity(glyphs.templates("甥")[0].reshape(glyphs.SIZE, -1), "甥") > 0.99


def test_it_lists_the_whole_of_jis_x_0208() -> None:
    chars = glyphs.store_chars()
    assert len(chars) == len(set(chars)) == 6879
    assert {"甥", "姪", "癌", "嚥", "ア", "ぁ", "１"} <= set(chars)
    assert "鷗" not in chars


def test_it_finds_a_characters_nearest_shapes_in_the_store(store_dir) -> None:
    glyphs.build_store()
    glyph = glyphs.templates("瘡")[1].reshape(glyphs.SIZE, glyphs.SIZE)  # the mincho's

    near = glyphs.nearest(glyph, 3)

    assert next(iter(near)) == "瘡" and near["瘡"] == pytest.approx(1.0, abs=1e-4)
    assert len(near) == 3 and set(near) <= {"甥", "姪", "癌", "嚥", "瘡"}  # kanji only
    assert list(near.values()) == sorted(near.values(), reverse=True)


def test_it_scores_characters_in_and_outside_the_store_alike(store_dir) -> None:
    """Scores gathered from the store in one go are bit for bit those of
    the characters' drawings stacked one by one (outputs must not move)."""
    glyphs.build_store()
    glyph = glyphs.templates("姪")[0].reshape(glyphs.SIZE, glyphs.SIZE)
    for chars in (list(SAMPLE), ["甥", "鷗", "癌"]):
        expected = (np.stack([glyphs.templates(c) for c in chars]) @ glyph.ravel()).max(axis=1)
        assert np.array_equal(glyphs.similarities(glyph, chars), expected)
