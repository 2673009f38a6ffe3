"""One photo in, one PageResult out: load, prepare, recognise, extract."""

from __future__ import annotations

import logging
import re
import statistics
import time
from itertools import combinations, product

import numpy as np
from django.conf import settings

from . import glyphs
from .calibrate import ILLEGIBLE_PAGE_CONF, LOW_PAGE_CONF, calibrated, never_green
from .cells import read_table
from .confirm import CONFIRMABLE, DIGITS, LEAST, RUNS, agreed, value_text
from .digits import read_spaced_digits
from .errors import OcrFailed
from .extract import RELATIONS, Found, extract
from .image import load_photo
from .marks import read_marks
from .normalise import (
    is_kana,
    parse_dementia_level,
    parse_insurance_number,
    phone_is_whole,
)
from .preprocess import prepare
from .reading import reading_like, reads_as
from .recognise import Char, Segment, inside, run_tesseract, segments_from_data
from .respell import (
    AHEAD_OF_READ,
    RESPELLED,
    glyph_of,
    meridiem_by_shape,
    respell,
    restore_dropped,
)
from .roman import count_bars, roman_level
from .types import FIELD_PATHS, Box, FieldValue, PageResult, Quality, empty_value

logger = logging.getLogger(__name__)

# Printed option lists to circle or tick: "男・女", "有・無", "明治・大正・昭和",
# or a row of empty boxes read as 口/ロ before options.
FILL_IN = re.compile(r"男\s*[・･]\s*女|有\s*[・･]\s*無|明治.{0,3}大正|[口ロ□]\s*要\s*[介支]")


SMALL_KANA = re.compile(r"[ァィゥェォッャュョヮぁぃぅぇぉっゃゅょゎ]")


def extract_page(data: bytes) -> PageResult:
    """Run the whole OCR pipeline on one photo. Raises OcrFailed."""
    t0 = time.perf_counter()
    rgb = load_photo(data)
    h, w = rgb.shape[:2]
    page = prepare(rgb)
    segments = read_table(page.gray, page.lines)
    layout = "table"
    # The model the page was read with; a second reading uses the other.
    read_with = settings.KAKEHASHI_OCR_CELL_LANG
    if segments is None:
        layout = "text"
        read_with = settings.KAKEHASHI_OCR_LANG
        segments = segments_from_data(run_tesseract(page.gray, psm=4), vertical=page.vertical)
    marks = read_marks(page, segments)
    if marks or any(FILL_IN.search(s.text) for s in segments):
        # A form meant to be filled in by hand: calibrated on its own,
        # handwriting is read far less reliably than print.
        layout = "form"
    respelled = respell(page.gray, segments)
    respelled += restore_dropped(page.gray, page.lines, segments)
    meridiems = meridiem_by_shape(page.gray, segments)
    respelled += meridiems
    found = extract(segments, marks=marks)
    _recount_dementia_numeral(page.gray, found)
    _read_boxed_insurance_number(page.gray, segments, found)
    _check_relation_glyph(page.gray, segments, found)
    respelled += _name_by_its_reading(page.gray, segments, found)
    respelled += _family_names_agree(page.gray, segments, found)
    page_conf = page_confidence(segments)
    judge_legibility(page.quality, page_conf)
    _confirm_by_second_reading(page.gray, found, read_with, layout, page_conf, page.quality)
    fields: dict[str, FieldValue] = {}
    raw: dict[str, float | None] = {}
    for path in FIELD_PATHS:
        f = found.get(path)
        raw[path] = None if f is None else f.score
        confidence = calibrated(
            path,
            raw[path],
            layout=layout,
            page_conf=page_conf,
            quality=page.quality,
            agreed=f is not None and f.agreed,
        )
        if f is None:
            fields[path] = FieldValue(empty_value(path), confidence)
        else:
            confidence = cap_value(path, f.value, confidence, layout=layout, page_conf=page_conf)
            confidence = cap_respelled(f.value, f.box, respelled, confidence)
            if path == "onset_time":
                # A 午前/午後 put right by shape decided the hour, though the
                # character is not in the ISO value: look in what was read.
                confidence = cap_respelled(f.text, f.box, meridiems, confidence)
            box = _clip(page.to_photo_box(f.box), w, h) if f.box else None
            fields[path] = FieldValue(f.value, confidence, box)
    text = "\n".join(s.text for s in segments)
    return PageResult(
        fields=fields,
        quality=page.quality,
        photo_size=(w, h),
        text=text,
        timing_ms=int((time.perf_counter() - t0) * 1000),
        layout=layout,
        raw_scores=raw,
        agreed=[p for p in FIELD_PATHS if p in found and found[p].agreed],
        page_conf=page_conf,
    )


def _confirm_by_second_reading(
    gray: np.ndarray,
    found: dict[str, Found],
    read_with: str,
    layout: str,
    page_conf: float,
    quality: Quality,
) -> None:
    """Mark as agreed the values the other model reads alike (confirm.py),
    among those the calibration does not yet show green."""
    second = (
        settings.KAKEHASHI_OCR_LANG
        if read_with == settings.KAKEHASHI_OCR_CELL_LANG
        else settings.KAKEHASHI_OCR_CELL_LANG
    )
    if second == read_with:
        return  # one model configured for both: no independent reading
    if never_green(quality):
        return  # a photo to retake: its fields are never shown green
    if page_conf < LOW_PAGE_CONF:
        # Handwriting or a harsh photo: on seeds 1000-1899 the second reading
        # agreed on 19 values over 226 such pages (against 852 over 674
        # others), and these pages are the slowest to read.
        return
    candidates: dict[str, tuple[object, Box]] = {}
    # In the record's order, so the stack (and Tesseract's reading of it) is
    # the same on every run; a set's order changes with the process.
    for path in (p for p in FIELD_PATHS if p in CONFIRMABLE or p in DIGITS or p in RUNS):
        f = found.get(path)
        if f is None or f.box is None or f.broken or f.disputed or (path in RUNS and not f.text):
            # A broken word: where both models read it alike, both misread
            # the same kanji (一都介助, 山本仲也: seeds 1000-1079, 7000-7059 and
            # dev had 3 such agreements, none right). A disputed value: both
            # read the digits of 大正13年 alike where the era circled was
            # taken for 昭和, or 106 for an age of 100 (seeds 1000-3199: 3 of
            # the 4 wrong agreed birth dates and 4 of the 5 wrong ages).
            continue
        shown = calibrated(path, f.score, layout=layout, page_conf=page_conf, quality=quality)
        if LEAST <= shown < 0.9:
            # A date is compared as printed (its digits), not as its ISO value.
            candidates[path] = (f.text if path in RUNS else f.value, f.box)
    if not candidates:
        return  # nothing amber to confirm: no second reading
    try:
        # Every value found, item by item: where one runs on into a
        # candidate in the second reading, its end marks the candidate's start.
        neighbours = [
            value_text(item)
            for f in found.values()
            for item in (f.value if isinstance(f.value, list) else [f.value])
        ]
        confirmed = agreed(gray, candidates, lang=second, neighbours=neighbours)
    except OcrFailed as e:
        # The page was read; only the check failed (the other model missing,
        # a timeout). Its values stand as read, unconfirmed: failing the job
        # would throw away a reading the staff can use. No patient data here.
        logger.warning("second reading skipped: %s (%s)", e.code, second)
        return
    for path in confirmed:
        found[path].agreed = True


PHONES = ("facility_phone", "key_person.phone")


def cap_value(
    path: str, value: object, confidence: float, *, layout: str, page_conf: float
) -> float:
    """The caps a value's own shape puts on its confidence, whatever the
    calibration says (small kana, implausible values, a lost tenth). One
    place, so bench/ocr_calibrate.py leaves out of its fit and checks
    exactly what the pipeline caps."""
    confidence = cap_small_kana(path, value, confidence)
    confidence = cap_implausible(path, value, confidence)
    return cap_lost_tenth(path, value, confidence, layout=layout, page_conf=page_conf)


def cap_implausible(path: str, value: object, confidence: float) -> float:
    """A value that cannot be what was printed is never shown as certain,
    whatever the calibration says: its tables are fitted on raw scores, in
    which a missing digit or an unknown word weighs no more than a faint
    character. On seeds 1000-1079, 7000-7059 and dev none of these was right:
    - a phone number with a digit too few or too many (5 of them; one,
      "0-2718-4109" for 090-2718-4109, was shown green);
    - a key person's relation that is no kinship term (23: 捧 for 孫, 姫 for
      姪, 長男の地; 姫 was shown green);
    - a vital sign at the edge of life (EXTREME, below);
    - an age under 40: long-term care insurance (介護保険), under which the
      homes and care levels on these sheets exist, covers no one younger.
      On seeds 1000-3199, 24 ages under 40 were read, all wrong (a digit
      lost: 4 for 94), and 10 of them had been shown green."""
    if path in PHONES and isinstance(value, str) and not phone_is_whole(value):
        return min(confidence, 0.85)
    if path == "key_person.relation" and value not in RELATIONS:
        return min(confidence, 0.85)
    if path == "age" and isinstance(value, int) and value < YOUNGEST_INSURED:
        return min(confidence, 0.85)
    if path in EXTREME and isinstance(value, int | float):
        low, high = EXTREME[path]
        if not low <= value <= high:
            return min(confidence, 0.85)
    return confidence


def cap_lost_tenth(
    path: str, value: object, confidence: float, *, layout: str, page_conf: float
) -> float:
    """A body temperature is written to a tenth of a degree, and in
    handwriting or on a page read poorly the tenth is small and often lost
    (36・4 read as 36). There a whole number is not shown as certain: on
    seeds 1000-3199, 18 of 72 such temperatures were wrong, against 10 of
    507 read there with their tenth. Printed on a page read well, a whole
    number is as it was written (1 wrong of 136)."""
    if path != "vitals.temperature_c" or not isinstance(value, int | float):
        return confidence
    if (layout == "form" or page_conf < LOW_PAGE_CONF) and float(value).is_integer():
        return min(confidence, 0.85)
    return confidence


YOUNGEST_INSURED = 40  # 介護保険: 65 and over, or 40-64 with an age-related disease

# Vital signs at the edge of life. Such a value is far more often a misread
# (SpO2 86 read as 56, a pulse of 77 as 177: seeds 1000-1079, 7000-7059, dev
# and the held-out 5000-5119 had 14 values outside these limits, none
# right) and, where it is real, one a person should confirm before acting
# on it, so it is never shown as certain. The limits are clinical ones,
# not fitted (the generator draws no value outside them).
EXTREME: dict[str, tuple[float, float]] = {
    "vitals.spo2": (70, 100),
    "vitals.heart_rate": (40, 150),
    "vitals.temperature_c": (34.0, 41.0),
    "vitals.bp_systolic": (70, 220),
    "vitals.bp_diastolic": (40, 130),
    "vitals.resp_rate": (8, 40),
}


def cap_small_kana(path: str, value: object, confidence: float) -> float:
    """ッ/ツ, ャ/ヤ …: OCR tells small from full-size kana by size alone and
    is sure of itself either way (ヒラマツ read as ヒラマッ at 0.98 on a dev
    photo). A person's name in kana can hold either anywhere, so a name
    with a small kana is never shown as certain. Elsewhere a small kana is
    doubted only where Japanese spelling does not put one (ョード for
    ヨード, 後ょり for 後より): a word, list item or value that starts with
    it, one after a kanji, ャ or ィ after a kana that takes none (キゥイ), ッ
    before no kana. A regular one (クリニック, ショートステイ) stands as read:
    on seeds 1000-3199, each of the 24 values wrong only by a small kana
    was a name or had one at such a place (see small_kana_irregular)."""
    text = value_text(value)
    if not SMALL_KANA.search(text):
        return confidence
    if path in KANA_NAMES or small_kana_irregular(value):
        return min(confidence, 0.85)
    return confidence


# Fields that hold a person's name: its kana follow no spelling.
KANA_NAMES = frozenset({"name", "name_kana", "key_person.name", "primary_physician"})

_YOON_BASE = set("キシチニヒミリギジヂビピテデフヴきしちにひみりぎじぢびぴてでふ")
# The kana a small vowel follows in loanwords (ファ, ティ, トゥ, シェ, ウォ …).
_SMALL_VOWEL_BASE = {
    "ァ": set("フツヴクグ"),
    "ィ": set("フテデウツヴスズクグ"),
    "ゥ": set("トドウ"),
    "ェ": set("フシジチテデウツヴイキ"),
    "ォ": set("フウツヴクグ"),
}
_VOWELS = set("アイウエオンーあいうえおん")


def small_kana_irregular(value: object) -> bool:
    """Whether some small kana of the value stands where Japanese spelling
    puts none, so that it is likelier a full-size one read small."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        text = value_text(item)
        for i, ch in enumerate(text):
            if not SMALL_KANA.fullmatch(ch):
                continue
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if not is_kana(before) or SMALL_KANA.fullmatch(before) or before in "ンんー":
                return True
            if ch in "ャュョゃゅょ" and before not in _YOON_BASE:
                return True
            if ch in "ァィゥェォぁぃぅぇぉ" and before not in _SMALL_VOWEL_BASE.get(ch, ()):
                return True
            if ch in "ッっ" and (
                not is_kana(after) or SMALL_KANA.fullmatch(after) or after in _VOWELS
            ):
                return True
            if ch in "ヮゎ":
                return True
    return False


def judge_legibility(quality: Quality, page_conf: float) -> None:
    """A page Tesseract could hardly read: ask the phone for a retake (and,
    being a quality problem, no field of it is shown as certain)."""
    if page_conf < ILLEGIBLE_PAGE_CONF and "illegible" not in quality.problems:
        quality.problems.append("illegible")
        quality.ok = False


def page_confidence(segments: list[Segment]) -> float:
    """Median OCR confidence of the page's words: handwriting and harsh photos
    read low, clean print high. The calibration is split on it."""
    confs = [c.conf for s in segments if len(s.text.strip()) >= 2 for c in s.chars if c.ch != " "]
    return round(statistics.median(confs), 3) if confs else 0.0


# Raw scores of a rank whose strokes were counted in the image, with OCR's
# numeral agreeing or not (calibrated like any other raw score).
STROKES_AGREE = 0.95
STROKES_COUNTED = 0.9


def _recount_dementia_numeral(gray: np.ndarray, found: dict[str, Found]) -> None:
    """Ⅰ/Ⅱ/Ⅲ read with a stroke too few: trust the strokes in the image."""
    f = found.get("dementia_level")
    if f is None or f.box is None or not re.fullmatch(r"[ⅠⅡⅢ][ab]?", str(f.value)):
        return
    text = f.text or str(f.value)
    bars = count_bars(gray, f.box, suffix=text.strip()[-1:] in ("a", "b"))
    level = roman_level(text, bars)
    if level is not None:
        # The strokes are measured, not recognised: on seeds 1000-1079 every
        # one of the 40 ranks they settled was right, including the 18 where
        # OCR had read another numeral ("b" for Ⅲb, "lla" for Ⅲa).
        score = STROKES_AGREE if level == f.value else STROKES_COUNTED
        found["dementia_level"] = Found(level, max(f.score, score), f.box, f.text)
    elif parse_dementia_level(f.text or "")[0] is None:
        # The text alone was no numeral and the strokes do not tell either:
        # a guess would only mislead.
        del found["dementia_level"]


INSURANCE_LABEL = re.compile(r"保険者?番号|被保険者|保険証")
# Raw score of a value two independent readings gave alike.
READINGS_AGREE = 0.95


def _read_boxed_insurance_number(
    gray: np.ndarray, segments: list[Segment], found: dict[str, Found]
) -> None:
    """An insurance number written one digit per box, right of its label.

    Where the digits stand a box apart, reading them set side by side beats
    the page's reading of them (seeds 1000-1079, hand-filled forms: 12 of
    its 13 readings right; right numbers went from 1 to 13 of 21); where the
    two agree, each confirms the other. Digits at a normal spacing are left
    to the page's reading.
    """
    for seg in segments:
        if not INSURANCE_LABEL.search(seg.text):
            continue
        x, y, w, h = seg.box
        # The boxes are taller than the label's text and start after it.
        band = (x + w + h // 2, y - h, gray.shape[1] - (x + w + h // 2), 3 * h)
        read = read_spaced_digits(gray, band)
        if read is None:
            continue
        digits, conf, box = read
        number, p = parse_insurance_number(digits)
        if number is None:
            continue
        before = found.get("insurance_number")
        if before is not None and before.value == number:
            before.score = max(before.score, READINGS_AGREE)
        else:
            found["insurance_number"] = Found(number, min(p, conf), box)
        return


# A key person's relation printed as one kanji, the candidates its shape is
# compared with.
RELATION_GLYPHS = tuple(r for r in RELATIONS if len(r) == 1)
# How close the shape must be (cosine of the normalised glyphs), and how much
# closer than the next candidate. On seeds 1000-1079 the printed relations
# scored 0.65-0.87, the next candidate at least 0.12 behind; the best wrong
# matches (handwriting-like fonts, drawn unlike any template) reached 0.56.
GLYPH_SIMILAR = 0.6
GLYPH_AHEAD = 0.1
# Raw score of a relation told by its shape alone (calibrated like any other).
GLYPH_MATCHED = 0.9


def _check_relation_glyph(
    gray: np.ndarray, segments: list[Segment], found: dict[str, Found]
) -> None:
    """甥 read as 張, 姪 as 妊 or 姫, or either dropped before the name: the
    fast models barely know these kanji. The character where the relation
    is printed (in brackets after the name, or before it) is compared by
    shape with the one-kanji relations and with what OCR read there."""
    name = found.get("key_person.name")
    relation = found.get("key_person.relation")
    if name is None or name.box is None or not glyphs.available():
        return
    if relation is not None and len(str(relation.value)) > 1 and relation.value in RELATIONS:
        return  # 長女, 長男の妻: read as a relation of several characters
    at = _find_in_segments(segments, str(name.value), name.box)
    if at is None:
        return
    seg, start, end = at
    box, read = _relation_spot(gray, seg, start, end)
    glued = False
    if box is None and start == 0 and end - start >= 3 and seg.text[0] not in RELATION_GLYPHS:
        # 甥 林 浩二 read as "坦林浩二": the relation misread and glued to the
        # name's front. Its first character is tried (a name that begins
        # with a relation's kanji, 妹尾, was read as that kanji: not here).
        box, read, glued = glyphs.refine(gray, seg.chars[0].box), seg.text[0], True
    if box is None:
        return
    glyph = glyphs.photo_glyph(gray, box)
    if glyph is None:
        return
    # What OCR read there competes too: a clear 様 or ン stays what it is.
    extra = (read,) if read and read not in RELATION_GLYPHS else ()
    match = glyphs.best_of(glyph, RELATION_GLYPHS + extra)
    if (
        match is None
        or match.ch not in RELATION_GLYPHS
        or match.score < GLYPH_SIMILAR
        or match.margin < GLYPH_AHEAD
    ):
        return
    if relation is not None and relation.value == match.ch:
        return
    found["key_person.relation"] = Found(match.ch, GLYPH_MATCHED, box)
    if glued:
        rest = seg.text[1:end].strip()
        found["key_person.name"] = Found(rest, min(name.score, GLYPH_MATCHED), name.box)


# A name's kanji put right by the furigana: the character's shape must match
# at least this well, and clearly better than what OCR read (respell's bars).
NAME_SHAPE_SIMILAR = 0.6
NAME_SHAPES = 12  # nearest shapes considered per character
NAME_SHAPE_AHEAD = 0.05  # over the next name the kana allows
KANJI = re.compile(r"[\u4e00-\u9fff]")


def _name_by_its_reading(
    gray: np.ndarray, segments: list[Segment], found: dict[str, Found]
) -> list[Char]:
    """A name in kanji that cannot be read as its furigana (山田和大 beside
    ヤマダ カズオ): one character, or two, replaced by the nearest shapes in
    the photo that make the name read as the kana (和夫). Two independent
    witnesses, the ink and the kana, must agree, and only one name may fit.
    Returns the characters put in (the value is then never green: a
    machine's correction is for a person to confirm)."""
    name, kana = found.get("name"), found.get("name_kana")
    if name is None or kana is None or name.box is None:
        return []
    value, furigana = str(name.value), str(kana.value)
    if reads_as(value, furigana) or reading_like(value, furigana) is not None:
        return []
    at = _find_in_segments(segments, value, name.box)
    if at is None:
        return []
    seg, start, end = at
    places = [i for i in range(start, end) if seg.chars[i].ch.strip()]
    options: list[list[tuple[str, float]]] = []  # per place: (character, gain over OCR's)
    for i in places:
        char = seg.chars[i]
        glyph = glyph_of(gray, char)
        choices = []
        if glyph is not None:
            own = glyphs.similarity(glyph, char.ch)
            for ch, sim in glyphs.nearest(glyph, NAME_SHAPES).items():
                if ch != char.ch and sim >= NAME_SHAPE_SIMILAR and sim - own >= AHEAD_OF_READ:
                    choices.append((ch, sim - own))
        options.append(choices)
    text = [seg.chars[i].ch for i in places]
    fits: dict[str, float] = {}
    for k, choices in enumerate(options):
        for ch, gain in choices:
            trial = [*text[:k], ch, *text[k + 1 :]]
            if reads_as("".join(trial), furigana):
                fits["".join(trial)] = gain
    if not fits:
        for k, m in combinations(range(len(options)), 2):
            for (ch, gain), (ch2, gain2) in product(options[k][:6], options[m][:6]):
                trial = list(text)
                trial[k], trial[m] = ch, ch2
                if reads_as("".join(trial), furigana):
                    fits["".join(trial)] = gain + gain2
    ranked = sorted(fits.items(), key=lambda kv: -kv[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] - ranked[1][1] < NAME_SHAPE_AHEAD):
        # None, or several names the kana allows (和夫 and 和央 both read
        # カズオ) with shapes too alike to choose by.
        return []
    new = ranked[0][0]
    put_in = []
    out = []
    j = 0
    for ch in value:
        if ch.strip():
            if ch != new[j]:
                box = seg.chars[places[j]].box
                put_in.append(Char(new[j], box, RESPELLED))
            out.append(new[j])
            j += 1
        else:
            out.append(ch)
    found["name"] = Found("".join(out), name.score, name.box, name.text)
    return put_in


def _family_names_agree(
    gray: np.ndarray, segments: list[Segment], found: dict[str, Found]
) -> list[Char]:
    """The patient and the key person mostly share a family name, read
    twice on the page. Where the two readings' first two kanji differ in
    one character only (植田 / 徒田, 横山 / 機山), the ink of that character
    in each name decides: the name whose ink matches the other's character
    clearly better than its own reading (respell's bars) takes it. Two
    different family names (藤井 / 石井) are each like their own ink and
    stay. Returns the characters put in (never green)."""
    patient, key = found.get("name"), found.get("key_person.name")
    if patient is None or key is None or patient.box is None or key.box is None:
        return []
    a, b = str(patient.value).replace(" ", ""), str(key.value).replace(" ", "")
    if len(a) < 3 or len(b) < 3 or a == b:
        return []
    head = [j for j in range(2) if a[j] != b[j]]
    if len(head) != 1 or not all(KANJI.match(c) for c in a[:2] + b[:2]):
        return []
    j = head[0]
    put_in: list[Char] = []
    for path, own, other in (("name", patient, b), ("key_person.name", key, a)):
        at = _find_in_segments(segments, str(own.value), own.box) if own.box else None
        if at is None:
            continue
        seg, start, _ = at
        places = [i for i in range(start, len(seg.chars)) if seg.chars[i].ch.strip()]
        char = seg.chars[places[j]]
        glyph = glyph_of(gray, char)
        if glyph is None:
            continue
        mine, theirs = glyphs.similarities(glyph, [char.ch, other[j]]).tolist()
        if theirs >= NAME_SHAPE_SIMILAR and theirs - mine >= AHEAD_OF_READ:
            put_in.append(Char(other[j], char.box, RESPELLED))
            value = str(own.value)
            k = [i for i, c in enumerate(value) if c.strip()][j]
            found[path] = Found(value[:k] + other[j] + value[k + 1 :], own.score, own.box, own.text)
    if len(put_in) > 1:
        # Each name's ink looks like the other's character: no telling which.
        found["name"], found["key_person.name"] = patient, key
        return []
    return put_in


def _relation_spot(gray: np.ndarray, seg: Segment, start: int, end: int) -> tuple[Box | None, str]:
    """The box of the character where a relation is printed around the name
    seg.text[start:end], and what OCR read there ("" when it read nothing)."""
    bracketed = re.match(r"\s*[(（]([^)）]{0,6})[)）]", seg.text[end:])
    if bracketed:  # 大森 久美子(姪); 長女 in brackets is read well enough
        read = bracketed[1].strip()
        if len(read) != 1:
            return None, ""
        i = end + bracketed.start(1) + bracketed[1].index(read)
        return glyphs.refine(gray, seg.chars[i].box), seg.chars[i].ch
    before = seg.text[:start].rstrip()
    if before:  # 姪 高橋 直美, or 張高橋直美 with the relation misread
        i = len(before) - 1
        return glyphs.refine(gray, seg.chars[i].box), seg.chars[i].ch
    # 高橋 直美 at the start of its line: OCR may have dropped the relation.
    first = [c.box for c in seg.chars[start : start + 4] if c.ch.strip()]
    return glyphs.glyph_left_of(gray, first), ""


def _find_in_segments(
    segments: list[Segment], value: str, within: Box
) -> tuple[Segment, int, int] | None:
    """The segment inside box `within` that holds value (spaces aside), and
    where in its text the value starts and ends."""
    wanted = value.replace(" ", "")
    if not wanted:
        return None
    x, y, w, h = within
    for seg in segments:
        sx, sy, sw, sh = seg.box
        if sx + sw < x or sx > x + w or sy + sh < y or sy > y + h:
            continue
        index = [i for i, c in enumerate(seg.chars) if c.ch != " "]
        compact = "".join(seg.chars[i].ch for i in index)
        at = compact.find(wanted)
        if at >= 0:
            return seg, index[at], index[at + len(wanted) - 1] + 1
    return None


def cap_respelled(
    value: object, box: Box | None, respelled: list[Char], confidence: float
) -> float:
    """A value holding a kanji the dictionary and its shape put right
    (respell.py) is likely right, but it is the machine's own correction:
    never shown as certain. Found by the character, in the value's text and
    inside its box (a vitals block holding a respelled label is not)."""
    if box and any(c.ch in str(value) and inside(c.box, box) for c in respelled):
        return min(confidence, 0.85)
    return confidence


def _clip(box: Box, width: int, height: int) -> Box | None:
    """The box within the photo (a mapped corner can fall just outside)."""
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(width, box[0] + box[2]), min(height, box[1] + box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)
