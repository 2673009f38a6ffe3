"""Tesseract → words with boxes and confidences, grouped into segments.

A *segment* is a run of words on one text line with no wide gap inside: a
table cell's content, a label, or a line of a letter. Segments keep each
character's box, so a value found inside a segment knows where it is.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np
import pytesseract
from django.conf import settings

from .errors import OcrFailed
from .types import Box


@dataclass
class Char:
    ch: str
    box: Box
    conf: float  # 0..1, Tesseract's confidence of the word the character is in


@dataclass
class Segment:
    chars: list[Char]
    line: int  # index of the text line (reading order)
    cell: int | None = None  # the table cell it was read from, if any
    text: str = field(init=False)

    def __post_init__(self) -> None:
        self.text = "".join(c.ch for c in self.chars)

    @property
    def box(self) -> Box:
        return union([c.box for c in self.chars if c.ch != " "] or [self.chars[0].box])

    def span(self, start: int, end: int) -> tuple[Box | None, float]:
        """Box and weakest confidence of text[start:end]."""
        chars = [c for c in self.chars[start:end] if c.ch != " "]
        if not chars:
            return None, 0.0
        return union([c.box for c in chars]), min(c.conf for c in chars)


def inside(inner: Box, outer: Box) -> bool:
    """Whether inner's middle lies in outer."""
    x, y = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= x <= outer[0] + outer[2] and outer[1] <= y <= outer[1] + outer[3]


def union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    name = unicodedata.name(ch[0], "")
    return any(k in name for k in ("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC", "FULLWIDTH"))


def stack_images(images: list[np.ndarray], *, gap: int, left: int) -> tuple[np.ndarray, list[int]]:
    """Grey images one under another on white, `gap` rows apart, `left`
    columns in (and as many to the right of the widest), so that one
    Tesseract call reads them all. Returns the stack and each image's top row."""
    stack = np.full(
        (sum(i.shape[0] + gap for i in images) + gap, max(i.shape[1] for i in images) + 2 * left),
        255,
        np.uint8,
    )
    tops = []
    y = gap
    for img in images:
        h, w = img.shape
        stack[y : y + h, left : left + w] = img
        tops.append(y)
        y += h + gap
    return stack, tops


def run_tesseract(
    gray: np.ndarray, *, psm: int = 4, config: str = "", lang: str | None = None
) -> dict[str, list]:
    # Handed over as an uncompressed PGM file: pytesseract would otherwise
    # PNG-compress it first, which took a sixth of a page's time (median
    # 1.44 -> 1.22 s per page on seeds 1000-1079).
    with tempfile.TemporaryDirectory(prefix="kakehashi-ocr-") as tmp:
        path = os.path.join(tmp, "page.pgm")
        if not cv2.imwrite(path, gray):
            raise OcrFailed("文字認識に失敗しました", code="engine_error")
        return _tesseract_file(path, psm=psm, config=config, lang=lang)


# Tesseract re-reads every line it read with low confidence upside down in
# case it is white on black. Pages here are light-normalised dark on white,
# so that second pass only costs time: a quarter of the call on hand-filled
# and blurred pages, where many lines read poorly.
NO_INVERT = "-c tessedit_do_invert=0"


def _tesseract_file(path: str, *, psm: int, config: str, lang: str | None) -> dict[str, list]:
    try:
        data: dict[str, list] = pytesseract.image_to_data(
            path,
            lang=lang or settings.KAKEHASHI_OCR_LANG,
            config=f"--psm {psm} {NO_INVERT} {config}".strip(),
            timeout=settings.KAKEHASHI_OCR_TIMEOUT_SECONDS,
            output_type=pytesseract.Output.DICT,
        )
    # TesseractError is itself a RuntimeError, so it is caught first; a bare
    # RuntimeError is pytesseract's timeout.
    except pytesseract.TesseractNotFoundError as e:
        raise OcrFailed("文字認識エンジンが見つかりません", code="engine_missing") from e
    except pytesseract.TesseractError as e:
        raise OcrFailed("文字認識に失敗しました", code="engine_error") from e
    except RuntimeError as e:
        raise OcrFailed("文字認識が時間内に終わりませんでした", code="timeout") from e
    return data


def _rules_in_line(vertical: np.ndarray | None, top: int, bottom: int) -> list[int]:
    """x positions of vertical ruled lines crossing the text line [top, bottom)."""
    if vertical is None or bottom <= top:
        return []
    band = vertical[max(top, 0) : min(bottom, vertical.shape[0])]
    if band.size == 0:
        return []
    # A cell border crosses most of the line's height; a stroke of a
    # character that survived line removal does not.
    covered = (band > 0).mean(axis=0) >= 0.6
    xs = np.flatnonzero(covered)
    if xs.size == 0:
        return []
    groups = np.split(xs, np.flatnonzero(np.diff(xs) > 3) + 1)
    return [int(g.mean()) for g in groups]


def segments_from_data(
    data: dict[str, list], *, vertical: np.ndarray | None = None, gap_factor: float = 1.6
) -> list[Segment]:
    """Words → segments: split a line at table cell borders and at wide gaps."""
    lines: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if not str(word).strip() or float(data["conf"][i]) < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(i)
    # Reading order: by the line's top edge, then left edge.
    ordered = sorted(
        lines.values(),
        key=lambda idx: (min(data["top"][i] for i in idx), min(data["left"][i] for i in idx)),
    )
    segments: list[Segment] = []
    for line_no, idx in enumerate(ordered):
        idx.sort(key=lambda i: data["left"][i])
        heights = [data["height"][i] for i in idx]
        char_h = statistics.median(heights) if heights else 20
        line_top = min(data["top"][i] for i in idx)
        line_bottom = max(data["top"][i] + data["height"][i] for i in idx)
        rules = _rules_in_line(vertical, line_top, line_bottom)
        current: list[Char] = []
        prev_right: int | None = None
        prev_word = ""
        for i in idx:
            word = unicodedata.normalize("NFKC", str(data["text"][i]).strip())
            left, top = data["left"][i], data["top"][i]
            w, h = data["width"][i], data["height"][i]
            conf = max(0.0, min(1.0, float(data["conf"][i]) / 100.0))
            if prev_right is not None:
                gap = left - prev_right
                if gap > gap_factor * char_h and current:
                    segments.append(Segment(current, line_no))
                    current = []
                elif gap > 0.35 * char_h and not (_is_cjk(prev_word[-1:]) and _is_cjk(word[:1])):
                    # A visible gap between Latin/digit tokens is a word break;
                    # between Japanese characters it is only Tesseract's spacing.
                    current.append(Char(" ", (prev_right, top, max(gap, 1), h), conf))
                elif gap > 0.6 * char_h:
                    current.append(Char(" ", (prev_right, top, max(gap, 1), h), conf))
            # Tesseract gives one box per word; spread it over its characters.
            n = max(len(word), 1)
            for k, ch in enumerate(word):
                x = left + int(w * k / n)
                if current and rules:
                    prev_x = current[-1].box[0] + current[-1].box[2] / 2
                    if any(prev_x < r < x + w / n / 2 for r in rules):
                        # A cell border between two characters: a new cell.
                        while current and current[-1].ch == " ":
                            current.pop()
                        if current:
                            segments.append(Segment(current, line_no))
                        current = []
                current.append(Char(ch, (x, top, max(int(w / n), 1), h), conf))
            prev_right = left + w
            prev_word = word
        if current:
            segments.append(Segment(current, line_no))
    return [_drop_doubtful_lead(_collapse_mark_pairs(seg)) for seg in segments]


# The second kanji of an era name (昭和, 令和, 平成, 大正, 明治) and a year:
# a doubtful first kanji there is the era misread, which the date rules repair.
_ERA_TAIL = re.compile(r"[和成正治]\s*[0-9元]")


def _drop_doubtful_lead(seg: Segment) -> Segment:
    """A lone kanji Tesseract all but gave up on (< 0.2) before confidently
    read text is a mark or speck read as a character: "画キーパーソン",
    "舞石井健一様" (甥 misread), "王710-…" (〒). On seeds 1000-1079 dropping
    it was right in 70 of 73 cases; in the other 3 the rest still read."""
    chars = seg.chars
    if len(chars) < 3 or not ("\u4e00" <= chars[0].ch <= "\u9fff") or chars[0].conf >= 0.2:
        return seg
    rest = [c for c in chars[1:] if c.ch != " "]
    if len(rest) < 2 or min(c.conf for c in rest[:2]) < 0.5:
        return seg
    if _ERA_TAIL.match("".join(c.ch for c in rest[:3])):
        return seg
    k = 1
    while chars[k].ch == " ":
        k += 1
    return Segment(chars[k:], seg.line, seg.cell)


def _voicing(ch: str) -> tuple[str, str] | None:
    """(base kana, mark) of a voiced (゛) or half-voiced (゜) katakana."""
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and "\u30a1" <= parts[0] <= "\u30fa" and parts[1] in "\u3099\u309a":
        return parts[0], parts[1]
    return None


_SMALL_TO_LARGE = dict(zip("ァィゥェォッャュョヮ", "アイウエオツヤユヨワ", strict=True))


def _collapse_mark_pairs(seg: Segment) -> Segment:
    """ "アムロジビピン", "アリセプブト": the model is unsure between ゛ and ゜
    and prints the kana twice, once with each mark. Japanese words do not
    put ビ and ピ side by side, so one of the two goes: the one read with
    less confidence; on a tie the ゜ stays (it was the right one in 5 of 7
    such pairs on seeds 1000-1079: the small circle is what gets lost)."""
    chars: list[Char] = []
    for c in seg.chars:
        prev = _voicing(chars[-1].ch) if chars else None
        this = _voicing(c.ch)
        if prev and this and prev[0] == this[0] and prev[1] != this[1]:
            if c.conf > chars[-1].conf or (c.conf == chars[-1].conf and this[1] == "\u309a"):
                chars[-1] = c
            continue
        if chars and _SMALL_TO_LARGE.get(chars[-1].ch) == c.ch:
            # "チョヨコ": the small and the full-size kana both printed; the
            # full-size one is the commoner reading.
            chars[-1] = c
            continue
        chars.append(c)
    if len(chars) == len(seg.chars):
        return seg
    return Segment(chars, seg.line, seg.cell)
