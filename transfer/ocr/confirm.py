"""A second reading, by the other Japanese model, of values not yet certain.

Tesseract's two Japanese models (``jpn`` and the script model ``Japanese``)
were trained apart and misread different characters: where both read the
same text, it is far more often right than where only one did. Written
values, numbers and dates the calibration shows amber are cut out of the
page (with a character's width to each side), stacked into one image and
read once more with the model the page was not read with. A value the
second reading holds as a whole (spaces, separators, dashes and kana script
aside; not as part of a longer word; a number as one run of digits, a date
as its runs of digits in order) is *agreed*, and the calibration says, in a
table of its own, how often agreed readings of each field are right:
agreement alone never makes a value green. On the calibration set (seeds
1000-3199, eleventh session) 3 803 values agreed and 182 of them were wrong,
mostly look-alike kanji both models misread into a plausible name (和夫 as
和大) and ピ read as ビ in drug names.

One extra Tesseract call per page (about 0.15 s, most of it starting the
process and loading the model), and none when every written value is
already green or too doubtful to be worth it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np

from .normalise import hiragana_to_katakana
from .recognise import Segment, run_tesseract, segments_from_data, stack_images
from .types import Box

# Written values: one misread character makes them wrong, and Tesseract's
# character confidences do not say which one. Dates, vital signs and marks
# have checks of their own (calendars, ranges, circles).
CONFIRMABLE = frozenset(
    {
        "name",
        "name_kana",
        "address",
        "facility_name",
        "primary_physician",
        "clinic_name",
        "diagnoses",
        "current_illness",
        "medications",
        "allergies",
        "care_level",
        "adl",
        "advance_directive",
        "key_person.name",
        "key_person.relation",
        "notes",
    }
)
# Numbers: the same digits, read by both models as one run (separators
# between digit groups aside). A handwritten temperature or age passes every
# range check when it lost a digit (36.4 read as 36.0 from "36・4", 9 of 93),
# and the first reading's character confidences on handwriting say little.
DIGITS = frozenset(
    {
        "postal_code",
        "facility_phone",
        "key_person.phone",
        "insurance_number",
        "vitals.temperature_c",
        "age",
    }
)
# Dates and times: the same runs of digits in the same order, compared on
# the text as read (the value is an ISO date, the sheet may print an era's
# year: 昭和11年8月28日). A day that lost a digit ("4 月 1日" for 10日) is
# otherwise a valid date.
RUNS = frozenset({"birth_date", "onset_time"})
# Values shown below this are mostly wrong; a second reading would rarely
# agree with them and costs time. (At 0.4 the medication lists of ruled
# forms, right about half the time at low raw scores, were never read
# twice.)
LEAST = 0.15
MARGIN = 6  # pixels around a value's box, so its first and last strokes are whole
GAP = 24  # white rows between stacked crops
NUMBER_SIDE = 4  # a number's crop reaches this many characters to each side

# Marks that OCR drops, adds or swaps freely between two readings of the
# same print: spaces, list separators, brackets and the stroke of a ruled
# line at a cell's edge (|わたなべゆたか). Where the second reading
# has one, a value may start or end.
_BREAKS = re.compile(r"[\s、，,・･。.．()（）「」【】\[\]{}<>:：;；|｜]+")
_DASHES = re.compile(r"[一ー－―‐−–—-]")
# Honorifics printed after a name ("山田花子様"): the name ends before them.
_AFTER_NAME = "様殿"


def _plain(text: str) -> str:
    # Hiragana → katakana: a name's reading is stored in katakana whichever
    # script the sheet used.
    return hiragana_to_katakana(_DASHES.sub("-", unicodedata.normalize("NFKC", text)))


def comparable(text: str) -> str:
    """Text as two readings of the same print can be compared."""
    return _BREAKS.sub("", _plain(text))


def holds(read: str, value: str, neighbours: Iterable[str] = ()) -> bool:
    """Whether the second reading holds the value as a whole: found in it,
    and not as part of a longer word. A value that lost its first character
    (下機能低下 of 嚥下機能低下) or its end (長男 of 長男の妻) is inside the
    reading too, and is no agreement.

    ``neighbours``: other values found on the page. Where one runs on into
    the value with no space (a letter's "備中中央病院岡本修先生": the clinic,
    then the doctor), its end is the value's start, and the reading agrees
    when it holds both. A doctor's 先生 ends a name as 様 does."""
    wanted = comparable(value)
    if not wanted:
        return False
    pieces = _BREAKS.split(_plain(read))
    compact = "".join(pieces)
    edges, at = {0}, 0
    for piece in pieces:
        at += len(piece)
        edges.add(at)
    others = [n for n in (comparable(n) for n in neighbours) if n and n != wanted]
    start = compact.find(wanted)
    while start >= 0:
        end = start + len(wanted)
        before = (
            start in edges
            or _kind(compact[start - 1]) != _kind(compact[start])
            or any(compact.endswith(n, 0, start) for n in others)
        )
        after = (
            end in edges
            or compact[end] in _AFTER_NAME
            or compact.startswith("先生", end)
            or _kind(compact[end]) != _kind(compact[end - 1])
            or any(compact.startswith(n, end) for n in others)
        )
        if before and after:
            return True
        start = compact.find(wanted, start + 1)
    return False


# What separates the groups of a phone, postal or insurance number as
# printed or as OCR reads it: a dash or its look-alikes, a dot, a space.
_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[\s\-.・･·一ー－―‐−–—()（）]+(?=\d)")


def holds_number(read: str, value: str) -> bool:
    """Whether the second reading holds the number as one whole run of
    digits: 086-452-0907 in "TEL 086.452 0907", not in "1086-452-09071"."""
    wanted = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if not wanted:
        return False
    joined = _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", read))
    return wanted in re.findall(r"\d+", joined)


def holds_runs(read: str, text: str) -> bool:
    """Whether the second reading holds the runs of digits of a date or time
    as read the first time, one after another: 5年4月10日 holds "5 年 4 月
    10日" but not "5 年 4 月 1日"."""
    wanted = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    if len(wanted) < 2:
        return False  # one number alone could be any of the page's
    got = re.findall(r"\d+", unicodedata.normalize("NFKC", read))
    return any(got[i : i + len(wanted)] == wanted for i in range(len(got) - len(wanted) + 1))


def _kind(ch: str) -> str:
    """Digits or letters: kanji, kana and Latin letters run on within a word
    with no space between them (誤嚥, DNAR同意書), digits end it (山田花子090-…)."""
    return "digit" if ch.isdigit() else "letter"


def value_text(value: object) -> str:
    """The printed text of a value: list items and medication names with
    their doses, in order."""
    if isinstance(value, list):
        return "".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "".join(str(value.get(k) or "") for k in ("name", "dose"))
    return "" if value is None else str(value)


def agreed(
    gray: np.ndarray,
    candidates: Mapping[str, tuple[object, Box]],
    *,
    lang: str,
    neighbours: Iterable[str] = (),
) -> set[str]:
    """The fields whose value the second reading, with ``lang``, also holds.

    candidates maps a field path to its value and its box on the page;
    neighbours are the other values found on it (``holds``). A list agrees
    when every item is held: numbered lines ("1. …", "2. …") put digits
    between the items that the joined value does not have."""
    crops: list[tuple[str, np.ndarray, list[str]]] = []
    height, width = gray.shape
    for path, (value, box) in candidates.items():
        items = [value_text(v) for v in value] if isinstance(value, list) else [value_text(value)]
        x, y, w, h = box
        # A character's width to each side: where the first reading dropped
        # a value's first character (嚥 of 嚥下), the second must see it.
        # A number's box is its word's box cut evenly into characters, and
        # "TEL 0869-28-8234" puts the cut a digit or two late: its crop is
        # wider (a whole run of digits must still match, so a neighbour's
        # digits cannot make an agreement).
        number = path in DIGITS or path in RUNS
        side = max(MARGIN, min(h, 60) * (NUMBER_SIDE if number else 1))
        crop = gray[
            max(0, y - MARGIN) : min(height, y + h + MARGIN),
            max(0, x - side) : min(width, x + w + side),
        ]
        if items and all(comparable(i) for i in items) and crop.size:
            crops.append((path, crop, items))
    if not crops:
        return set()
    stack, tops = stack_images([crop for _, crop, _ in crops], gap=GAP, left=20)
    segments = segments_from_data(run_tesseract(stack, psm=6, lang=lang))
    others = [n for n in neighbours if comparable(n)]
    confirmed = set()
    for top, (path, crop, items) in zip(tops, crops, strict=True):
        read = " ".join(s.text for s in _within(segments, top, top + crop.shape[0]))
        if path in DIGITS:
            ok = all(holds_number(read, item) for item in items)
        elif path in RUNS:
            ok = all(holds_runs(read, item) for item in items)
        else:
            ok = all(holds(read, item, others) for item in items)
        if ok:
            confirmed.add(path)
    return confirmed


def _within(segments: list[Segment], top: int, bottom: int) -> list[Segment]:
    """The segments whose middle lies in rows [top, bottom), in reading order."""
    return [s for s in segments if top <= s.box[1] + s.box[3] / 2 < bottom]
