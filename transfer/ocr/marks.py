"""Answers given by a mark, not by text: a circled option or a ticked check box.

Hand-filled forms answer 性別 by circling 男・女, DNAR by circling 有・無, the
birth era by circling 明治・大正・昭和 and the care level by ticking one box of
□要支援1 … □要介護5. OCR reads every printed option, so the text alone cannot
say which one was chosen (and Tesseract garbles the option a pen line crosses).

The approach is the same for every field:

1. anchor on what OCR did read: the printed label (性別, DNAR, 生年月日,
   要介護度) or a run of option words; this gives the text line, its
   character height ``h`` and where the options start;
2. look at the image (``page.flat``, ruled lines masked out) in a band around
   that line and split the ink into *printed glyphs* (inside the text line)
   and *marks* (ink reaching above or below it: circles, ticks);
3. group glyphs into options, measure for each option how much of a mark
   surrounds it (circle) or fills its box (check box), and compare options
   with each other rather than with a fixed threshold, so that blur and ink
   colour matter less;
4. name the winning option from the OCR characters inside it, or from its
   rank in the printed order when the characters are unreadable.

Everything is measured in units of ``h`` so the rules do not depend on one
form's geometry. Scores are 1 only when one option is clearly marked, the
others clearly are not, and its name is certain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import Page
from .recognise import Char, Segment, union
from .stats import percentile
from .types import Box

ERAS = ("明治", "大正", "昭和", "平成", "令和")
CARE_LEVELS = ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")

# Characters Tesseract substitutes for a "1" at the end of 要支援1 / 要介護1.
_ONE_LIKE = str.maketrans({"】": "1", "]": "1", "l": "1", "I": "1", "|": "1", "i": "1"})


# Height of a kanji over the capitals of the same type size (Noto, IPA and
# MS fonts: 1.25-1.4); the value that measured 有・無 right of "DNAR".
CJK_PER_CAP = 1.3


@dataclass
class _Line:
    """A text line located from OCR: where the label ends and how big the type is."""

    cy: float  # vertical centre of the printed characters
    h: float  # character height
    x0: int  # where the options may start (right of the label)
    x1: int  # where they must end
    chars: list[Char]  # OCR characters of the line right of the label


@dataclass
class _Group:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def box(self) -> Box:
        return (self.x0, self.y0, self.x1 - self.x0, self.y1 - self.y0)


def read_marks(page: Page, segments: list[Segment]) -> dict[str, tuple[object, float, Box]]:
    """Values answered by circling or ticking: ``{field: (value, score 0..1, box)}``.

    Fields: ``sex`` ("male"/"female"), ``dnar`` (bool), ``birth_era`` (元号) and
    ``care_level`` ("要支援1".."要介護5"). A field is present only when its
    option group is found on the page and one option carries a mark.
    """
    out: dict[str, tuple[object, float, Box]] = {}
    gray = page.flat
    lines = page.lines
    circled = (
        ("sex", r"性別|性\s*別", ("男", "女"), ("male", "female")),
        ("dnar", r"DNA?R|ONAR|DNA尺", ("有", "無"), (True, False)),
        ("birth_era", r"生年月日|生年|年月日", ERAS, ERAS),
    )
    for key, label_re, options, values in circled:
        found = _circled(gray, lines, segments, label_re, options, values)
        if found is not None:
            out[key] = found
    care = _care_level(gray, lines, segments)
    if care is not None:
        out["care_level"] = care
    return out


# --------------------------------------------------------------------------
# locating lines from OCR
# --------------------------------------------------------------------------


def _char_height(chars: list[Char]) -> float:
    """Median character height of OCR boxes, cut to the width of CJK glyphs.

    A word's box grows when a circle touches it; CJK glyphs are about square,
    so the width of one character bounds the height from above.
    """
    hs = [min(c.box[3], int(c.box[2] * 1.25)) for c in chars if c.ch.strip()]
    return float(np.median(hs)) if hs else 0.0


def _measure_line(gray: np.ndarray, lines: np.ndarray, label: list[Char]) -> tuple[float, float]:
    """Centre and height of the printed label, from its ink rather than OCR's box.

    OCR word boxes include a circle or a tick that touches the word; the
    label itself is never marked, so its ink rows give the type size.
    """
    box = union([c.box for c in label])
    x, y, w, hh = box
    h_guess = max(_char_height(label), 8.0)
    pad = int(h_guess * 0.6)
    y0, y1 = max(0, y - pad), min(gray.shape[0], y + hh + pad)
    x0, x1 = max(0, x), min(gray.shape[1], x + w)
    ink = _ink(gray[y0:y1, x0:x1], lines[y0:y1, x0:x1])
    rows = np.flatnonzero(ink.sum(1) > max(1, 0.02 * (x1 - x0)))
    if rows.size == 0:
        return y + hh / 2, h_guess
    # The longest run of inked rows is the label's text line (a ruled line
    # that survived masking would be a short separate run).
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1)
    run = max(runs, key=len)
    top, bottom = int(run[0]) + y0, int(run[-1]) + y0
    height = bottom - top + 1
    if not 0.6 * h_guess <= height <= 1.6 * h_guess:
        return y + hh / 2, h_guess
    return (top + bottom) / 2, float(height)


def _find_label(segments: list[Segment], label_re: str) -> tuple[Segment, int, int] | None:
    for seg in segments:
        m = re.search(label_re, seg.text, re.IGNORECASE)
        if m:
            return seg, m.start(), m.end()
    return None


def _line_right_of(
    gray: np.ndarray, lines: np.ndarray, segments: list[Segment], seg: Segment, start: int, end: int
) -> _Line | None:
    label = [c for c in seg.chars[start:end] if c.ch.strip()]
    if not label:
        return None
    cy, h = _measure_line(gray, lines, label)
    if h < 8:
        return None
    if all(c.ch.isascii() for c in label):
        # A Latin label ("DNAR") measures its capitals, about three quarters
        # of the height of the kanji options beside it (有・無), which would
        # otherwise reach out of the text line and count as mark ink.
        h *= CJK_PER_CAP
    lx1 = max(c.box[0] + c.box[2] for c in label)
    x0 = lx1 + int(0.2 * h)
    x1 = min(gray.shape[1], x0 + int(22 * h))
    x0, x1 = _value_cell(gray, lines, cy, h, x0, x1)
    chars = [
        c
        for s in segments
        if abs((s.box[1] + s.box[3] / 2) - cy) < 1.2 * h
        for c in s.chars
        if c.ch.strip() and x0 - h <= c.box[0] + c.box[2] / 2 <= x1
    ]
    return _Line(cy=cy, h=h, x0=x0, x1=x1, chars=chars)


def _value_cell(
    gray: np.ndarray, lines: np.ndarray, cy: float, h: float, x0: int, x1: int
) -> tuple[int, int]:
    """The span right of a label where its options may be: the next table cell.

    On a ruled form the label has its own cell; the first vertical rule after
    it with only paper in between is that cell's border, and the options end
    at the next rule. Without rules the span is left as given.
    """
    y0, y1 = int(cy - 0.5 * h), int(cy + 0.5 * h)
    if y0 < 0 or y1 > lines.shape[0] or x1 <= x0:
        return x0, x1
    cols = np.flatnonzero((lines[y0:y1, x0:x1] > 0).mean(0) > 0.9)
    if cols.size == 0:
        return x0, x1
    # Neighbouring columns belong to one rule.
    rules = [int(r[0]) + x0 for r in np.split(cols, np.flatnonzero(np.diff(cols) > 3) + 1)]
    ends = [int(r[-1]) + x0 for r in np.split(cols, np.flatnonzero(np.diff(cols) > 3) + 1)]
    thr = _threshold(gray[y0:y1, max(0, x0 - int(3 * h)) : x1])
    # Stop short of the rule: its blurred edge is dark but outside the mask.
    gap = slice(x0, max(x0, rules[0] - 3))
    between = _ink(gray[y0:y1, gap], lines[y0:y1, gap], thr)
    if between.size == 0 or between.mean() < 0.01:
        start = ends[0] + 2
        return start, rules[1] if len(rules) > 1 else x1
    return x0, rules[0]


# --------------------------------------------------------------------------
# image measurements
# --------------------------------------------------------------------------


def _threshold(gray: np.ndarray) -> float:
    """Ink/paper threshold of a crop that holds both.

    It follows the crop's own paper level: light normalisation leaves paper
    near white, but shaded label cells and blur shift it. Otsu alone splits
    paper noise when a crop is nearly blank, hence the cap at 70 % of paper.
    """
    if gray.size == 0:
        return 0.0
    paper = percentile(gray, 75)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return min(float(otsu), 0.7 * paper)


def _ink(gray: np.ndarray, lines: np.ndarray, thr: float | None = None) -> np.ndarray:
    """Boolean ink mask of a crop, ruled lines removed."""
    if gray.size == 0:
        return np.zeros(gray.shape, bool)
    if thr is None:
        thr = _threshold(gray)
    # The mask covers a rule's core; its blurred edges would still read as ink.
    wide = cv2.dilate(lines, np.ones((5, 5), np.uint8))
    return (gray < thr) & (wide == 0)


def _band(
    gray: np.ndarray, lines: np.ndarray, line: _Line, reach: float
) -> tuple[np.ndarray, int, int]:
    y0 = max(0, int(line.cy - reach * line.h))
    y1 = min(gray.shape[0], int(line.cy + reach * line.h) + 1)
    x0, x1 = max(0, line.x0), min(gray.shape[1], line.x1)
    return _ink(gray[y0:y1, x0:x1], lines[y0:y1, x0:x1]), x0, y0


def _split_ink(ink: np.ndarray, cy: float, h: float) -> tuple[list[_Group], np.ndarray]:
    """Printed glyph pieces (inside the text line) and the mark ink (the rest).

    A circle or tick leaves the text line; printed characters stay inside it.
    ``cy`` is in band coordinates.
    """
    if ink.size == 0:
        # A band with no width (the label at the page's right edge): OpenCV's
        # connected components crash the process on an empty image.
        return [], np.zeros(ink.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    top, bottom = cy - 0.8 * h, cy + 0.8 * h
    glyphs: list[_Group] = []
    mark = np.zeros(ink.shape, bool)
    for i in range(1, n):
        x, y, w, hh, area = (int(v) for v in stats[i])
        if area < max(3, 0.004 * h * h):
            continue  # specks of noise
        if y >= top and y + hh <= bottom and hh <= 1.2 * h:
            glyphs.append(_Group(x, y, x + w, y + hh))
        else:
            mark |= labels == i
    return glyphs, mark


def _merge_glyphs(glyphs: list[_Group], h: float) -> list[_Group]:
    """Glyph pieces → option words: pieces closer than half a character merge.

    Small isolated dots (the ・ between options) are dropped.
    """
    pieces = sorted(glyphs, key=lambda g: g.x0)
    words: list[_Group] = []
    for g in pieces:
        if words and g.x0 - words[-1].x1 < 0.45 * h:
            w = words[-1]
            words[-1] = _Group(min(w.x0, g.x0), min(w.y0, g.y0), max(w.x1, g.x1), max(w.y1, g.y1))
        else:
            words.append(g)
    return [w for w in words if max(w.x1 - w.x0, w.y1 - w.y0) >= 0.45 * h]


def _enclosure(mark: np.ndarray, g: _Group, h: float) -> float:
    """How completely mark ink surrounds a word: 0 (none) .. 1 (all round).

    Measured just above and below the word over its width, and just left and
    right of it over its height. A neighbour's circle stays in the gap
    between the words, outside these narrow bands.
    """
    H, W = mark.shape
    near, far = int(0.05 * h) + 1, int(0.9 * h)
    side = int(0.7 * h)

    def cover(region: np.ndarray, axis: int) -> float:
        if region.size == 0:
            return 0.0
        return float(region.any(axis=axis).mean())

    top = cover(mark[max(0, g.y0 - far) : max(0, g.y0 - near), g.x0 : g.x1], 0)
    bottom = cover(mark[min(H, g.y1 + near) : min(H, g.y1 + far), g.x0 : g.x1], 0)
    left = cover(mark[g.y0 : g.y1, max(0, g.x0 - side) : max(0, g.x0 - near)], 1)
    right = cover(mark[g.y0 : g.y1, min(W, g.x1 + near) : min(W, g.x1 + side)], 1)
    # Top and bottom weigh most: a circle around a word always passes there,
    # while its sides can be clipped by the cell's ruled lines.
    return 0.35 * top + 0.35 * bottom + 0.15 * left + 0.15 * right


# --------------------------------------------------------------------------
# circled options
# --------------------------------------------------------------------------


def _circled(
    gray: np.ndarray,
    lines: np.ndarray,
    segments: list[Segment],
    label_re: str,
    options: tuple[str, ...],
    values: tuple[object, ...],
) -> tuple[object, float, Box] | None:
    hit = _find_label(segments, label_re)
    if hit is None:
        return None
    line = _line_right_of(gray, lines, segments, *hit)
    if line is None:
        return None
    h = line.h
    ink, bx, by = _band(gray, lines, line, 1.35)
    glyphs, mark = _split_ink(ink, line.cy - by, h)
    words = _merge_glyphs(glyphs, h)
    words = _add_swallowed(words, mark, h, line.cy - by)
    run = _option_run(words, h)
    if len(run) < 2:
        return None
    # Options of one group have the same width (one or two characters);
    # a run mixing sizes is probably handwriting, not printed options.
    enc = [_enclosure(mark, g, h) for g in run]
    order = np.argsort(enc)[::-1]
    best, second = float(enc[order[0]]), float(enc[order[1]])
    if best < 0.35:
        return None  # nothing circled (e.g. the era written out by hand)
    names = [_name_word(line, g, bx, options) for g in run]
    index = _resolve_names(names, len(run), options, int(order[0]))
    if index is None:
        return None
    k, name_score = index
    g = run[int(order[0])]
    box = (g.x0 + bx, g.y0 + by, g.x1 - g.x0, g.y1 - g.y0)
    score = _contrast_score(best, second) * name_score
    if score < 0.1:
        return None  # two options look equally (un)marked: no answer at all
    return values[k], round(score, 3), box


def _add_swallowed(words: list[_Group], mark: np.ndarray, h: float, cy: float) -> list[_Group]:
    """Options whose glyphs touch the circle were counted as mark ink; restore them.

    A circle component around a swallowed word has ink in its middle (the
    word) and clear paper between the word and the circle's sides.
    """
    if mark.size == 0:
        return words
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mark.astype(np.uint8), connectivity=8)
    extra: list[_Group] = []
    for i in range(1, n):
        x, _y, w, hh, _area = (int(v) for v in stats[i])
        if not (1.3 * h <= hh <= 3.0 * h and 0.9 * h <= w <= 8 * h):
            continue
        inner_x0, inner_x1 = x + int(0.25 * h), x + w - int(0.25 * h)
        inner_y0, inner_y1 = int(cy - 0.45 * h), int(cy + 0.45 * h)
        if inner_x1 <= inner_x0:
            continue
        core = labels[inner_y0:inner_y1, inner_x0:inner_x1] == i
        if core.mean() < 0.08:
            continue
        if any(min(g.x1, inner_x1) - max(g.x0, inner_x0) > 0 for g in words):
            continue
        cols = np.flatnonzero(core.any(0))
        gx0, gx1 = inner_x0 + int(cols[0]), inner_x0 + int(cols[-1]) + 1
        extra.append(_Group(gx0, inner_y0, gx1, inner_y1))
        # The word's own ink no longer counts as mark, so the enclosure
        # measure sees only the circle around it.
        mark[inner_y0:inner_y1, gx0:gx1] &= ~core[:, cols[0] : cols[-1] + 1]
    return sorted(words + extra, key=lambda g: g.x0)


def _option_run(words: list[_Group], h: float) -> list[_Group]:
    """The printed options: the first words, up to a gap wider than an option gap.

    Options are separated by about one character plus a ・; what follows
    (hand-written numbers of a date, another field) is further away.
    """
    run: list[_Group] = []
    for w in words:
        if run and w.x0 - run[-1].x1 > 2.6 * h:
            break
        run.append(w)
    return run


def _name_word(line: _Line, g: _Group, bx: int, options: tuple[str, ...]) -> int | None:
    """Index of the option whose characters OCR read inside this word, if any."""
    x0, x1 = g.x0 + bx, g.x1 + bx
    text = "".join(c.ch for c in line.chars if x0 - 2 <= c.box[0] + c.box[2] / 2 <= x1 + 2)
    hits = {i for i, o in enumerate(options) for ch in o if ch in text and ch not in "和"}
    if len(hits) == 1:
        return hits.pop()
    # 和 is in both 昭和 and 令和; it names the option only when alone.
    if not hits and "和" in text:
        both = [i for i, o in enumerate(options) if "和" in o]
        if len(both) == 1:
            return both[0]
    return None


def _resolve_names(
    names: list[int | None], n: int, options: tuple[str, ...], chosen: int
) -> tuple[int, float] | None:
    """Option index of word ``chosen`` and how sure the naming is.

    Printed options follow a fixed order (男・女, 有・無, 明治・大正・昭和…),
    so any readable word fixes the others by offset. Readings that disagree
    about the offset make the naming unsure.
    """
    offsets = [name - i for i, name in enumerate(names) if name is not None]
    if offsets:
        votes = {o: offsets.count(o) for o in set(offsets)}
        offset = max(votes, key=lambda o: votes[o])
        agree = votes[offset] / len(offsets)
        k = chosen + offset
        if not 0 <= k < len(options) or n + offset > len(options):
            return None
        if names[chosen] == k:
            sure = 1.0 if agree == 1.0 else 0.6
        else:
            sure = 0.95 if agree == 1.0 and len(offsets) >= 1 else 0.5
        return k, sure
    # Nothing readable: only a complete, standard group can be named by rank.
    if n == len(options):
        return chosen, 0.8
    if options == ERAS and n == 3:
        return chosen, 0.6  # 明治・大正・昭和 is the usual set, but not the only one
    return None


def _contrast_score(best: float, second: float) -> float:
    """1 when one option is clearly surrounded and the others clearly are not."""
    strength = min(1.0, max(0.0, (best - 0.35) / 0.3))
    clean = min(1.0, max(0.0, (0.5 - second) / 0.3))
    return strength * clean


# --------------------------------------------------------------------------
# check boxes
# --------------------------------------------------------------------------


_CARE_RE = re.compile(r"(支援|介護|支|援|介|護)\s*([1-5])")


def _care_level(
    gray: np.ndarray, lines: np.ndarray, segments: list[Segment]
) -> tuple[object, float, Box] | None:
    line = _care_line(gray, lines, segments)
    if line is None:
        return None
    h = line.h
    ink, bx, by = _band(gray, lines, line, 1.3)
    glyphs, _mark = _split_ink(ink, line.cy - by, h)
    words = _merge_glyphs(glyphs, h)
    boxes = _find_boxes(ink, h, line.cy - by, words)
    if len(boxes) < 2:
        return None
    fills = [_box_fill(ink, b) for b in boxes]
    order = np.argsort(fills)[::-1]
    best, second = float(fills[order[0]]), float(fills[order[1]])
    if best < 0.06:
        return None
    chosen = int(order[0])
    names = []
    for i, b in enumerate(boxes):
        right = boxes[i + 1][0] if i + 1 < len(boxes) else b[0] + b[2] + int(6 * h)
        names.append(_care_name(line, b[0] + b[2] + bx, right + bx))
    k = _resolve_care(names, chosen)
    if k is None:
        return None
    level, name_score = k
    x, y, w, hh = boxes[chosen]
    label_right = boxes[chosen + 1][0] if chosen + 1 < len(boxes) else x + w + int(4 * h)
    box = (x + bx, y + by, min(label_right, x + w + int(4.5 * h)) - x, hh)
    strength = min(1.0, max(0.0, (best - 0.06) / 0.08))
    clean = min(1.0, max(0.0, (best * 0.5 - second) / (best * 0.3)))
    score = strength * clean * name_score
    if score < 0.1:
        return None
    return level, round(score, 3), box


def _care_line(gray: np.ndarray, lines: np.ndarray, segments: list[Segment]) -> _Line | None:
    """The line of care-level options: at least two 要支援/要介護 + digit readings."""
    for seg in segments:
        found = list(_CARE_RE.finditer(seg.text))
        if len(found) < 2:
            continue
        m = re.search(r"要介護度|介護度", seg.text)
        if m and m.end() <= found[0].start():
            label = [c for c in seg.chars[m.start() : m.end()] if c.ch.strip()]
        else:
            label = [c for c in seg.chars[: found[0].start()] if c.ch.strip()][-3:]
            label = label or [c for c in seg.chars[found[0].start() : found[0].end()]]
        if not label:
            continue
        option_chars = [c for c in seg.chars[found[0].start() :] if c.ch.strip()]
        cy, h = _measure_line(gray, lines, option_chars[:4] if m is None else label)
        first = max(0, found[0].start() - 3)
        x0 = seg.chars[first].box[0] - int(1.5 * h) if m is None else label[-1].box[0]
        if m is not None:
            x0 += label[-1].box[2]
        x1 = min(gray.shape[1], seg.box[0] + seg.box[2] + int(2 * h))
        chars = [c for c in seg.chars if c.ch.strip()]
        return _Line(cy=cy, h=h, x0=max(0, x0), x1=x1, chars=chars)
    return None


def _find_boxes(ink: np.ndarray, h: float, cy: float, words: list[_Group]) -> list[Box]:
    """Square outlines of check boxes on the line, left to right (band coordinates).

    A box is found by its four straight sides: the share of inked pixels along
    a square's border is high for a drawn box and low for glyphs, and a tick
    inside changes only the interior.
    """
    u8 = ink.astype(np.uint8)
    best: list[Box] = []
    best_total = 0.0
    for side in range(max(6, int(0.6 * h)), int(1.25 * h) + 1):
        t = max(2, round(side * 0.15))
        inner = side - 2 * t
        # Share of positions along a side where the stroke is present: ink
        # anywhere across the stroke's thickness, averaged along its length.
        across_h = cv2.dilate(u8, np.ones((t, 1), np.uint8), anchor=(0, 0)).astype(np.float32)
        across_v = cv2.dilate(u8, np.ones((1, t), np.uint8), anchor=(0, 0)).astype(np.float32)
        along_h = cv2.blur(across_h, (inner, 1), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        along_v = cv2.blur(across_v, (1, inner), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        cover = _shifted_min(along_h, along_v, side, t)
        # A drawn box stands alone: just outside its left and bottom sides
        # (away from where a tick leaves it) there is paper. A square piece
        # of a glyph such as the top of 要 continues into the glyph.
        outside = _shifted_max(along_h, along_v, side, t)
        cover = np.where(outside < 0.5, cover, 0.0)
        # A tick is a line: it fills part of a box's inside, never most of
        # it. A solid square is a dense glyph (要 next to a ticked box).
        found = [
            (b, sc)
            for b, sc in _peaks(cover, side, cy, h)
            if _starts_word(b, words, h) and _box_fill(ink, b) < 0.7
        ]
        total = sum(sc for _, sc in found)
        if len(found) >= 2 and total > best_total:
            best_total = total
            best = [b for b, _ in found]
    return best


def _starts_word(b: Box, words: list[_Group], h: float) -> bool:
    """A check box comes before its option's label, never inside a word.

    Square pieces of glyphs (the top of 要) also have four inked sides; they
    lie inside a word. A box is at a word's start, or (when a tick made it
    count as mark ink) in the gap just before one.
    """
    x, _, w, _ = b
    for g in words:
        if abs(x - g.x0) <= 0.35 * h:
            return True
        if g.x0 - 0.8 * h <= x + w <= g.x0 + 0.2 * h:
            return True
    return False


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved so that out[y, x] = a[y + dy, x + dx] (zeros outside)."""
    out = np.zeros_like(a)
    H, W = a.shape
    ys, yd = (slice(dy, H), slice(0, H - dy)) if dy >= 0 else (slice(0, H + dy), slice(-dy, H))
    xs, xd = (slice(dx, W), slice(0, W - dx)) if dx >= 0 else (slice(0, W + dx), slice(-dx, W))
    out[yd, xd] = a[ys, xs]
    return out


def _shifted_min(along_h: np.ndarray, along_v: np.ndarray, side: int, t: int) -> np.ndarray:
    """Weakest of the four sides of a square with its top-left corner at (y, x)."""
    top = _shifted(along_h, 0, t)
    bottom = _shifted(along_h, side - t, t)
    left = _shifted(along_v, t, 0)
    right = _shifted(along_v, t, side - t)
    return np.minimum(np.minimum(top, bottom), np.minimum(left, right))


def _shifted_max(along_h: np.ndarray, along_v: np.ndarray, side: int, t: int) -> np.ndarray:
    """Strongest ink just outside the square's left and bottom sides."""
    gap = t + 1
    left = _shifted(along_v, t, -gap - t)
    bottom = _shifted(along_h, side + gap, t)
    return np.maximum(left, bottom)


def _peaks(cover: np.ndarray, side: int, cy: float, h: float) -> list[tuple[Box, float]]:
    """Non-overlapping positions where all four sides are inked, left to right."""
    H, W = cover.shape
    # The box is on the text line: its centre within half a character of cy.
    ylo = max(0, int(cy - 0.5 * h - side / 2))
    yhi = min(H - side, int(cy + 0.5 * h - side / 2))
    if yhi <= ylo:
        return []
    sub = cover[ylo : yhi + 1, : max(1, W - side)]
    col_best = sub.max(0)
    col_arg = sub.argmax(0) + ylo
    found: list[tuple[Box, float]] = []
    x = 0
    while x < col_best.size:
        if col_best[x] >= 0.9:
            end = min(col_best.size, x + side)
            j = x + int(np.argmax(col_best[x:end]))
            found.append(((j, int(col_arg[j]), side, side), float(col_best[j])))
            x = j + side
        else:
            x += 1
    return found


def _box_fill(ink: np.ndarray, b: Box) -> float:
    """Share of inked pixels inside a box, away from its outline."""
    x, y, w, h = b
    m = max(3, round(w * 0.22))
    inner = ink[y + m : y + h - m, x + m : x + w - m]
    return float(inner.mean()) if inner.size else 0.0


def _care_name(line: _Line, x0: int, x1: int) -> int | None:
    text = "".join(c.ch for c in line.chars if x0 - 4 <= c.box[0] + c.box[2] / 2 <= x1)
    text = text.translate(_ONE_LIKE)
    m = _CARE_RE.search(text)
    if not m:
        return None
    kind, digit = m.group(1), int(m.group(2))
    if kind in ("支援", "支", "援"):
        return digit - 1 if digit <= 2 else None
    return digit + 1


def _resolve_care(names: list[int | None], chosen: int) -> tuple[str, float] | None:
    """Care level of box ``chosen``: by its own reading and by its rank in the row."""
    offsets = [name - i for i, name in enumerate(names) if name is not None]
    if not offsets:
        if len(names) == len(CARE_LEVELS):
            return CARE_LEVELS[chosen], 0.8
        return None
    votes = {o: offsets.count(o) for o in set(offsets)}
    offset = max(votes, key=lambda o: votes[o])
    share = votes[offset] / len(offsets)
    k = chosen + offset
    if not 0 <= k < len(CARE_LEVELS):
        return None
    own = names[chosen]
    if own == k and share >= 0.75:
        sure = 1.0
    elif own is None and share >= 0.75 and len(offsets) >= 2:
        sure = 0.95
    else:
        sure = 0.5
    return CARE_LEVELS[k], sure
