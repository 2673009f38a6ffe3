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


def count_bars(gray: np.ndarray, box: Box, *, suffix: str = "") -> int | None:
    """Full-height vertical strokes at the left of the box, before anything else.

    None when the region does not look like bars followed by other ink. With
    ``suffix`` "b", the b's own stem (as tall as the numeral, with its bowl
    right after it) is not counted.
    """
    x, y, w, h = box
    pad = max(2, h // 6)
    crop = gray[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    if crop.size == 0 or min(crop.shape) < 8:
        return None
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    ink = ink[rows[0] : rows[-1] + 1]
    height = ink.shape[0]
    # A column belongs to a bar when ink covers most of the glyph height
    # (serifs join the bars at top and bottom, so components would not do).
    tall = (ink > 0).sum(axis=0) >= 0.7 * height
    cols = np.flatnonzero(tall)
    if cols.size == 0:
        return None
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    bars = 0
    last_end = None
    for run in runs:
        if last_end is not None and run[0] - last_end > 0.9 * height:
            break  # far from the numeral: another character
        if run.size > 0.35 * height:
            break  # too wide for a stroke
        bars += 1
        last_end = run[-1]
    if suffix == "b" and last_end is not None and _bowl_after(ink, last_end, height):
        bars -= 1
    return bars if 1 <= bars <= 3 else None


def _bowl_after(ink: np.ndarray, x: int, height: int) -> bool:
    """Ink right after column x in the lower part of the glyph only: the bowl
    of a b against its stem ("Ⅱb" counted as three strokes)."""
    right = ink[:, x + 1 : x + 1 + max(2, int(0.4 * height))] > 0
    if right.shape[1] == 0:
        return False
    top = right[: int(0.3 * height)].any()
    bottom = right[int(0.55 * height) :].any(axis=1).mean() >= 0.5
    return bool(bottom and not top)


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
