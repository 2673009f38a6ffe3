"""Roman numerals by counting strokes in the image.

Japanese forms print 認知症自立度 (Ⅰ, Ⅱa, Ⅲb …) with the single characters
Ⅰ Ⅱ Ⅲ, which Tesseract's jpn model often reads with a stroke missing (Ⅱa as
"Ia", Ⅲb as "b"). The number of full-height vertical strokes in front of the
a/b is what the value means, so count them on the page.
"""

from __future__ import annotations

import cv2
import numpy as np

from .types import Box


def count_bars(gray: np.ndarray, box: Box, *, suffix: bool = False) -> int | None:
    """Full-height vertical strokes of the numeral in the box.

    With ``suffix`` (the reading ends in a or b), the strokes counted are
    those right before that letter, looking a little left of the box too:
    OCR often gives the letter alone a box of its own and folds the numeral
    into the character before it ("度:Ⅲb" read as "度:" and "b"). Without,
    they are counted from the left of the box. None when the region does
    not look like bars next to other ink.
    """
    x, y, w, h = box
    pad = max(2, h // 6)
    top, bottom = max(0, y - pad), y + h + pad
    left = max(0, x - pad - h)  # room for a numeral OCR left out of the box
    crop = gray[top:bottom, left : x + w + pad]
    if crop.size == 0 or min(crop.shape) < 8:
        return None
    _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    inside = x - left  # where the box itself starts in the crop
    rows = np.flatnonzero(binary[:, inside:].any(axis=1))
    if rows.size == 0:
        return None
    ink = binary[rows[0] : rows[-1] + 1] > 0
    height = ink.shape[0]
    # A column belongs to a bar when ink covers most of the glyph height
    # (serifs join the bars at top and bottom, so components would not do).
    tall = ink.sum(axis=0) >= 0.7 * height
    # Glyphs are told apart in the middle of the line, where the serifs that
    # join a numeral's bars are not: a bar stands alone there, while the stem
    # of an a or a b has its bowl against it, and a blurred a can be as tall
    # as the numeral ("Ⅱa" counted as three strokes on a soft photo).
    middle = ink[int(0.3 * height) : int(0.7 * height) + 1].any(axis=0)
    cols = np.flatnonzero(middle)
    if cols.size == 0:
        return None
    glyphs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    is_bar = [g.size <= 0.35 * height and bool(tall[g[0] : g[-1] + 1].any()) for g in glyphs]
    if suffix:
        # The letter: the first glyph in the box that is no bar but follows one.
        end = next(
            (
                i
                for i in range(1, len(glyphs))
                if glyphs[i][-1] >= inside and not is_bar[i] and is_bar[i - 1]
            ),
            None,
        )
        if end is None:
            return None
        run = range(end - 1, -1, -1)
    else:
        first = next((i for i, g in enumerate(glyphs) if g[-1] >= inside), None)
        if first is None:
            return None
        run = range(first, len(glyphs))
    bars = 0
    previous = None
    for i in run:
        near = previous is None or abs(int(glyphs[i][0]) - int(previous[0])) <= 0.9 * height
        if not is_bar[i] or not near:
            break  # not a stroke, or too far off: another character
        bars += 1
        previous = glyphs[i]
    return bars if 1 <= bars <= 3 else None


def roman_level(text: str, bars: int | None) -> str | None:
    """Ⅰ/Ⅱ/Ⅲ (+ the a/b read by OCR) from the stroke count."""
    if bars is None:
        return None
    suffix = text.strip()[-1:] if text.strip()[-1:] in ("a", "b") else ""
    numeral = "ⅠⅡⅢ"[bars - 1]
    if numeral == "Ⅰ" and suffix:
        return None  # "Ⅰa" does not exist: the count is off
    if numeral in "ⅡⅢ" and not suffix:
        return None  # Ⅱ and Ⅲ come with a or b
    return numeral + suffix
