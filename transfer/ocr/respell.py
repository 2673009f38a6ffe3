"""Misread kanji put right where the dictionary and the photo agree.

The fast Japanese models misread complex kanji even on sharp photos (誤嚥 as
誤嘆, 帯状疱疹 as 帯状交疹, 白内障 as 白内隊). Such a character usually makes
no word with its neighbours. For each kanji in a run that no dictionary
word accounts for (reading.uncovered), the dictionary proposes the
characters that would make a word there (reading.substitutes: general
Japanese, no list of our own), and the photo decides: a proposal replaces
what OCR read only when its drawn shape matches the character in the photo
clearly better than the OCR reading's own shape does, and clearly better
than the next proposal. A value holding a replaced character is never
shown as certain (the pipeline caps it below green): the machine's own
correction is for a person to confirm.

Where two kanji side by side are both misread (褥瘡 as 補癒), neither makes
a word with the other and the dictionary proposes nothing for one alone.
Then the shapes decide first: the nearest shapes of each character among
all kanji (the glyph store) are joined through the dictionary, under the
same kind of bars.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from . import glyphs, reading
from .normalise import MISREAD_MERIDIEM
from .reading import KANJI_RUN, substitutes, uncovered
from .recognise import Char, Segment
from .types import Box

# Shape agreement (cosine of the normalised glyphs) a proposal needs, and
# how far ahead of the OCR reading's own shape and of the next proposal.
SIMILAR = 0.6
AHEAD_OF_READ = 0.1
AHEAD_OF_NEXT = 0.04
# Ink that resembles OCR's own reading less than ASTRAY may not be the
# character at all (a box gone astray onto a gap): a proposal must then
# match it at SIMILAR_ASTRAY. On seeds 1000-1079 the wrong replacements of
# this kind (様 → 子) reached 0.62, the right ones 0.65 and more.
ASTRAY = 0.2
SIMILAR_ASTRAY = 0.65
# One stroke: a dash, a rule's remnant or a stroke of the next character
# would match it.
TOO_PLAIN = frozenset("一丨")
# The confidence a replaced character carries (a field's raw score starts
# from its weakest character).
RESPELLED = 0.6


def respell(gray: np.ndarray, segments: list[Segment]) -> list[Char]:
    """Replace misread kanji in place; return the characters put in."""
    if not glyphs.available():
        return []
    shapes = _Shapes(gray)
    replaced: list[Char] = []
    for seg in segments:
        if len(seg.text) != len(seg.chars):
            continue  # a character of several code points: offsets would drift
        changed = False
        for m in KANJI_RUN.finditer(seg.text):
            run = list(m.group())
            for i in uncovered(m.group()):
                at = m.start() + i
                ch = _respelled(shapes, seg.chars[at], "".join(run), i, _beside(seg.chars, at))
                if ch is None:
                    continue
                char = seg.chars[at]
                seg.chars[at] = Char(ch, char.box, min(char.conf, RESPELLED))
                replaced.append(seg.chars[at])
                run[i] = ch
                changed = True
            if _respell_pairs(shapes, seg.chars, m.start(), run, replaced):
                changed = True
        if changed:
            seg.text = "".join(c.ch for c in seg.chars)
    return replaced


def _beside(chars: list[Char], at: int) -> set[str]:
    """The characters next to chars[at] as they now read, spaces skipped (味
    野: OCR's space between them does not make 野 any less a neighbour)."""
    left = next((c.ch for c in reversed(chars[:at]) if c.ch.strip()), "")
    right = next((c.ch for c in chars[at + 1 :] if c.ch.strip()), "")
    return {c for c in (left, right) if c}


class _Shapes:
    """The page's glyphs and their nearest kanji, each worked out once per
    page: the pair search meets a character again as the first of the
    next pair, and the search for one character has mostly read its ink
    before. Keyed by the character's box (the glyph depends on nothing
    else), and dropped with the page."""

    def __init__(self, gray: np.ndarray) -> None:
        self.gray = gray
        self._glyphs: dict[Box, np.ndarray | None] = {}
        self._nearest: dict[Box, dict[str, float]] = {}

    def glyph(self, char: Char) -> np.ndarray | None:
        if char.box not in self._glyphs:
            self._glyphs[char.box] = glyph_of(self.gray, char)
        return self._glyphs[char.box]

    def nearest(self, char: Char, glyph: np.ndarray) -> dict[str, float]:
        """glyphs.nearest of the char's glyph (``glyph``, found by glyph())."""
        if char.box not in self._nearest:
            self._nearest[char.box] = glyphs.nearest(glyph, PAIR_NEAREST)
        return self._nearest[char.box]


def _respelled(shapes: _Shapes, char: Char, run: str, i: int, beside: set[str]) -> str | None:
    proposals = substitutes(run, i)
    if not proposals:
        return None
    # A neighbour's own character is no proposal: where OCR's box for this
    # character is off, the ink found in it can be the neighbour's (新見市新見
    # would become 新見新新見).
    neighbours = beside | {char.ch}
    keep = [c for c in proposals if c not in neighbours and c not in TOO_PLAIN and _common(c)]
    if not keep:
        return None
    glyph = shapes.glyph(char)
    if glyph is None:
        return None
    others = [n for n in beside if n != char.ch]
    own, *like_others = glyphs.similarities(glyph, [char.ch, *others]).tolist()
    scored = sorted(zip(glyphs.similarities(glyph, keep).tolist(), keep, strict=True), reverse=True)
    best, ch = scored[0]
    # The ink looks like a neighbour's character (新見市新見 with 市's box on
    # the next 新): the box is off, and no proposal can be trusted.
    second = max([scored[1][0] if len(scored) > 1 else -1.0, *like_others])
    needed = SIMILAR if own >= ASTRAY else SIMILAR_ASTRAY
    if best >= needed and best - own >= AHEAD_OF_READ and best - second >= AHEAD_OF_NEXT:
        return ch
    return None


def _respell_pairs(
    shapes: _Shapes, chars: list[Char], start: int, run: list[str], out: list[Char]
) -> bool:
    """Two misread kanji side by side (褥瘡 read as 補癒, 喀痰 as 路導): each
    is a word's half that the other half does not complete, so no proposal
    for one alone fits. Replace both where the nearest shapes of the two,
    taken from every kanji, make a dictionary word. The run begins at
    chars[start]; both are changed in place."""
    orphans = set(uncovered("".join(run)))
    changed = False
    i = 0
    while i + 1 < len(run):
        a, b = chars[start + i], chars[start + i + 1]
        pair = None
        if i in orphans and i + 1 in orphans:
            pair = _respelled_pair(shapes, a, b, "".join(run), i)
        if pair is None:
            i += 1
            continue
        for at, old, ch in ((start + i, a, pair[0]), (start + i + 1, b, pair[1])):
            chars[at] = Char(ch, old.box, min(old.conf, RESPELLED))
            out.append(chars[at])
        run[i : i + 2] = list(pair)
        changed = True
        i += 2
    return changed


# A pair is replaced when each new character's shape matches at PAIR_SIMILAR
# and both together at PAIR_SUM, each clearly ahead of OCR's own reading
# (AHEAD_OF_READ), and the pair ahead of the next word's pair. Chosen on
# seeds 1000-1079: at 0.6 and 1.3 a third of the pairs were other words
# (鼻糞, 奉書); at these bars, 9 of 9 there and 3 of 3 on seeds 7000-7059
# (other fonts) were right.
PAIR_NEAREST = 12  # shapes considered per character
PAIR_SIMILAR = 0.65
PAIR_SUM = 1.45
PAIR_AHEAD_OF_NEXT = 0.05


def glyph_of(gray: np.ndarray, char: Char) -> np.ndarray | None:
    """The ink of the character OCR boxed, normalised for comparing shapes;
    None when what is found there lies elsewhere or is part of a character
    (a kanji's ink is about square)."""
    box = glyphs.refine(gray, char.box)
    if box is None or not _same_place(box, char.box) or box[2] < 0.75 * box[3]:
        return None
    return glyphs.photo_glyph(gray, box)


def _respelled_pair(shapes: _Shapes, a: Char, b: Char, run: str, i: int) -> str | None:
    """The dictionary word that the nearest shapes of two neighbouring
    kanji make at run[i:i+2], if it stands clearly out; else None."""
    ga, gb = shapes.glyph(a), shapes.glyph(b)
    if ga is None or gb is None:
        return None
    near_a = shapes.nearest(a, ga)
    if not near_a:
        return None  # no store (then b has no nearest shapes either)
    # Neither may be a neighbour's character (a box shifted onto the next
    # character reads as that character: 管狭 would become 狭窄) nor OCR's
    # own reading; and no word of one character twice (一一, 生生).
    around = {run[i - 1] if i > 0 else "", a.ch, b.ch, run[i + 2] if i + 2 < len(run) else ""}
    firsts = [x for x in near_a if _common(x) and x not in around]
    # Words that hold the pair at i: starting up to three characters before
    # it, with those characters as read, and after it the run's. A word
    # starting at i is looked up by each candidate for a; one starting
    # before i by the run's character there, once. b's nearest shapes (a
    # second pass over the store) are only needed if some word is found.
    found: list[tuple[str, str]] = []
    for start in range(max(0, i - 3), i + 1):
        k = i - start
        if k == 0:
            for x, y in _pairs_starting(firsts, run[i + 2 :]):
                if y not in around and y != x and _common(y):
                    found.append((x, y))
            continue
        for word in reading.words_from(run[start]):
            if len(word) < k + 2 or word[:k] != run[start:i]:
                continue
            x, y = word[k], word[k + 1]
            if x not in firsts or y in around or y == x:
                continue
            if start + len(word) > len(run) or word[k + 2 :] != run[i + 2 : start + len(word)]:
                continue
            if not _common(y):
                continue
            found.append((x, y))
    if not found:
        return None
    near_b = shapes.nearest(b, gb)
    scored: dict[str, float] = {}
    for x, y in found:
        if y in near_b:
            scored[x + y] = near_a[x] + near_b[y]
    if not scored:
        return None
    own_a, own_b = glyphs.similarity(ga, a.ch), glyphs.similarity(gb, b.ch)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    (pair, best), second = ranked[0], ranked[1][1] if len(ranked) > 1 else -2.0
    x, y = pair[0], pair[1]
    if (
        min(near_a[x], near_b[y]) >= PAIR_SIMILAR
        and best >= PAIR_SUM
        and near_a[x] - own_a >= AHEAD_OF_READ
        and near_b[y] - own_b >= AHEAD_OF_READ
        and best - second >= PAIR_AHEAD_OF_NEXT
    ):
        return pair
    return None


def _pairs_starting(firsts: list[str], rest: str) -> list[tuple[str, str]]:
    """(first, second) of the dictionary's words that are one of
    ``firsts``, a kanji, then the start of ``rest`` (or nothing more),
    first by first, each first's in the dictionary's order: found through
    reading's index of what follows a word's second character, not by
    reading each first's whole table. (A second that is no kanji is left
    out: it is among no nearest shapes.)"""
    out: list[tuple[str, str]] = []
    for x in firsts:
        after = reading.words_by_rest(x)
        hits = sorted(
            (n, y, end) for end in range(len(rest) + 1) for n, y in after.get(rest[:end], ())
        )
        out += [(x, y) for _, y, _ in hits]
    return out


def _same_place(found: Box, given: Box) -> bool:
    """Whether the ink found is where OCR put the character, give or take a
    third of its height (not the character beside it)."""
    fx, given_x = found[0] + found[2] / 2, given[0] + given[2] / 2
    return abs(fx - given_x) <= max(found[3], given[3]) / 3


# Asked a few hundred thousand times a page (every candidate word's
# characters), of a few thousand characters: encoding each time cost more
# than the rest of the pair search. Bounded; a character is one entry.
@lru_cache(maxsize=1 << 16)
def _common(ch: str) -> bool:
    """In JIS X 0208 (Shift_JIS), the character set Japanese documents are
    written in: the dictionary also lists rare and Chinese forms."""
    try:
        ch.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


# A first character OCR dropped at a cell's left edge (嘔 of 嘔吐3回, 延 of
# 延命処置): its ink must match the dictionary's proposal at least this well
# and be among the nearest shapes of all kanji.
DROPPED_SIMILAR = 0.65
DROPPED_NEAREST = 12


def restore_dropped(gray: np.ndarray, lines: np.ndarray, segments: list[Segment]) -> list[Char]:
    """Put back the first character of a table cell that OCR left out.

    Tesseract, reading a column of cells stacked into one image, sometimes
    drops a cell's first character: its box then starts at the second, and
    the ink of the first lies just left of it, inside the cell. The
    dictionary proposes the characters that make a word with what follows
    (吐 → 嘔吐, 命 → 延命), and the ink decides among them, under the bars
    above. Returns the characters put in (never green)."""
    if not glyphs.available():
        return []
    first_of_cell: dict[int, Segment] = {}
    for seg in segments:
        if seg.cell is None or not seg.text.strip():
            continue
        held = first_of_cell.get(seg.cell)
        if held is None or (seg.line, seg.box[0]) < (held.line, held.box[0]):
            first_of_cell[seg.cell] = seg
    put_in: list[Char] = []
    for seg in first_of_cell.values():
        if len(seg.text) != len(seg.chars):
            continue
        start = next(i for i, c in enumerate(seg.chars) if c.ch.strip())
        text = "".join(c.ch for c in seg.chars[start:] if c.ch.strip())
        if not "\u4e00" <= text[:1] <= "\u9fff":
            continue
        ch = _dropped_first(gray, lines, seg.chars[start : start + 4], text)
        if ch is None:
            continue
        char = Char(ch[0], ch[1], RESPELLED)
        seg.chars.insert(start, char)
        seg.text = "".join(c.ch for c in seg.chars)
        put_in.append(char)
    return put_in


def _dropped_first(
    gray: np.ndarray, lines: np.ndarray, chars: list[Char], text: str
) -> tuple[str, Box] | None:
    boxes = [c.box for c in chars if c.ch.strip()]
    # Where the first character's ink starts: its box, cut evenly from its
    # word's, can start inside it (吐's box half a stroke right of its 口).
    first = glyphs.refine(gray, boxes[0])
    if first is not None and _same_place(first, boxes[0]):
        boxes[0] = first
    box = glyphs.glyph_left_of(gray, boxes)
    if box is None:
        return None
    x, y, w, h = box
    if x + w > chars[0].box[0] + h // 4:
        # Ink inside OCR's own box for the text: a character it read, with
        # the text's boxes (cut evenly from a too-wide word) off.
        return None
    # A ruled line between the ink and the text: the ink is the label
    # cell's, not a character of this one.
    between = lines[y : y + h, x + w : chars[0].box[0]]
    if between.size and (between > 0).any(axis=0).any():
        return None
    proposals = {
        word[0]
        for word in reading.by_second(text[0])
        if text.startswith(word[1:]) and _common(word[0]) and word[0] not in TOO_PLAIN
    }
    if not proposals:
        return None
    glyph = glyphs.photo_glyph(gray, box)
    if glyph is None:
        return None
    # Not the first character's own ink found again (its box was off):
    # then the ink looks like that character, and a proposal that repeats
    # it (時時に, 田山田) would double it.
    keep = sorted(proposals - set(text[:2]))
    if not keep:
        return None
    own = glyphs.similarity(glyph, text[0])
    scored = sorted(zip(glyphs.similarities(glyph, keep).tolist(), keep, strict=True), reverse=True)
    best, ch = scored[0]
    second = max(scored[1][0] if len(scored) > 1 else -1.0, own)
    if best < DROPPED_SIMILAR or best - second < AHEAD_OF_NEXT:
        return None
    # Last, being a pass over the whole store: the ink must not look more
    # like a dozen other kanji than like the proposal.
    return (ch, box) if ch in glyphs.nearest(glyph, DROPPED_NEAREST) else None


# 午前 / 午後 before an hour, its second kanji misread (午入5時): the ink
# decides between the two, which look nothing alike.
_MERIDIEM = re.compile(MISREAD_MERIDIEM + r"\s*\d{1,2}\s*時")
MERIDIEM_SIMILAR = 0.5


def meridiem_by_shape(gray: np.ndarray, segments: list[Segment]) -> list[Char]:
    """Put right the 前 or 後 of 午前/午後 that OCR misread, by its ink.
    Returns the characters put in (never green)."""
    if not glyphs.available():
        return []
    put_in: list[Char] = []
    for seg in segments:
        if len(seg.text) != len(seg.chars):
            continue
        before = len(put_in)
        for m in _MERIDIEM.finditer(seg.text):
            at = m.start(1)
            glyph = glyph_of(gray, seg.chars[at])
            if glyph is None:
                continue
            own, am, pm = glyphs.similarities(glyph, [m[1], "前", "後"]).tolist()
            best, ch = max((am, "前"), (pm, "後"))
            other = min(am, pm)
            if best >= MERIDIEM_SIMILAR and best - max(other, own) >= AHEAD_OF_READ:
                seg.chars[at] = Char(ch, seg.chars[at].box, RESPELLED)
                put_in.append(seg.chars[at])
        if len(put_in) > before:
            seg.text = "".join(c.ch for c in seg.chars)
    return put_in
