"""Digits written one per box, far apart: read them set side by side.

Hand-filled forms give the insurance number a row of printed boxes, one
digit in each. The box lines are removed with the other ruled lines, which
leaves ten digits a box-width apart: Tesseract reads such a line as a few
scattered characters ("934162" for 4179488124, with any model and a digit
whitelist). Cut out, the same digits set side by side at a normal spacing
read right.
"""

from __future__ import annotations

import cv2
import numpy as np
from django.conf import settings

from .recognise import run_tesseract
from .types import Box

DIGITS_ONLY = "-c tessedit_char_whitelist=0123456789"
INK_LEVEL = 150


def spaced_glyphs(ink: np.ndarray) -> list[tuple[int, int]]:
    """Column spans of the glyphs in a band of ink (bool), left to right,
    while they keep to an even spacing: the digits in their boxes, up to the
    first gap that is far wider than the spacing (the end of the row)."""
    height = ink.shape[0]
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    if cols.size == 0:
        return []
    # A digit's strokes stay within a few pixels of each other; its box
    # neighbour is a box-width away.
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > max(3, height // 8)) + 1)
    glyphs = []
    for run in runs:
        rows = np.flatnonzero(ink[:, run[0] : run[-1] + 1].any(axis=1))
        tall = rows[-1] - rows[0] + 1
        if tall >= 0.3 * height and run.size <= 1.5 * tall:
            glyphs.append((int(run[0]), int(run[-1])))
    if len(glyphs) < 2:
        return glyphs
    pitches = np.diff([(a + b) / 2 for a, b in glyphs])
    pitch = _pitch(glyphs)
    kept = [glyphs[0]]
    for glyph, step in zip(glyphs[1:], pitches, strict=True):
        if step > 1.8 * pitch:
            break
        kept.append(glyph)
    return kept


def _pitch(glyphs: list[tuple[int, int]]) -> float:
    """The median distance between the centres of neighbouring glyphs."""
    return float(np.median(np.diff([(a + b) / 2 for a, b in glyphs])))


def read_spaced_digits(gray: np.ndarray, band: Box) -> tuple[str, float, Box] | None:
    """The digits of an evenly spaced row in ``band`` (page coordinates), read
    set side by side: (digits, weakest confidence, box), or None when the
    band holds no such row or the reading does not give one digit a glyph."""
    x, y, w, h = band
    x, y = max(0, x), max(0, y)
    crop = gray[y : y + h, x : x + w]
    if crop.size == 0 or min(crop.shape) < 8:
        return None
    # The page is light-normalised (paper near 255): a fixed level keeps the
    # light tint of the boxes out of the ink, where Otsu's can take it in.
    ink: np.ndarray = np.asarray(crop < INK_LEVEL)
    # The line of digits: the rows of ink around the middle of the band.
    inked: np.ndarray = np.asarray(ink.any(axis=1))
    height = inked.size
    mid = height // 2
    if not inked[max(0, mid - 3) : mid + 4].any():
        return None
    top = mid
    while top > 0 and inked[max(0, top - 3) : top].any():
        top -= 1
    bottom = mid
    while bottom < height and inked[bottom : bottom + 3].any():
        bottom += 1
    ink = ink[top:bottom]
    crop = crop[top:bottom]
    y += top
    glyphs = spaced_glyphs(ink)
    if len(glyphs) < 6:
        return None
    # Widely spaced glyphs only: digits written at a normal spacing were
    # read with the rest of the page.
    widths = [b - a + 1 for a, b in glyphs]
    if _pitch(glyphs) < 1.8 * float(np.median(widths)):
        return None
    rows = np.flatnonzero(ink[:, glyphs[0][0] : glyphs[-1][1] + 1].any(axis=1))
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    gap = max(4, (bottom - top) // 4)
    pieces = [np.full((bottom - top, gap), 255, np.uint8)]
    for a, b in glyphs:
        pieces += [crop[top:bottom, a : b + 1], np.full((bottom - top, gap), 255, np.uint8)]
    strip = cv2.copyMakeBorder(np.hstack(pieces), 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
    data = run_tesseract(strip, psm=7, config=DIGITS_ONLY, lang=settings.KAKEHASHI_OCR_CELL_LANG)
    words = [
        (t.strip(), float(c))
        for t, c in zip(data["text"], data["conf"], strict=True)
        if t.strip() and float(c) >= 0
    ]
    digits = "".join(t for t, _ in words)
    if not words or not digits.isdigit() or len(digits) != len(glyphs):
        return None
    box = (x + glyphs[0][0], y + top, glyphs[-1][1] - glyphs[0][0] + 1, bottom - top)
    return digits, min(c for _, c in words) / 100, box
