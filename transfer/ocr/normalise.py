"""Field-value normalisation: noisy Tesseract text in, canonical record values out.

Every ``parse_*`` function takes the raw OCR text of one field value (labels and
units may still be around it) and returns ``Parsed[T]``, i.e. ``(value, plausibility)``:

- ``value`` is the canonical value of the record schema, or ``None`` when nothing
  usable was found or the reading is impossible (month 13, 昭和70年, BP 300/20...).
- ``plausibility`` is in ``0..1``. ``1.0`` means the text matched a strict,
  unambiguous pattern and passed the range checks; each repair (OCR confusions such
  as ``l`` for ``1``, a missing decimal point, a guessed phone grouping, a Roman
  numeral read as ``皿``) lowers it. ``(None, 0.0)`` is returned for "nothing".

The rules are general (Japanese form conventions, OCR confusion classes, physiological
ranges). There are deliberately no lists of drugs, diagnoses, people or places: the
sheets come from anywhere and a list would silently fail on the first unknown name.

Public API::

    nfkc(s) -> str
    fix_digits(s) -> str
    parse_date(s, *, today=None) -> Parsed[str]               # "YYYY-MM-DD"
    parse_time(s) -> Parsed[tuple[int, int]]                   # (hour, minute)
    parse_datetime(s, *, default_date=None) -> Parsed[str]     # "YYYY-MM-DDTHH:MM"
    parse_postal(s) -> Parsed[str]                             # "NNN-NNNN"
    parse_phone(s) -> Parsed[str]                              # "086-454-2416"
    parse_insurance_number(s) -> Parsed[str]                   # digits only
    parse_temperature(s) -> Parsed[float]                      # one decimal
    parse_bp(s) -> Parsed[tuple[int, int]]                     # (systolic, diastolic)
    parse_pulse(s) / parse_resp_rate(s) / parse_spo2(s) -> Parsed[int]
    parse_jcs(s) -> Parsed[int]                                # 0,1,2,3,10,...,300
    parse_gcs(s) -> Parsed[str]                                # "E4V5M6"
    parse_age(s) -> Parsed[int]
    age_at(birth_iso, on_iso) -> int
    age_consistent(age, birth_iso, on_iso) -> bool
    to_katakana(s) -> str
    parse_sex_text(s) -> Parsed[str]                           # "male" / "female"
    parse_care_level(s) -> Parsed[str]                         # "要介護3", "要支援1"
    parse_dementia_level(s) -> Parsed[str]                     # "自立","Ⅰ","Ⅱa",...,"M"
    split_list(s) -> list[str]
    strip_honorific(s) -> str
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")

#: ``(value or None, plausibility 0..1)``; see the module docstring.
Parsed = tuple[T | None, float]

NOTHING = (None, 0.0)

# One OCR repair costs this much plausibility; several repairs multiply.
_REPAIR = 0.85

# ---------------------------------------------------------------------------
# Text clean-up
# ---------------------------------------------------------------------------

# Characters that are dashes wherever they appear (never letters), so they can be
# unified everywhere. NFKC already maps － and ﹣ to "-", but not these.
_PURE_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212"
_PURE_DASH_TABLE = str.maketrans(dict.fromkeys(_PURE_DASHES, "-"))
# ー (katakana long vowel) and 一 (kanji "one") are letters in Japanese text but are
# exactly what Tesseract's jpn model outputs for a hyphen between digits, so they only
# become "-" in a digit context. Spaces around a dash (or a range ~) between digits
# are Tesseract's, so they are dropped too; the range mark itself is kept.
_DIGIT_DASH = re.compile(r"(?<=\d)[ \t]*[ー一\-~〜][ \t]*(?=\d)")
_HSPACE = re.compile(r"[ \t\f\v\u00a0\u3000]+")
# CJK: ideographs, kana, CJK symbols (、。〒々), full-width forms.
_CJK_CLASS = (
    "\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
# Japanese does not separate words with spaces, so a space next to a CJK character is
# Tesseract's per-glyph spacing ("平 松 静 子"), never meaningful.
_CJK_SPACE = re.compile(rf"(?<=[{_CJK_CLASS}]) +| +(?=[{_CJK_CLASS}])")


def nfkc(s: str) -> str:
    """NFKC, dash look-alikes unified, OCR spacing between Japanese characters removed.

    Full-width digits and Latin letters become ASCII, ℃ becomes °C, Ⅲ becomes III.
    Runs of horizontal whitespace collapse to one space (kept only between Latin or
    digit tokens, e.g. ``TEL 086``); newlines are kept because lists are split on them.
    """
    s = unicodedata.normalize("NFKC", s).translate(_PURE_DASH_TABLE)
    s = _HSPACE.sub(" ", s)
    s = _DIGIT_DASH.sub(lambda m: m.group().strip().replace("ー", "-").replace("一", "-"), s)
    s = _CJK_SPACE.sub("", s)
    lines = [line.strip() for line in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


# Full-width ASCII (！ to ～) to ASCII, without touching anything else in the string.
_FULLWIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_CONFUSABLE_TO_DIGIT = {
    "O": "0",
    "o": "0",
    "〇": "0",
    "○": "0",
    "◯": "0",
    "l": "1",
    "I": "1",
    "|": "1",
    "!": "1",
    "Z": "2",
    "z": "2",
    "B": "8",
    "q": "9",  # a handwritten 9
}
_CONFUSABLES = "".join(_CONFUSABLE_TO_DIGIT) + "Ss"
_DIGIT_RUN = re.compile(rf"[0-9{re.escape(_CONFUSABLES)}]+")
_NUMERIC_SEPS = "-./:,"


def _numeric_context(s: str, start: int, end: int, run: str) -> bool:
    # A run glued to a Latin letter is part of a word or a label ("SpO2", "BP",
    # "mmHg"): converting it would invent digits.
    if start > 0 and s[start - 1].isascii() and s[start - 1].isalpha():
        return False
    if end < len(s) and s[end].isascii() and s[end].isalpha():
        return False
    if any(c.isdigit() for c in run):
        return True
    # A lone confusable is numeric when a separator links it to a digit ("l/86").
    before = start >= 2 and s[start - 1] in _NUMERIC_SEPS and s[start - 2].isdigit()
    after = end + 1 < len(s) and s[end] in _NUMERIC_SEPS and s[end + 1].isdigit()
    return before or after


def fix_digits(s: str) -> str:
    """Map OCR look-alikes to digits where the text is numeric.

    O/o/〇/○ → 0, l/I/|/! → 1, Z → 2, B → 8, q → 9 and S → 5 (S only between two digits, because
    S is also the Showa era letter in ``S13.4.12``); full-width digits become ASCII.
    A run of characters is converted only if it contains a real digit or is linked to
    one by a separator, and it is not glued to another Latin letter.
    """
    s = s.translate(_FULLWIDTH_TABLE)
    out: list[str] = []
    pos = 0
    for m in _DIGIT_RUN.finditer(s):
        run = m.group()
        if not _numeric_context(s, m.start(), m.end(), run):
            continue
        chars = [_CONFUSABLE_TO_DIGIT.get(c, c) for c in run]
        for i, c in enumerate(chars):
            if (
                c in "Ss"
                and 0 < i < len(chars) - 1
                and chars[i - 1].isdigit()
                and chars[i + 1].isdigit()
            ):
                chars[i] = "5"
        out.append(s[pos : m.start()])
        out.append("".join(chars))
        pos = m.end()
    out.append(s[pos:])
    return "".join(out)


def _prep_numeric(s: str) -> tuple[str, bool]:
    """NFKC + digit repair; the flag says whether a confusion had to be repaired."""
    text = nfkc(s)
    fixed = fix_digits(text)
    return fixed, fixed != text


# ---------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------

# Era letter -> (first day, last day, last era year). Meiji is counted from
# 1868-01-01 as the era was made retroactive to the start of the year; days before
# the 1873 calendar reform do not matter for living patients.
_ERAS: dict[str, tuple[date, date | None, int | None]] = {
    "M": (date(1868, 1, 1), date(1912, 7, 29), 45),
    "T": (date(1912, 7, 30), date(1926, 12, 24), 15),
    "S": (date(1926, 12, 25), date(1989, 1, 7), 64),
    "H": (date(1989, 1, 8), date(2019, 4, 30), 31),
    "R": (date(2019, 5, 1), None, None),
}
_ERA_KANJI = {
    "明治": "M",
    "大正": "T",
    "昭和": "S",
    "平成": "H",
    "令和": "R",
    "明": "M",
    "大": "T",
    "昭": "S",
    "平": "H",
    "令": "R",
}
_EARLIEST_YEAR = 1868
_LATEST_YEAR = 2100

_Y = r"(\d{1,2}|元)"
_MD = r"\s*(\d{1,2})\s*(月|[./\-])\s*(\d{1,2})(?!\d)\s*(日)?"
# 昭和13年4月12日, 昭和13.4.12, 昭和13年(1938年)4月12日, 昭和13(1938)年4月12日
_RE_ERA_KANJI = re.compile(
    r"(明治|大正|昭和|平成|令和|明|大|昭|平|令)\s*" + _Y + r"\s*(年)?\s*"
    r"(?:\(\s*(\d{4})\s*年?\s*\)\s*)?(年|[./\-])?" + _MD
)
# 1938年(昭和13年)4月12日
_RE_WESTERN_ERA = re.compile(
    r"(?<!\d)(\d{4})\s*年?\s*\(\s*(明治|大正|昭和|平成|令和)\s*" + _Y + r"\s*年?\s*\)\s*"
    r"(年|[./\-])?" + _MD
)
# S13.4.12, H1/1/8, R6年2月12日
_RE_ERA_LETTER = re.compile(r"(?<![A-Za-z])([MTSHRmtshr])\.?\s*" + _Y + r"\s*(年|[./\-])" + _MD)
# 1938/04/12, 1938-4-12, 1938.4.12, 1938年4月12日
_RE_WESTERN = re.compile(r"(?<!\d)(\d{4})\s*(年|[./\-])" + _MD)
# 19380412: no separators at all, so the split is a guess.
_RE_COMPACT = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(\d\d)(\d\d)(?!\d)")
# 2月12日 (no year): only used by parse_datetime with a default date.
_RE_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# An era letter glued to a confusable ("Hl.1.8") would stop fix_digits from seeing the
# confusable as numeric, so the letter is detached first.
_ERA_LETTER_GLUE = re.compile(r"(?<![A-Za-z])([MTSHR])(?=[0-9OoIl|]{1,2}\s*[./\-年])")


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _sep_score(sep_ym: str | None, sep_md: str, day_mark: str | None) -> float:
    """1.0 for a consistent style (年月日 or one separator), less for a mix."""
    if sep_ym in (None, "年") and sep_md == "月":
        return 1.0 if day_mark else 0.95
    if sep_ym == sep_md and day_mark is None:
        return 1.0
    return 0.9


def _era_to_date(
    era: str, era_year: int, month: int, day: int, latest: int
) -> tuple[date | None, float]:
    start, end, max_year = _ERAS[era]
    if era_year < 1:
        return NOTHING
    if max_year is not None and era_year > max_year:
        return NOTHING
    year = start.year + era_year - 1
    if year > latest:
        return NOTHING
    d = _safe_date(year, month, day)
    if d is None:
        return NOTHING
    # A real calendar date but outside the era's exact days (平成1年1月7日 was still
    # Showa; some people kept writing 平成31年 in May 2019): keep it, doubt it.
    if d < start or (end is not None and d > end):
        return d, 0.6
    return d, 1.0


def _era_year(text: str) -> int:
    return 1 if text == "元" else int(text)


_DateHit = tuple[date | None, float, int, int]


def _date_candidates(text: str, latest: int) -> list[tuple[int, int, _DateHit]]:
    """All date readings in ``text`` as (start, priority, hit)."""
    hits: list[tuple[int, int, _DateHit]] = []

    for m in _RE_ERA_KANJI.finditer(text):
        era = _ERA_KANJI[m.group(1)]
        nen, western, sep, month, sep_md, day, day_mark = m.group(3, 4, 5, 6, 7, 8, 9)
        if nen is None and western is None and sep is None:
            continue  # "昭和134月": no boundary between year and month
        d, p = _era_to_date(era, _era_year(m.group(2)), int(month), int(day), latest)
        p *= _sep_score(sep or nen, sep_md, day_mark)
        if len(m.group(1)) == 1:
            p *= 0.9  # 昭13.4.12: single-kanji abbreviation, rarer on forms
        if western is not None:
            d, p = _cross_check(d, p, era, int(western), int(month), int(day))
        hits.append((m.start(), 0, (d, p, m.start(), m.end())))

    for m in _RE_WESTERN_ERA.finditer(text):
        western, era_name, era_y, sep, month, sep_md, day, day_mark = m.groups()
        era = _ERA_KANJI[era_name]
        d, p = _era_to_date(era, _era_year(era_y), int(month), int(day), latest)
        p *= _sep_score(sep, sep_md, day_mark)
        d, p = _cross_check(d, p, era, int(western), int(month), int(day))
        hits.append((m.start(), 0, (d, p, m.start(), m.end())))

    for m in _RE_ERA_LETTER.finditer(text):
        letter, era_y, sep, month, sep_md, day, day_mark = m.groups()
        d, p = _era_to_date(letter.upper(), _era_year(era_y), int(month), int(day), latest)
        p *= _sep_score(sep, sep_md, day_mark)
        if letter.islower():
            p *= _REPAIR
        hits.append((m.start(), 1, (d, p, m.start(), m.end())))

    for m in _RE_WESTERN.finditer(text):
        year_s, sep, month, sep_md, day, day_mark = m.groups()
        year = int(year_s)
        d = _safe_date(year, int(month), int(day))
        if d is not None and not _EARLIEST_YEAR <= year <= latest:
            d = None
        p = _sep_score(sep, sep_md, day_mark) if d is not None else 0.0
        hits.append((m.start(), 2, (d, p, m.start(), m.end())))

    for m in _RE_COMPACT.finditer(text):
        year = int(m.group(1))
        d = _safe_date(year, int(m.group(2)), int(m.group(3)))
        if d is not None and not _EARLIEST_YEAR <= year <= latest:
            d = None
        hits.append((m.start(), 3, (d, 0.8 if d else 0.0, m.start(), m.end())))

    hits.sort(key=lambda h: (h[0], h[1]))
    return hits


def _cross_check(
    d: date | None, p: float, era: str, western: int, month: int, day: int
) -> tuple[date | None, float]:
    """Reconcile 昭和13年(1938年): the era reading and the western year in brackets.

    Agreement is strong evidence. On disagreement the reading that fits the era wins:
    a western year outside the era's span is the misread one, and an impossible era
    year (昭和70年) yields to a western year that lies inside the era. When both are
    possible we keep the era reading, because it is the value the form asks for
    (the bracketed year is a convenience copy), but with low plausibility.
    """
    wd = _safe_date(western, month, day)
    if d is not None and wd == d:
        return d, p
    start, end, _ = _ERAS[era]
    western_in_era = wd is not None and start <= wd and (end is None or wd <= end)
    if d is None:
        return (wd, 0.5) if western_in_era else NOTHING
    if not western_in_era:
        return d, min(p, 0.6)
    return d, min(p, 0.4)


def _find_date(text: str, today: date | None) -> _DateHit | None:
    """The first valid date reading of already prepared text, else the first invalid one."""
    latest = today.year if today is not None else _LATEST_YEAR
    hits = _date_candidates(text, latest)
    first_invalid: _DateHit | None = None
    for _, _, hit in hits:
        d = hit[0]
        if d is not None and today is not None and d > today:
            d = None  # a birth date (or a record date) cannot lie in the future
            hit = (None, 0.0, hit[2], hit[3])
        if d is not None:
            return hit
        if first_invalid is None:
            first_invalid = hit
    return first_invalid


# A western date glued to the time or the age after it: "2024/10/154時10分",
# "1936/08/0688歳". The day has two digits, so the split is the only reading.
_DATE_GLUED = re.compile(r"((?:18|19|20)\d{2}/\d{1,2}/\d{2})(?=\d{1,3}\s*(?:時|:|歳))")


def unglue_date(text: str) -> str:
    """A space between a western date and the time or age glued to it."""
    return _DATE_GLUED.sub(r"\1 ", text)


def _prep_date(s: str) -> tuple[str, bool]:
    text = nfkc(s)
    text = _ERA_LETTER_GLUE.sub(r"\1 ", text)
    # A speck read as a letter between a whole year and its 年 ("1939q年"),
    # before it could be taken for a digit.
    text, specks = re.subn(r"(?<=(?<!\d)\d{4})\s*[A-Za-z]\s*(?=年)", "", text)
    fixed = unglue_date(fix_digits(text))
    # 令 and 今 differ by one stroke; 今和 is no era.
    fixed = re.sub(r"今(?=\s*和\s*(?:\d|元))", "令", fixed)
    # Digits spaced out before 年/月/日 ("4月2 2 日") are one number.
    fixed = re.sub(r"(?<=\d) (?=\d\s*[年月日])", "", fixed)
    repaired = fixed != text or specks > 0
    # Tesseract spaces out "1938 / 04 / 12"; spaces around separators mean nothing.
    return re.sub(r"\s*([./\-])\s*(?=\d)", r"\1", fixed), repaired


# Last-resort repairs of separators and eras OCR garbled, tried one by one
# on a date that has no other reading:
_DATE_REPAIRS: tuple[tuple[re.Pattern[str], str], ...] = (
    # the slashes of a western date read as 7 or 1: "2024704/20", "2024710727"
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[71/](\d{2})[71/](\d{2})(?!\d)"), r"\1/\2/\3"),
    # a slash lost: "202412/24", "2024/1224" (the month and day have two digits)
    (re.compile(r"(?<![\d/])((?:19|20)\d{2})(\d{2})/(\d{1,2})(?![\d/])"), r"\1/\2/\3"),
    (re.compile(r"(?<![\d/])((?:19|20)\d{2})/(\d{2})(\d{2})(?![\d/])"), r"\1/\2/\3"),
    # only the first one: "19487/06/30"
    (re.compile(r"(?<!\d)((?:19|20)\d{2})[71]([/.]\d{1,2}[/.]\d{1,2})(?!\d)"), r"\1\2"),
    # a dot read as a colon or comma: "S25.11:22"
    (re.compile(r"(?<=\d)[:;,](?=\d)"), "."),
    # 年 read as another character ("令和6征6月27日", "2025生2月26日"): the
    # month and day after it still make the date's shape
    (re.compile(r"(?<=\d)\s*[^\d\s年月日/.\-:()]\s*(?=\d{1,2}\s*月\s*\d{1,2})"), "年"),
    # the era misread, its western year in brackets intact: "隔和3年(1928年)8月27日"
    (
        re.compile(r"\(\s*((?:18|19|20)\d{2})\s*年?\s*\)\s*(\d{1,2})\s*月\s*(\d{1,2})"),
        r" \1年\2月\3",
    ),
)


def _find_repaired_date(text: str, today: date | None) -> tuple[_DateHit, str] | None:
    """The first repair that gives a valid date: its hit and the repaired text
    (the hit's offsets are into that text)."""
    for pattern, replacement in _DATE_REPAIRS:
        repaired = pattern.sub(replacement, text)
        if repaired != text:
            hit = _find_date(repaired, today)
            if hit is not None and hit[0] is not None:
                return hit, repaired
    return None


def parse_date(s: str, *, today: date | None = None) -> Parsed[str]:
    """A date (Japanese era or western) as ISO ``YYYY-MM-DD``.

    Accepts era names (昭和13年4月12日, 平成元年1月8日), era letters (S13.4.12, H1/1/8),
    single-kanji eras (昭13.4.12), western dates (1938/04/12, 1938-4-12, 1938.4.12,
    1938年4月12日, 19380412) and the bracketed double form 昭和13年(1938年)4月12日
    (see ``_cross_check`` for disagreements). Impossible dates (Feb 30, 昭和70年,
    years before 1868) give ``(None, 0.0)``. With ``today``, later dates are rejected
    (birth dates, record dates); a date within the era year range but outside its
    exact days (平成1年1月7日) is kept with plausibility 0.6.
    """
    text, repaired = _prep_date(s)
    hit = _find_date(text, today)
    factor = _REPAIR if repaired else 1.0
    if hit is None or hit[0] is None:
        # Tesseract also spaces out digits ("昭和 1 3 年"). Joining digits is only safe
        # once the text has no other reading, hence a second pass.
        joined = re.sub(r"(?<=\d) +(?=\d)", "", text)
        hit = _find_date(joined, today) if joined != text else None
        factor *= 0.9
        if hit is None or hit[0] is None:
            found = _find_repaired_date(joined, today)
            if found is None:
                return NOTHING
            hit = found[0]
            factor *= _REPAIR
    day = hit[0]
    if day is None:
        return NOTHING
    return day.isoformat(), round(hit[1] * factor, 3)


_RE_TIME = re.compile(
    r"(午前|午後|AM|PM|A\.M\.|P\.M\.)?\s*(?<![\d.])(\d{1,2})\s*"
    r"(?:(時)\s*(?:(\d{1,2})(?!\d)\s*分?|(半))?|([:;.])\s*(\d{2})(?!\d))"
    r"(?:\s*(AM|PM|A\.M\.|P\.M\.))?",
    re.IGNORECASE,
)


_SPACED_MINUTE = re.compile(r"(?<=時)\s*(\d)\s+(\d)(?=\s*分)")
_SPACED_HOUR = re.compile(r"(?<![\d.:/])(\d)\s+(\d)(?=\s*時)")


# 午 and one character other than 前/後 (the second kanji of 午前/午後
# misread), as it stands just before the hour; respell.py puts it right.
MISREAD_MERIDIEM = r"午([^前後\s\d])"
_MISREAD_MERIDIEM = re.compile(MISREAD_MERIDIEM + r"\s*$")
_UNSURE_MERIDIEM = 0.3


def parse_time(s: str) -> Parsed[tuple[int, int]]:
    """A clock time as ``(hour, minute)`` on the 24-hour clock.

    14:30, 14時30分(頃), 14時半, 17時, 午後2時30分, 2:30 PM. 頃 ("about") is part of
    how times are written on these forms and does not lower plausibility. A colon
    read as ``;`` or ``.`` is accepted with lower plausibility.

    12 with 午前/午後 is ambiguous in Japan (the 1872 rule makes 午前12時 noon and
    午後12時 midnight, everyday usage often follows the English AM/PM). We follow the
    English convention like AM/PM input (午前12時 → 0, 午後12時 → 12) at plausibility
    0.5 so that a person confirms it. 午後13時 is redundant but consistent (→ 13);
    午前13時 is contradictory (→ None).
    """
    text, repaired = _prep_numeric(s)
    # Full-width digits printed apart and read with a space between them
    # ("23 時4 0 分頃"): the minute is 40, not 4 followed by a stray 0.
    text = _SPACED_MINUTE.sub(r"\1\2", text)
    text = _SPACED_HOUR.sub(r"\1\2", text)
    m = _RE_TIME.search(text)
    if m is None:
        return NOTHING
    prefix, hour_s, ji, minute_s, half, colon, colon_min, suffix = m.groups()
    hour = int(hour_s)
    if ji:
        minute = 30 if half else int(minute_s) if minute_s else 0
        p = 1.0
    else:
        minute = int(colon_min)
        p = 1.0 if colon == ":" else 0.85 if colon == ";" else 0.7
    if minute > 59:
        return NOTHING
    meridiem = (prefix or suffix or "").upper().replace(".", "")
    if not meridiem and _MISREAD_MERIDIEM.search(text[: m.start(2)]):
        # 午入5時: 午前 or 午後 with its second kanji misread. The hour is
        # read, but whether it is 5:00 or 17:00 is not.
        p = min(p, _UNSURE_MERIDIEM)
    if meridiem in ("午前", "AM"):
        if hour == 12:
            hour, p = 0, min(p, 0.5)
        elif hour > 12:
            return NOTHING
    elif meridiem in ("午後", "PM"):
        if hour == 12:
            p = min(p, 0.5)
        elif hour > 23:
            return NOTHING
        elif hour > 12:
            p = min(p, 0.8)
        else:
            hour += 12
    if hour > 23:
        return NOTHING
    if repaired:
        p *= _REPAIR
    return (hour, minute), round(p, 3)


def parse_datetime(s: str, *, default_date: str | None = None) -> Parsed[str]:
    """A date and a time in one string as ``YYYY-MM-DDTHH:MM``.

    令和6年2月12日 17時10分頃, 2025年9月13日 0時50分頃, 2024/02/12 14:30. Without a
    date, ``default_date`` (ISO) supplies it: its year for a month/day (2月12日 17時,
    plausibility x0.8) or the whole date for a bare time (x0.6). A date without a
    time is not a datetime: ``(None, 0.0)``; use ``parse_date`` for that.
    """
    text, repaired = _prep_date(s)
    hit = _find_date(text, None)
    if (hit is None or hit[0] is None) and (found := _find_repaired_date(text, None)):
        # Separators OCR garbled ("202412/24 午前3時30分"): the same last
        # resorts as for a date alone; the time is then read from that text.
        (hit, text), repaired = found, True
    base: date | None
    factor = 1.0
    rest = text
    if hit is not None:
        if hit[0] is None:
            return NOTHING
        base, factor = hit[0], hit[1]
        rest = text[: hit[2]] + " " + text[hit[3] :]
    else:
        default = _safe_iso(default_date) if default_date else None
        if default is None:
            return NOTHING
        md = _RE_MONTH_DAY.search(text)
        if md is not None:
            base = _safe_date(default.year, int(md.group(1)), int(md.group(2)))
            if base is None:
                return NOTHING
            factor = 0.8
            rest = text[: md.start()] + " " + text[md.end() :]
        else:
            base, factor = default, 0.6
    t, tp = parse_time(rest)
    if t is None:
        return NOTHING
    p = factor * tp * (_REPAIR if repaired else 1.0)
    return f"{base.isoformat()}T{t[0]:02d}:{t[1]:02d}", round(min(p, 1.0), 3)


def _safe_iso(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Numbers with a fixed shape: postal codes, phones, insurance numbers
# ---------------------------------------------------------------------------

_RE_POSTAL = re.compile(r"(?<!\d)(\d{3})\s*(-?)\s*(\d{4})(?!\d)")
# 〒 is sometimes read as 干 or T; only used to prefer the number after the mark.
_RE_POSTAL_MARK = re.compile(r"[〒干]\s*")


def parse_postal(s: str) -> Parsed[str]:
    """A postal code as ``NNN-NNNN``; bare seven digits are accepted at 0.9."""
    text, repaired = _prep_numeric(s)
    mark = _RE_POSTAL_MARK.search(text)
    m = _RE_POSTAL.search(text, mark.end()) if mark else None
    if m is None:
        m = _RE_POSTAL.search(text)
    if m is None:
        return NOTHING
    p = 1.0 if m.group(2) else 0.9
    if repaired:
        p *= _REPAIR
    return f"{m.group(1)}-{m.group(3)}", round(p, 3)


# Phone labels; removed so that their letters do not block fix_digits.
_RE_PHONE_LABEL = re.compile(r"(TEL|Tel|tel|FAX|Fax|fax|電話番号|電話|携帯|℡|☎)\s*[:.]?\s*")
_RE_PHONE_TIGHT = re.compile(r"\(?\d[\d\-()]{6,}\d\)?")
_RE_PHONE_LOOSE = re.compile(r"\(?\d[\d\-() ]{6,}\d\)?")
_MOBILE_PREFIXES = ("070", "080", "090", "050")


def _expected_phone_len(digits: str) -> int:
    # Japanese numbering plan: mobile/IP (0X0) and 0800 free dial are 11 digits,
    # fixed lines and 0120/0570 are 10.
    if digits.startswith(_MOBILE_PREFIXES) or digits.startswith("0800"):
        return 11
    return 10


def _default_phone_grouping(digits: str) -> tuple[str, float]:
    """Group an unseparated number. Only mobile/free-dial shapes are certain; area
    codes vary from 2 to 5 digits, so for fixed lines this is a guess (the 2-digit
    areas 03 and 06 are unambiguous; otherwise the most common 3-3-4 is assumed)."""
    n = len(digits)
    if n == 11 and _expected_phone_len(digits) == 11:
        if digits.startswith("0800"):
            return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}", 0.8
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", 0.9
    if n == 10 and digits.startswith(("0120", "0570")):
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}", 0.8
    if n == 10 and digits.startswith(("03", "06")):
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}", 0.8
    if n >= 8:
        return f"{digits[:-7]}-{digits[-7:-4]}-{digits[-4:]}", 0.6
    return f"{digits[:-4]}-{digits[-4:]}", 0.5


def phone_is_whole(number: str) -> bool:
    """Whether a phone number has the digits a Japanese number has: a 0
    first, and 10 of them, or 11 after a mobile, IP or free-dial prefix."""
    digits = re.sub(r"\D", "", number)
    return digits.startswith("0") and len(digits) == _expected_phone_len(digits)


def parse_phone(s: str) -> Parsed[str]:
    """A Japanese phone number as printed, groups joined by hyphens (``086-454-2416``).

    Labels (TEL, 電話), full-width digits, ー/一 as hyphens and brackets
    (``086(454)2416``, ``(086)454-2416``) are handled. An unseparated number gets a
    default grouping at lower plausibility. Plausibility also drops when the digit
    count is not the 10/11 the prefix implies or the number does not start with 0;
    fewer than 6 or more than 12 digits is not a phone number.
    """
    text = _RE_PHONE_LABEL.sub(" ", nfkc(s))
    fixed = fix_digits(text)
    repaired = fixed != text
    # A hyphen read twice, or as a dash and a long-vowel mark ("070-ー5988").
    fixed = re.sub(r"(?<=\d)\s*[-ー一−‐]{2,}\s*(?=\d)", "-", fixed)
    m = _RE_PHONE_TIGHT.search(fixed)
    p = 1.0
    if m is None or not 9 <= sum(c.isdigit() for c in m.group()) <= 12:
        loose = _RE_PHONE_LOOSE.search(fixed)
        if loose is not None:
            m, p = loose, 0.85  # Tesseract's spaces in place of hyphens
    if m is None:
        return NOTHING
    groups = re.findall(r"\d+", m.group())
    digits = "".join(groups)
    if not 6 <= len(digits) <= 12:
        return NOTHING
    # "00" opens a call abroad, never a number written on a Japanese sheet:
    # a stray O or colon read as a 0 before the area code ("0090-3370-4473").
    # Where the number is one digit too long for its prefix, that 0 goes.
    doubled_zero = (
        groups[0].startswith("00")
        and len(groups[0]) > 2
        and len(digits) - 1 == _expected_phone_len(digits[1:])
    )
    if doubled_zero:
        groups[0], digits = groups[0][1:], digits[1:]
    if len(groups) == 3:
        value = "-".join(groups)
        unusual = len(groups[2]) != 4 and not digits.startswith(("0120", "0570", "0800"))
        if unusual or not 2 <= len(groups[0]) <= 5:
            p *= 0.7
    elif len(groups) == 2 and groups[0].startswith("0") and len(groups[1]) > 4:
        # "086-4542416": the printed area code, then exchange + subscriber glued.
        rest = groups[1]
        value = f"{groups[0]}-{rest[:-4]}-{rest[-4:]}"
        p *= 0.7
    else:
        value, gp = _default_phone_grouping(digits)
        p *= gp if len(groups) == 1 else 0.5
    # A number not starting with 0 lacks its area code (or a digit was lost); a digit
    # count that does not match the prefix means a digit was dropped or doubled; a
    # number that started with 00 is doubtful even once the 0 is dropped.
    doubtful_start = not digits.startswith("0") or digits.startswith("00") or doubled_zero
    if doubtful_start or len(digits) != _expected_phone_len(digits):
        p *= 0.4
    if repaired:
        p *= _REPAIR
    return value, round(p, 3)


def parse_insurance_number(s: str) -> Parsed[str]:
    """被保険者番号 (long-term care insurance) as a digit string.

    It is 10 digits; 8 digits (older or health-insurance style numbers) is accepted at
    0.8; other lengths from 6 to 12 at 0.3 so a person looks; otherwise ``None``.
    Tesseract often spaces the per-digit boxes apart, so all digits are joined.
    """
    text, repaired = _prep_numeric(s)
    digits = "".join(re.findall(r"\d", text))
    if len(digits) == 10:
        p = 1.0
    elif len(digits) == 8:
        p = 0.8
    elif 6 <= len(digits) <= 12:
        p = 0.3
    else:
        return NOTHING
    if repaired:
        p *= _REPAIR
    return digits, round(p, 3)


# ---------------------------------------------------------------------------
# Vital signs
# ---------------------------------------------------------------------------

_TEMP_MIN, _TEMP_MAX = 30.0, 43.0
_TENTH = Decimal("0.1")
_RE_TEMP_DEC = re.compile(r"(?<![\d.,])(\d{2})\s*(?:([.,・·])\s*(\d{1,2})|-\s*(\d))(?!\d)")
_RE_TEMP_SPACE = re.compile(r"(?<![\d.,])(\d{2}) (\d)(?=\s*(?:°|度|C|$))")
_RE_TEMP_INT = re.compile(r"(?<![\d.,])(\d{2,3})(?![\d.,])")


def parse_temperature(s: str) -> Parsed[float]:
    """Body temperature in °C, one decimal, 30.0–43.0.

    39.6℃ / 39.6°C / 39.6度 → 39.6; a comma, ・ or hyphen read for the point → 0.85; a space
    for the point (``39 6℃``) → 0.6; a lost point (``396``) → 39.6 at 0.6; a whole
    number (``37℃``) → 37.0 at 0.9.
    """
    text, repaired = _prep_numeric(s)
    value: float | None = None
    m = _RE_TEMP_DEC.search(text)
    if m is not None:
        # Half-up from the written digits: float rounding would turn 36.55 into 36.5.
        # A hyphen is a point only before a single digit: 36-37 is no 36.4.
        decimals = m.group(3) or m.group(4)
        value = float(Decimal(f"{m.group(1)}.{decimals}").quantize(_TENTH, ROUND_HALF_UP))
        p = 1.0 if m.group(2) == "." else 0.85
    elif (m := _RE_TEMP_SPACE.search(text)) is not None:
        value, p = float(f"{m.group(1)}.{m.group(2)}"), 0.6
    elif (m := _RE_TEMP_INT.search(text)) is not None:
        raw = m.group(1)
        value, p = (float(raw), 0.9) if len(raw) == 2 else (int(raw) / 10, 0.6)
    if value is None or not _TEMP_MIN <= value <= _TEMP_MAX:
        return NOTHING
    if repaired:
        p *= _REPAIR
    return round(value, 1), round(p, 3)


_RE_BP = re.compile(r"(?<!\d)(\d{2,3})\s*([/\-])\s*(\d{2,3})(?!\d)")
# The slash read as a stroke-like glyph ("114l86"), checked before fix_digits turns it
# into a 1.
_RE_BP_STROKE = re.compile(r"(?<!\d)(\d{2,3})\s*[|lI]\s*(\d{2,3})(?!\d)")


def parse_bp(s: str) -> Parsed[tuple[int, int]]:
    """Blood pressure as ``(systolic, diastolic)``: 114/86 mmHg, 114／86, 114-86 (0.8).

    Systolic 50–260, diastolic 20–160, systolic above diastolic, else ``None``.
    """
    text = nfkc(s)
    fixed = fix_digits(text)
    m = _RE_BP.search(fixed)
    if m is not None:
        sys_, dia = int(m.group(1)), int(m.group(3))
        p = 1.0 if m.group(2) == "/" else 0.8
        if fixed != text:
            p *= _REPAIR
    elif (stroke := _RE_BP_STROKE.search(text)) is not None:
        sys_, dia, p = int(stroke.group(1)), int(stroke.group(2)), 0.6
    else:
        return NOTHING
    if not (50 <= sys_ <= 260 and 20 <= dia <= 160 and sys_ > dia):
        return NOTHING
    return (sys_, dia), round(p, 3)


_RE_INT = re.compile(r"(?<![\d.])(\d{1,3})(\.\d+)?(?!\d)")
_RE_RATE_LABEL = re.compile(
    r"(脈拍数?|心拍数?|呼吸数?|HR|PR|RR|bpm|/min|回/分|/分|回)", re.IGNORECASE
)


def _parse_rate(s: str, lo: int, hi: int) -> Parsed[int]:
    text = _RE_RATE_LABEL.sub(" ", nfkc(s))
    fixed = fix_digits(text)
    m = _RE_INT.search(fixed)
    if m is None:
        return NOTHING
    value = int(m.group(1))
    if not lo <= value <= hi:
        return NOTHING
    p = 0.8 if m.group(2) else 1.0  # "88.0": a rate is a whole number
    if fixed[: m.end()] != text[: m.end()]:  # fix_digits keeps positions
        p *= _REPAIR
    return value, round(p, 3)


def parse_pulse(s: str) -> Parsed[int]:
    """Heart rate per minute, 20–250 (88, 88回/分, HR 88 bpm)."""
    return _parse_rate(s, 20, 250)


def parse_resp_rate(s: str) -> Parsed[int]:
    """Respiratory rate per minute, 4–60 (18, 18回/分, RR 18)."""
    return _parse_rate(s, 4, 60)


_RE_SPO2_LABEL = re.compile(r"S\s*[pP]\s*[O0o]\s*2|SAT|sat", re.IGNORECASE)
# Misreads of "%": "°/o", "o/o", "0/0", "°/0".
_RE_PERCENT_MISREAD = re.compile(r"[°º0oO]\s*/\s*[oO0]")


def parse_spo2(s: str) -> Parsed[int]:
    """Oxygen saturation in %, 50–100.

    Tesseract reads "%" as ``96`` (``9296`` → 92 at 0.8, also ``92 96``), as ``°/o``,
    or loses it; anything after the number (``(RA)``, ``(O2 2L)``) is ignored. A
    three-digit reading other than 100 (``929``) is taken as two digits plus a broken
    percent sign at 0.4.
    """
    text = _RE_SPO2_LABEL.sub(" ", nfkc(s))
    text, misread = _RE_PERCENT_MISREAD.subn("%", text)
    fixed = fix_digits(text)
    m = re.search(r"(?<!\d)(\d+)(?:\s+(96)(?!\d))?", fixed)
    if m is None:
        return NOTHING
    # fix_digits maps char for char, so only the number's own span is compared: a
    # repaired "(O2 2L)" annotation after it says nothing about the reading.
    repaired = fixed[: m.end()] != text[: m.end()]
    raw = m.group(1)
    p = 0.95 if misread else 1.0
    if m.group(2):
        p = 0.8  # "92 96": the percent sign read as a separate 96
    if len(raw) == 4 and raw.endswith("96"):
        raw, p = raw[:2], 0.8
    elif len(raw) == 5 and raw.endswith("96") and raw.startswith("100"):
        raw, p = "100", 0.8
    elif len(raw) == 3 and raw != "100":
        raw, p = raw[:2], 0.4
    elif len(raw) > 3:
        return NOTHING
    value = int(raw)
    if not 50 <= value <= 100:
        return NOTHING
    if repaired:
        p *= _REPAIR
    return value, round(p, 3)


# ---------------------------------------------------------------------------
# Consciousness: JCS, GCS
# ---------------------------------------------------------------------------

_JCS_GROUP = {0: 0, 1: 1, 2: 1, 3: 1, 10: 2, 20: 2, 30: 2, 100: 3, 200: 3, 300: 3}
# Glyphs Tesseract produces for the vertical strokes of Ⅰ Ⅱ Ⅲ (after NFKC: I, II, III).
_STROKE_ONE = "IiLl1|!"
_STROKE_THREE = "皿川"  # Ⅲ is read as the kanji 皿 (dish) or 川 (river)
_CANONICAL_STROKE = "I"


def _roman_strokes(s: str) -> tuple[int, bool] | None:
    """Value of a Roman numeral I..III written with OCR stroke glyphs, and whether
    it needed repair (any glyph other than I). None if it is not such a numeral."""
    if not s:
        return None
    total = 0
    for c in s:
        if c in _STROKE_ONE:
            total += 1
        elif c in _STROKE_THREE:
            total += 3
        else:
            return None
    return total, any(c != _CANONICAL_STROKE for c in s)


def parse_jcs(s: str) -> Parsed[int]:
    """Japan Coma Scale as an int in {0, 1, 2, 3, 10, 20, 30, 100, 200, 300}.

    0 / 清明 → 0; Ⅰ-1..Ⅲ-300 (also ASCII I, II, III and OCR strokes 1I, Il, lll, 皿, 川);
    bare numbers; the R/I/A suffixes are ignored. The Roman group must match the
    number (Ⅱ goes with 10/20/30). A Ⅱ/Ⅲ group with a one-digit number (Ⅲ-2) is read
    as the scaled value (200) at 0.4; any other mismatch (Ⅰ-10) keeps the Arabic
    number, whose digits are more robust than a count of strokes, at 0.4.
    """
    text = nfkc(s)
    text = re.sub(r"J\s*C\s*[S5]\s*[:]?", "", text)
    text = re.sub(r"[()\s点]", "", text)
    text = re.sub(r"[ー一\-~〜・.]+", "-", text).strip("-")
    text = re.sub(r"(?<=\d)[RAIra]+$", "", text)  # JCS suffixes R, I, A
    # O for 0 inside the number ("1O", "3OO"); repeated because matches cannot overlap.
    while (zeroed := re.sub(r"(?<=[0-9])[Oo〇]|[Oo〇](?=[0-9])", "0", text)) != text:
        text = zeroed
    if not text or text in ("清明", "0清明", "清明0"):
        return (0, 1.0) if text else NOTHING
    text = text.replace("清明", "")
    if "-" in text:
        roman_s, _, num_s = text.partition("-")
        if not num_s.isdigit():
            return NOTHING
        return _jcs_from(_roman_strokes(roman_s) if roman_s else (0, False), int(num_s))
    if text.isdigit():
        n = int(text)
        if n in _JCS_GROUP:
            return n, 1.0
        # "1110" = Ⅱ(as 11)-10 with the dash lost: try every split.
        for k in range(1, len(text)):
            strokes = _roman_strokes(text[:k])
            rest = int(text[k:])
            if strokes and rest in _JCS_GROUP and _JCS_GROUP[rest] == strokes[0]:
                return rest, 0.6
        if len(text) == 3 and text[0] in "123" and (text[1] == "0") != (text[2] == "0"):
            # Off the scale by one digit ("160" for 100: 0 and 6 look alike
            # in handwriting): the hundred, as a guess.
            return int(text[0]) * 100, 0.4
        return NOTHING
    m = re.fullmatch(r"(\D+)(\d+)", text)
    if m is None:
        return NOTHING
    # Roman numeral glued to the number ("II10"): only the dash is missing.
    value, p = _jcs_from(_roman_strokes(m.group(1)), int(m.group(2)))
    return value, round(p * 0.9, 3)


def _jcs_from(roman: tuple[int, bool] | None, n: int) -> Parsed[int]:
    group = roman[0] if roman else None
    repaired = roman[1] if roman else True
    if group in (2, 3) and n in (1, 2, 3):
        # "Ⅲ-2": either the zeros or the strokes were misread; zeros vanish more
        # easily than two extra strokes appear, so read the scaled value.
        return n * 10 ** (group - 1), 0.4
    if n in _JCS_GROUP:
        if group == _JCS_GROUP[n]:
            return n, 1.0 if not repaired else _REPAIR
        if group == 0:
            return n, 0.9
        return n, 0.4
    return NOTHING


_GCS_E = r"([1-4lI|])"
_GCS_V = r"([1-5lI|SsT])"
_GCS_M = r"([1-6lI|SsGbe])"
_RE_GCS = re.compile(
    rf"E\s*\(?\s*{_GCS_E}\s*\)?\s*,?\s*V\s*\(?\s*{_GCS_V}\s*\)?\s*,?\s*M\s*\(?\s*{_GCS_M}\s*\)?"
    r"(?:\s*[=:(]?\s*(?:計|合計|TOTAL)?\s*(\d{1,2})\s*点?\)?)?",
    re.IGNORECASE,
)
# IGNORECASE makes the slot classes accept both cases, so the map covers both.
_GCS_GLYPH = {
    **dict.fromkeys("lLiI|", "1"),
    **dict.fromkeys("Ss", "5"),
    **dict.fromkeys("GgBbEe", "6"),  # a serif 6 read as e
    **dict.fromkeys("Tt", "T"),
}


def parse_gcs(s: str) -> Parsed[str]:
    """Glasgow Coma Scale as ``E4V5M6`` (``VT`` kept for an intubated patient).

    E4V5M6, E3 V4 M5, E(4)V(5)M(6), E4V5M6=15. A stated total that disagrees with the
    components keeps the components at 0.5. A bare total that fixes every component
    (15 → E4V5M6, 3 → E1V1M1) is accepted at 0.8.
    """
    text = nfkc(s)
    m = _RE_GCS.search(text)
    if m is None:
        total = re.fullmatch(r"(?:GCS)?\s*[:]?\s*(\d{1,2})\s*点?", text, re.IGNORECASE)
        if total is not None and total.group(1) in ("15", "3"):
            return ("E4V5M6" if total.group(1) == "15" else "E1V1M1"), 0.8
        return NOTHING
    raw = m.group(1, 2, 3)
    parts = [_GCS_GLYPH.get(c, c) for c in raw]
    # "T" (intubated, no verbal score) is a legitimate value, not a repair.
    p = 1.0 if all(a == b or b == "T" for a, b in zip(raw, parts, strict=True)) else _REPAIR
    value = f"E{parts[0]}V{parts[1]}M{parts[2]}"
    stated = m.group(4)
    if stated is not None and parts[1] != "T" and sum(map(int, parts)) != int(stated):
        p = min(p, 0.5)
    return value, round(p, 3)


# ---------------------------------------------------------------------------
# Person: age, sex, names
# ---------------------------------------------------------------------------


def parse_age(s: str) -> Parsed[int]:
    """Age in years, 0–130: 88歳, (101歳), 満88歳, 88才; a bare number at 0.9."""
    text, repaired = _prep_numeric(s)
    m = re.search(r"(?<!\d)(\d{1,3})\s*[歳才]", text)
    p = 1.0
    if m is None:
        m = re.search(r"(?<![\d.])(\d{1,3})(?![\d.])", text)
        p = 0.9
    if m is None:
        return NOTHING
    age = int(m.group(1))
    if not 0 <= age <= 130:
        return NOTHING
    if repaired:
        p *= _REPAIR
    return age, round(p, 3)


def age_at(birth_iso: str, on_iso: str) -> int:
    """Age in completed years on ``on_iso`` (the date the sheet was written).

    The age is attained on the birthday itself. Someone born on 29 February attains
    it on 1 March in common years, which matches the Japanese rule that age
    increases at the end of the day before the anniversary. Raises ValueError for
    a malformed ISO date.
    """
    birth = date.fromisoformat(birth_iso)
    on = date.fromisoformat(on_iso)
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_consistent(age: int, birth_iso: str, on_iso: str) -> bool:
    """Whether a written age equals ``age_at(birth, on)`` exactly.

    No off-by-one tolerance: the form states the age on the written date, and a
    tolerance would hide exactly the one-digit OCR errors this check exists to
    catch. False when either date is malformed.
    """
    try:
        return age == age_at(birth_iso, on_iso)
    except ValueError:
        return False


_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in range(0x3041, 0x3097)} | {
    0x309D: 0x30FD,
    0x309E: 0x30FE,
}


def is_kanji(ch: str) -> bool:
    """A CJK unified ideograph (the common kanji block)."""
    return "\u4e00" <= ch <= "\u9fff"


def is_kana(ch: str) -> bool:
    """A hiragana or katakana letter (not the long-vowel mark ー)."""
    return "\u3041" <= ch <= "\u3096" or "\u30a1" <= ch <= "\u30fa"


def is_katakana(ch: str) -> bool:
    """A character of the katakana block, the long-vowel mark ー included."""
    return "\u30a1" <= ch <= "\u30ff"


def hiragana_to_katakana(s: str) -> str:
    """Hiragana as katakana, everything else as it is."""
    return s.translate(_HIRAGANA_TO_KATAKANA)


def to_katakana(s: str) -> str:
    """Furigana as full-width katakana (hiragana and half-width katakana converted).

    One space separates family and given name. When Tesseract has spaced out every
    single character (``ひ ら ま つ  し ず こ``), the character spaces are noise and
    only a wider gap is kept as the name separator.
    """
    text = hiragana_to_katakana(unicodedata.normalize("NFKC", s)).strip()
    tokens = text.split()
    if len(tokens) > 2 and all(len(t) == 1 for t in tokens):
        words = [w.replace(" ", "") for w in re.split(r"\s{2,}", text)]
        return " ".join(w for w in words if w)
    return " ".join(tokens)


def parse_sex_text(s: str) -> Parsed[str]:
    """``male`` / ``female`` from 男, 男性, M, Male / 女, 女性, F, Female.

    Text with both 男 and 女 is the printed option list (``男・女``): which one is
    circled needs mark detection, so it gives ``(None, 0.0)``.
    """
    text = re.sub(r"\s+", "", nfkc(s))
    has_m, has_f = "男" in text, "女" in text
    if has_m and has_f:
        return NOTHING
    if has_m:
        return "male", 1.0
    if has_f:
        return "female", 1.0
    latin = text.strip(".:()").upper()
    if latin in ("M", "MALE"):
        return "male", 0.9
    if latin in ("F", "FEMALE"):
        return "female", 0.9
    return NOTHING


_HONORIFIC = re.compile(r"\s*(様|殿|さん|先生|氏)\s*$")


def strip_honorific(s: str) -> str:
    """Name without a trailing 様 / 殿 / さん / 先生 / 氏 (after ``nfkc``)."""
    return _HONORIFIC.sub("", nfkc(s)).strip()


# ---------------------------------------------------------------------------
# Care
# ---------------------------------------------------------------------------

_KANJI_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_LEVEL_GLYPH = {"l": 1, "I": 1, "|": 1, "Z": 2, "S": 5}
_LEVEL_CHAR = r"([0-9一二三四五lI|ZS])"
_RE_CARE = re.compile(r"要(介護|支援)度?" + _LEVEL_CHAR)
# One of the two kanji misread ("要介譲3"), or 要 lost ("介護3").
_RE_CARE_FUZZY = re.compile(
    r"要(介.|.護|支.|.援)度?" + _LEVEL_CHAR + "|(介護|支援)度?" + _LEVEL_CHAR
)


def _level_digit(c: str) -> tuple[int, float]:
    if c.isdigit():
        return int(c), 1.0
    if c in _KANJI_DIGIT:
        return _KANJI_DIGIT[c], 0.9
    return _LEVEL_GLYPH[c], _REPAIR


def parse_care_level(s: str) -> Parsed[str]:
    """要介護1..5 / 要支援1..2 (介護保険), e.g. ``要 介 護 ４`` → ``要介護4``.

    Kanji numerals are accepted at 0.9, one misread kanji of 介護/支援 or a lost 要 at
    0.7–0.8. 非該当 (assessed, not eligible) is returned as is. Levels outside the
    scale (要介護6, 要支援3) give ``None``.
    """
    text = re.sub(r"\s+", "", nfkc(s))
    if "非該当" in text:
        return "非該当", 1.0
    m = _RE_CARE.search(text)
    p = 1.0
    if m is not None:
        kind, char = m.group(1), m.group(2)
    else:
        fuzzy = _RE_CARE_FUZZY.search(text)
        if fuzzy is None:
            return NOTHING
        if fuzzy.group(1) is not None:
            kind = "介護" if fuzzy.group(1)[0] == "介" or fuzzy.group(1)[1] == "護" else "支援"
            char, p = fuzzy.group(2), 0.7
        else:
            kind, char, p = fuzzy.group(3), fuzzy.group(4), 0.8
    level, lp = _level_digit(char)
    top = 5 if kind == "介護" else 2
    if not 1 <= level <= top:
        return NOTHING
    return f"要{kind}{level}", round(p * lp, 3)


_ROMAN_OUT = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
_RE_DEMENTIA_LABEL = re.compile(r"認知症.*?自立度|自立度|ランク|Rank|rank|[:()]")


def parse_dementia_level(s: str) -> Parsed[str]:
    """認知症高齢者の日常生活自立度: 自立, Ⅰ, Ⅱa, Ⅱb, Ⅲa, Ⅲb, Ⅳ or M.

    The result uses the Roman numeral characters Ⅰ Ⅱ Ⅲ Ⅳ as printed on Japanese
    forms. OCR readings I/II/III/IV are exact; stroke glyphs (1I, Il, 皿, 川, lV) and
    Arabic digits (2a) are repairs. Ⅱ/Ⅲ require a or b (without it the rank is
    unknown: ``None``); a spurious a/b on Ⅰ or Ⅳ is dropped at 0.5. Guesses
    from a glyph that is no numeral ("Mb", "WV") score 0.4.
    """
    text = _RE_DEMENTIA_LABEL.sub("", re.sub(r"\s+", "", nfkc(s)))
    if "自立" in text:
        return "自立", 1.0
    if text == "M":
        return "M", 1.0
    if re.fullmatch(r"[IiLl1|!N][MWY]|N[Vv]", text):
        # Ⅳ's V read as M (or the whole numeral as N+M): "IM", "NM".
        return "Ⅳ", 0.4
    if m := re.fullmatch(r"([H四])([abAB])", text):
        # Ⅱ's two bars joined by its serifs read as H; Ⅲ in a box-like glyph
        # read as 四 (a rank with a or b is Ⅱ or Ⅲ, never Ⅳ).
        return ("Ⅱ" if m[1] == "H" else "Ⅲ") + m[2].lower(), 0.6
    if m := re.fullmatch(r"([A-HJ-KM-Za-hj-km-z])([ab])", text):
        # Only Ⅱ and Ⅲ take an a or b, so a single letter before it is one of
        # them with its strokes joined: "Mb" (three strokes and serifs) is Ⅲ,
        # any other ("fb", "Yb") Ⅱ; the strokes on the page settle it
        # (pipeline._recount_dementia_numeral).
        return ("Ⅲ" if m[1] in "MmWw" else "Ⅱ") + m[2], 0.4
    roman = re.fullmatch(r"([IiLl1|!皿川]+)([Vv])?([abAB])?", text)
    arabic = re.fullmatch(r"([1-4])([abAB])?", text)
    if roman is not None:
        strokes = _roman_strokes(roman.group(1))
        if strokes is None:
            return NOTHING
        level, repaired = strokes
        if roman.group(2):
            if level != 1:
                return NOTHING  # only IV exists; "IIV" is not a rank
            level, repaired = 4, repaired or roman.group(2) != "V"
        elif level > 3:
            return NOTHING  # IIII is no rank
        p = _REPAIR if repaired else 1.0
        suffix = (roman.group(3) or "").lower()
    elif arabic is not None:
        level, p, suffix = int(arabic.group(1)), 0.8, (arabic.group(2) or "").lower()
    elif re.fullmatch(r"[A-Za-z|!]?[Vv]", text):
        # The scale has no Ⅴ: a V is Ⅳ whose I was lost or read as another
        # letter, as handwriting often is ("WV", "vV", "V").
        return "Ⅳ", 0.4
    else:
        return NOTHING
    if level in (2, 3):
        if not suffix:
            return NOTHING
        return f"{_ROMAN_OUT[level]}{suffix}", round(p, 3)
    if level > 4:
        return NOTHING
    if suffix:
        p = min(p, 0.5)
    return _ROMAN_OUT[level], round(p, 3)


# ---------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------

# Circled numbers ①..⑳ and ㉑..㊿ start items; NFKC would turn them into plain digits
# glued to the text, so they are replaced by a separator first.
_RE_CIRCLED = re.compile("[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf\u24ea\u2776-\u277f]")
# "1." "2)" "(3)" "4、" "5:" at an item start, but not "1.5mg" or "2型".
_RE_NUMBERING = re.compile(
    r"\(\d{1,2}\)\s*|(?:^|(?<=[\s、,・/;]))\d{1,2}\s*[).、:]\s*(?=[^\d\s])", re.MULTILINE
)
# Commas between digits are thousands separators (1,000mg), not list separators.
_RE_LIST_SEP = re.compile(r"[、;\n/・]|,(?!\d)|(?<!\d),|。(?=\s*\S)")
_BULLETS = " \t●○◎■□◆◇*-•。."
# "Nothing to report" answers: (特に|特記(事項)?) + なし/無し/無/ナシ/ない, or English.
_RE_NONE = re.compile(r"(特に|特記事項?)?(なし|無し|無|ナシ|ない)|none|nil|n/a", re.IGNORECASE)


def split_list(s: str) -> list[str]:
    """Split a diagnoses / medications / allergies cell into items.

    Separators: 、 , ・ / ／ ; and newlines; numbering (1. 2) (3) ①) and bullets are
    stripped; empty items are dropped. "Nothing" answers (なし, 特になし, 無し...) as
    the whole cell or as an item contribute no item.
    """
    text = unicodedata.normalize("NFKC", _RE_CIRCLED.sub("\n", s))
    # Numbering before nfkc(): its space removal would glue "高血圧 2.糖尿病" together
    # and hide the "2." item start.
    text = _RE_NUMBERING.sub("\n", text)
    items: list[str] = []
    for part in _RE_LIST_SEP.split(nfkc(text)):
        item = part.strip(_BULLETS)
        if item and not _RE_NONE.fullmatch(item):
            items.append(item)
    return items
