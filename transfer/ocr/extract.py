"""Segments of recognised text → record fields, each with a box and a raw score.

General rules only: fields are found by their printed labels (with the
synonyms Japanese care and medical forms use), by section markers of
letters (■既往歴, 【内服薬】, <現病歴>) and by the shape of values (dates,
phone numbers, vitals). No lists of names, drugs, diagnoses or places.

The raw score of a field is the weakest of: Tesseract's confidence in the
characters of the value, how well the value fits its expected shape
(normalise.py's plausibility) and how sure we are of the label. It is
mapped to a calibrated confidence in calibrate.py.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Any

from . import normalise as nz
from .reading import is_word, reading_like, reads_as, word_breaks
from .recognise import Segment, inside, union
from .types import Box

# Label synonyms, longest first within a field. Order across fields matters
# only for overlaps; matching always prefers the longest label at a position.
LABELS: dict[str, tuple[str, ...]] = {
    "written_date": ("記入年月日", "作成年月日", "記入日", "作成日", "記載日", "記録日"),
    "name_kana": ("フリガナ", "ふりがな", "よみがな", "ヨミガナ"),
    "name": (
        "利用者氏名",
        "患者氏名",
        "入居者氏名",
        "入所者氏名",
        "利用者名",
        "患者名",
        "お名前",
        "氏名",
    ),
    "sex": ("性別",),
    "birth_date": ("生年月日",),
    "age": ("年齢",),
    "address": ("現住所", "住所", "居住地"),
    "facility_name": ("入所施設", "入居施設", "施設名", "事業所名", "利用施設", "所属施設"),
    "phone": ("電話番号", "連絡先電話", "連絡先", "電話", "TEL", "Tel", "tel", "☎"),
    "primary_physician": ("主治医", "かかりつけ医", "担当医"),
    "clinic_name": ("かかりつけ医療機関", "医療機関名", "医療機関", "病院名"),
    "diagnoses": (
        "病名・既往歴",
        "既往歴・現病",
        "現病・既往歴",
        "既往歴",
        "主病名",
        "診断名",
        "既往症",
        "病名",
    ),
    "current_illness": (
        "現病歴",
        "今回の状態",
        "主訴・経過",
        "現在の状態",
        "経過",
        "主訴",
        "症状",
    ),
    "medications": (
        "処方内容",
        "服薬内容",
        "内服内容",
        "服薬状況",
        "内服薬",
        "処方薬",
        "服用薬",
        "服薬",
        "内服",
        "処方",
        "薬剤",
    ),
    "allergies": ("アレルギー", "禁忌"),
    "vitals": ("バイタルサイン", "バイタル"),
    "onset_time": (
        "最終健常確認時刻",
        "最終健常確認",
        "発症時刻",
        "発症日時",
        "発見時刻",
        "発見日時",
        "発症時間",
    ),
    "care_level": ("要介護状態区分", "要介護度", "介護度"),
    "dementia_level": ("認知症高齢者の日常生活自立度", "認知症自立度", "認知症の程度"),
    "adl": ("日常生活動作", "ADL"),
    "insurance_number": ("介護保険被保険者番号", "被保険者番号", "保険者番号", "介護保険番号"),
    "advance_directive": (
        "DNAR",
        "急変時の対応",
        "急変時の意向",
        "延命処置の希望",
        "延命治療の希望",
        "蘇生の意向",
        "意向",
    ),
    "key_person": ("キーパーソン", "家族連絡先", "緊急連絡先", "身元引受人"),
    "notes": ("特記事項", "備考", "その他", "特記"),
    # Not fields: they end the value before them.
    "_stop": ("記載者", "記入者", "作成者", "以上", "医療情報", "介護情報"),
}
# Group headings printed above or beside blocks of a form: never values.
HEADINGS = ("基本情報", "医療情報", "介護情報", "連絡先", "緊急連絡先", "生活情報", "本人情報")

SECTION_OPEN = "■□◆◇●○【<＜〈《[［{｛"
SECTION_CLOSE = "】>＞〉》]］}｝"


def squash(text: str) -> str:
    """NFKC, with the narrow spaces Tesseract puts inside Japanese words removed.

    Segments only carry a space where the gap was wide, so the spaces left
    separate things (family and given name, clinic and physician).
    """
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance; with a limit, any distance above it may be
    returned as limit + 1 (the label search compares every line with every
    label, and almost all of them differ at once)."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _missing(label: str, chars: set[str]) -> int:
    """How many of the label's characters are not among ``chars``: a lower
    bound on the edit distance from any text made of those characters
    (each such character of the label costs an edit). The label search
    skips with it the labels that share little with a line, most of them,
    before the dynamic programme."""
    return sum(c not in chars for c in label)


@dataclass
class Hit:
    """A label found in a segment."""

    field: str
    seg: int  # index into segments
    start: int  # character offsets of the label in the segment's text
    end: int
    section: bool  # printed as a section marker (■, 【】, <>)
    fuzzy: bool = False  # matched with a misread character


@dataclass
class Value:
    """The text printed for a label, with where it came from."""

    text: str
    box: Box | None
    conf: float  # weakest OCR character confidence
    lines: list[str]  # the value's lines (medications: one per line)


def _label_pattern() -> tuple[re.Pattern[str], list[str]]:
    """One regex for every label (longest first) and the field of each group."""
    alternatives: list[tuple[str, str]] = []
    for field, labels in LABELS.items():
        for label in labels:
            alternatives.append((label, field))
    alternatives.sort(key=lambda a: -len(a[0]))
    # Spaces may appear inside a label (Tesseract's spacing): allow them.
    parts: list[str] = []
    for label, _field in alternatives:
        body = r"\s*".join(re.escape(ch) for ch in label)
        parts.append(f"(?P<f{len(parts)}>{body})")
    return re.compile("|".join(parts)), [f for _, f in alternatives]


LABEL_RE, _LABEL_FIELDS = _label_pattern()


def _tail_fields() -> dict[str, str]:
    """The last three characters of each label of five or more, where no
    label of another field nor a heading ends in them (自立度, 者番号, ルギー;
    not 年月日, which 生年月日 ends in too)."""
    owners: dict[str, set[str]] = {}
    for field, labels in LABELS.items():
        for label in labels:
            if len(label) >= 5:
                owners.setdefault(label[-3:], set()).add(field)
    for field, labels in [*LABELS.items(), ("_heading", HEADINGS)]:
        for label in labels:
            for tail, fields in owners.items():
                if label.endswith(tail):
                    fields.add(field)
    return {tail: next(iter(f)) for tail, f in owners.items() if len(f) == 1}


_TAIL_FIELDS = _tail_fields()


def _same_places_label(
    text: str, segments: list[Segment], si: int
) -> tuple[int, int, int, str, int] | None:
    """A table's label cell too garbled for the edit distance: as long as a
    long label (five or more characters) and holding at least half of its
    characters in their places ("多知年自立魔", "認知徒自立族" for
    認知症自立度), when no other label fits as well. Only a cell that is
    all label, beside its value."""
    seg = segments[si]
    if seg.cell is None or len(text) < 5:
        return None
    nxt = segments[si + 1] if si + 1 < len(segments) else None
    if nxt is None or nxt.line != seg.line:
        return None  # a label has its value beside it
    scored: list[tuple[int, str]] = []
    for field, labels in LABELS.items():
        if field.startswith("_"):
            continue
        for label in labels:
            if len(label) == len(text):
                same = sum(a == b for a, b in zip(label, text, strict=True))
                if 2 * same >= len(label) and same >= 3:
                    scored.append((same, field))
    if not scored:
        return None
    scored.sort(reverse=True)
    top, field = scored[0]
    if any(n == top and f != field for n, f in scored[1:]):
        return None
    return (len(text) - top, 0, 0, field, len(text))


def find_labels(segments: list[Segment]) -> list[Hit]:
    hits: list[Hit] = []
    for si, seg in enumerate(segments):
        text = seg.text
        for m in LABEL_RE.finditer(text):
            field = _LABEL_FIELDS[int(m.lastgroup[1:])]  # type: ignore[index]
            start, end = m.span()
            before = text[:start].rstrip()
            after = text[end:].lstrip()
            section = bool(before) and before[-1] in SECTION_OPEN
            # A label starts its segment, follows a separator, or is
            # followed by a colon; otherwise it is a word inside a value
            # ("経過観察", "内服薬の管理").
            at_start = not before or before[-1] in SECTION_OPEN or before[-1] in " :：)）"
            if not after.strip(SECTION_CLOSE + " ") and (
                len(before) == 1 or (len(before) <= 3 and any(c in SECTION_OPEN for c in before))
            ):
                # A section marker misread as a character, or read with
                # specks beside it ("く〈くキーパーソン >"): the line is the
                # label, and nothing of it belongs to the value before.
                at_start, start = True, 0
            colon = after[:1] in (":", "：")
            if field == "phone" and not at_start:
                at_start = True  # "…ホーム TEL 0868-…": phones follow anything
            if not (at_start or colon):
                continue
            hits.append(Hit(field, si, start, end, section))
    # Misread labels: "パイタルサイン", "既往彦", a section marker read as a
    # kanji ("田バイタルサイン"). Only at the start of a segment, where labels
    # are printed, and with at most one wrong character per four.
    starts = {h.seg for h in hits}
    label_only = {h.seg for h in hits if not segments[h.seg].text[h.end :].strip(" :：")}
    for si, seg in enumerate(segments):
        if si in starts:
            continue
        if si - 1 in label_only and segments[si - 1].line == seg.line:
            continue  # the value cell right of a label ("要介護度 | 要介護4")
        text = seg.text.replace(" ", "")
        in_text = set(text)
        best: tuple[int, int, int, str, int] | None = None
        for field, labels in LABELS.items():
            if field.startswith("_"):
                continue
            for label in labels:
                if len(label) < 3:
                    continue
                allowed = 1 if len(label) < 8 else 2
                if _missing(label, in_text) > allowed:
                    continue  # no piece of the line comes close enough
                for skip in (0, 1):
                    for extra in (-1, 0, 1):
                        piece = text[skip : skip + len(label) + extra]
                        rest = text[skip + len(label) + extra :]
                        if not piece or (rest and rest[0] not in ":：" + SECTION_CLOSE + "(（"):
                            if rest and skip == 0 and extra == 0 and len(label) >= 4:
                                pass  # label followed by its value in the same segment
                            else:
                                # A short misread label must stand alone: "介護サマリー"
                                # is not 介護度 followed by a value.
                                continue
                        if re.search(r"\d", piece):
                            continue  # labels carry no digits; values do
                        # A junk first character costs nothing on a line
                        # that is only the label: a misread section marker.
                        # So does a printed section mark ("<既社歴>").
                        d = _edit_distance(piece, label, allowed) + (
                            skip if rest and text[0] not in SECTION_OPEN else 0
                        )
                        # Equally close, the reading that takes the whole
                        # line as the label wins: "キーパーソツン" is the label
                        # with a letter too many, not "キーパーソツ" + "ン".
                        key = (d, -len(label), 1 if rest else 0)
                        if d <= allowed and (best is None or key < best[:3]):
                            best = (*key, field, skip + len(label) + extra)
        tail_field = _TAIL_FIELDS.get(text[-3:])
        if (
            best is None
            and tail_field
            and any(abs(len(text) - len(lb)) <= 1 for lb in LABELS[tail_field] if len(lb) >= 5)
        ):
            # Too garbled for the edit distance, but the line is as long as a
            # label and ends in a long label's own last three characters:
            # "近基年自立度", "知傘自立度" (認知症自立度).
            best = (0, 0, 0, tail_field, len(text))
        if best is None:
            best = _bracketed_heading(text) or _same_places_label(text, segments, si)
        if best is not None:
            # Map the end offset in the space-free text back onto seg.text.
            end, seen = 0, 0
            while end < len(seg.text) and seen < best[4]:
                seen += seg.text[end] != " "
                end += 1
            hits.append(Hit(best[3], si, 0, end, False, fuzzy=True))
    # "認知症円立度:M": inside a line, a misread label still ends in a colon.
    for si, seg in enumerate(segments):
        covered = [(h.start, h.end) for h in hits if h.seg == si]
        for m in re.finditer(r"([^\s:：、,。]{2,14})\s*[:：]", seg.text):
            if any(a < m.end(1) and m.start(1) < b for a, b in covered):
                continue
            chunk = m[1]
            in_chunk = set(chunk)
            best_hit: tuple[int, str, int] | None = None
            for field, labels in LABELS.items():
                if field.startswith("_") or field == "phone":
                    continue
                for label in labels:
                    if len(label) < 3 or len(label) > len(chunk) + 1:
                        continue
                    tail = chunk[-len(label) :]  # the label ends at the colon
                    allowed = 1 if len(label) < 8 else 2
                    if _missing(label, in_chunk) > allowed:
                        continue  # the tail, a piece of the chunk, is further still
                    d = _edit_distance(tail, label, allowed)
                    if d <= allowed and (best_hit is None or d < best_hit[0]):
                        best_hit = (d, field, m.end(1) - len(tail))
            if best_hit is not None:
                hits.append(Hit(best_hit[1], si, best_hit[2], m.end(1), False, fuzzy=True))
    # Letters print the sender's facility on the line after the addressee
    # ("○○病院 御中"), without a label.
    for si, seg in enumerate(segments[:-1]):
        if squash(seg.text).endswith("御中"):
            nxt = si + 1
            if not any(h.seg == nxt for h in hits):
                hits.append(Hit("facility_name", nxt, 0, 0, False))
            break
    hits.sort(key=lambda h: (h.seg, h.start))
    return hits


def _bracketed_heading(text: str) -> tuple[int, int, int, str, int] | None:
    """A line that is only a heading in its marks ("【工住歴】", "<往麻>"):
    there, two misread characters still name the section, if no other
    field's label is as close."""
    if len(text) < 4 or text[0] not in SECTION_OPEN or text[-1] not in SECTION_CLOSE:
        return None
    inner = text[1:-1]
    if not 2 <= len(inner) <= 7 or re.search(r"\d", inner):
        return None
    by_field: dict[str, int] = {}
    for field, labels in LABELS.items():
        if field.startswith("_"):
            continue
        for label in labels:
            if len(label) >= 3:
                d = _edit_distance(inner, label, 2)  # more than 2 is no label
                by_field[field] = min(by_field.get(field, d), d)
    ranked = sorted((d, f) for f, d in by_field.items())
    if not ranked or ranked[0][0] > 2 or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    return (ranked[0][0], 0, 0, ranked[0][1], len(text))


def _rest_of_compound_label(field: str, text: str) -> bool:
    """Whether text, after a label and a separator, is the rest of a
    compound label of the same field with at most one character misread
    (病名・既往歴 read as "病名・ 既往礎": 病名 is found, and 既往礎 is no
    diagnosis)."""
    m = re.match(r"[・･/／、]\s*(\S+)$", text)
    if not m:
        return False
    rest = m[1]
    return any(len(lb) >= 3 and _edit_distance(rest, lb) <= 1 for lb in LABELS.get(field, ()))


def _strip_marks(text: str) -> str:
    return text.strip().lstrip(":：").strip().lstrip(SECTION_CLOSE).strip().lstrip(":：").strip()


def values_for(segments: list[Segment], hits: list[Hit]) -> list[tuple[Hit, Value]]:
    """The value text after each label: to the next label, else the next segments."""
    by_seg: dict[int, list[Hit]] = {}
    for h in hits:
        by_seg.setdefault(h.seg, []).append(h)
    ordered: list[tuple[Hit, Value]] = []
    skip_next: set[int] = set()
    for h in hits:
        seg = segments[h.seg]
        later = [o for o in by_seg[h.seg] if o.start >= h.end and o is not h]
        end = min((o.start for o in later), default=len(seg.text))
        raw = seg.text[h.end : end]
        # A qualifier printed with the label: "アレルギー(薬・食物)".
        qualifier = re.match(r"\s*[(（][^)）]{1,8}[)）]", raw)
        if qualifier and h.field not in ("name", "key_person"):
            raw = " " * qualifier.end() + raw[qualifier.end() :]
        text = _strip_marks(raw)
        if _rest_of_compound_label(h.field, text):
            text = ""  # "病名・既往礎": the label goes on, misread; the value is beyond
        offset = h.end + (len(raw) - len(raw.lstrip(" :：" + SECTION_CLOSE)))
        label_text = seg.text[h.start : h.end].replace(" ", "")
        if not text and h.seg + 1 < len(segments) and segments[h.seg + 1].line == seg.line:
            # A label split over two cells or by a wide gap ("処方 | 内容").
            nxt = segments[h.seg + 1].text.replace(" ", "")
            for longer in LABELS.get(h.field, ()):
                if (
                    longer != label_text
                    and longer.startswith(label_text)
                    and nxt.startswith(longer[len(label_text) :])
                ):
                    skip_next.add(h.seg + 1)
                    break
        parts: list[tuple[str, Box | None, float]] = []
        if text:
            box, conf = seg.span(offset, offset + len(text))
            parts.append((text, box, conf))
        if not later:
            parts += _following(segments, h, by_seg, first_empty=not text, skip=skip_next)
        if not parts:
            continue
        lines = [p[0] for p in parts]
        boxes = [p[1] for p in parts if p[1] is not None]
        value = Value(
            text=" ".join(lines),
            box=_union(boxes),
            conf=min(p[2] for p in parts),
            lines=lines,
        )
        ordered.append((h, value))
    return ordered


def _union(boxes: list[Box]) -> Box | None:
    return union(boxes) if boxes else None


# Fields whose value may run over several lines below the label.
MULTILINE = {
    "diagnoses",
    "current_illness",
    "medications",
    "allergies",
    "notes",
    "advance_directive",
    "address",
    "facility_name",
    "adl",
    "vitals",
    "key_person",
}


# A segment of nothing but strokes and dots: the page's edge, a rule's
# remnant or a speck, never text (a dash is kept: it can stand for "none").
SPECK_LINE = re.compile(r"[|¦!'`\"_.,:;~^°・]{1,3}")


def _following(
    segments: list[Segment],
    h: Hit,
    by_seg: dict[int, list[Hit]],
    *,
    first_empty: bool,
    skip: set[int],
) -> list[tuple[str, Box | None, float]]:
    """Segments after the label's own that still belong to its value."""
    parts: list[tuple[str, Box | None, float]] = []
    label_seg = segments[h.seg]
    line = label_seg.line
    i = h.seg + 1
    if i in skip:
        i += 1  # the rest of the label itself
    # The rest of the label's own line (a table row: label cell, value cell).
    value_cell = None if first_empty else label_seg.cell
    next_label = False
    while i < len(segments) and segments[i].line == line:
        if i in by_seg and any(o.start <= 1 for o in by_seg[i]):
            next_label = True
            break
        s = segments[i]
        if h.field in MULTILINE and SPECK_LINE.fullmatch(squash(s.text)):
            # The page's edge or a speck beyond a wide gap ("【内服薬】   |");
            # a short value's "|" can be its numeral (認知症自立度: Ⅰ).
            i += 1
            continue
        if label_seg.cell is None and s.cell is None and not first_empty:
            # Read as lines: a wide gap on the same line is still this value
            # ("住所:〒701-6971    岡山県…").
            parts.append((s.text.strip(), s.box, s.span(0, len(s.text))[1]))
        elif first_empty or parts:
            if value_cell is None:
                value_cell = s.cell
            elif s.cell != value_cell:
                break  # the next cell of the row without a label of its own
            parts.append((s.text.strip(), s.box, s.span(0, len(s.text))[1]))
        i += 1
    if value_cell is not None:
        # Read cell by cell: the value is every line of its cell.
        for j in range(i, len(segments)):
            s = segments[j]
            if s.cell == value_cell and not (j in by_seg and any(o.start <= 1 for o in by_seg[j])):
                parts.append((s.text.strip(), s.box, s.span(0, len(s.text))[1]))
        return parts
    if next_label:
        return parts
    if h.field not in MULTILINE and parts:
        return parts
    if h.field not in MULTILINE and not first_empty:
        return parts
    # Following lines: continuation of a cell or a letter's section body.
    value_x = parts[0][1][0] if parts and parts[0][1] else None
    taken = 0
    while i < len(segments):
        s = segments[i]
        if i in by_seg:
            first_hit = min(by_seg[i], key=lambda o: o.start)
            if h.field in MULTILINE and first_hit.start > 1:
                # "甥 伊藤 聡 様 TEL 070-…" below a <キーパーソン> heading: the
                # line belongs to this value up to the next label.
                head = s.text[: first_hit.start].strip()
                if len(head.strip(SECTION_OPEN + " ")) > 1:
                    box, conf = s.span(0, first_hit.start)
                    parts.append((head, box, conf))
            break
        text = s.text.strip()
        plain = squash(text)
        if plain and SPECK_LINE.fullmatch(plain):
            # A rule's remnant or a speck read as a line of its own ("|"
            # between two drugs): no part of the value, and no end of it.
            i += 1
            continue
        if not plain or plain in HEADINGS or plain.startswith("以上"):
            break
        if plain[0] in SECTION_OPEN:
            break
        if not h.section and h.field != "vitals" and re.match(r"[^:：]{1,8}[:：]", plain):
            break  # "上:治医:…": a label line whose label OCR garbled
        # In a table the continuation sits under the value, not under the label.
        if value_x is not None and s.box[0] < value_x - 2.5 * max(s.box[3], 10):
            break
        if h.field not in MULTILINE:
            break
        parts.append((text, s.box, s.span(0, len(s.text))[1]))
        taken += 1
        i += 1
        # One value rarely spans more than a dozen lines (a long drug list).
        if taken > 14:
            break
    return parts


# --------------------------------------------------------------------------
# Field parsers: Value → (canonical value, plausibility 0..1, box)
# --------------------------------------------------------------------------

# Kinship and other ties of a key person to the resident, as care sheets
# write them (a closed set: a relation read as anything else is a misread,
# never shown as certain).
RELATIONS = (
    "長男の妻",
    "次男の妻",
    "三男の妻",
    "長男の嫁",
    "次男の嫁",
    "長女の夫",
    "次女の夫",
    "三女の夫",
    "従兄弟",
    "従姉妹",
    "義父",
    "義母",
    "叔父",
    "叔母",
    "伯父",
    "伯母",
    "祖父",
    "祖母",
    "孫娘",
    "長男",
    "次男",
    "三男",
    "長女",
    "次女",
    "三女",
    "息子",
    "娘",
    "妻",
    "夫",
    "孫",
    "甥",
    "姪",
    "兄",
    "弟",
    "姉",
    "妹",
    "父",
    "母",
    "嫁",
    "婿",
    "義妹",
    "義弟",
    "義姉",
    "義兄",
    "成年後見人",
    "後見人",
    "知人",
    "友人",
    "施設長",
)
RELATION_RE = "|".join(sorted((re.escape(r) for r in RELATIONS), key=len, reverse=True))
# A key person's line by its shape: "岡本 伸也(次男) 070-…" or "夫 高橋 勝 様 TEL …".
KP_BRACKETED = re.compile(r"[(（]\s*(?:" + RELATION_RE + r")\s*[)）]")
KP_LEADING = re.compile(r"\s*(?:" + RELATION_RE + r")\s*\S+.*様")
CLINIC_SUFFIX = r"(?:病院|医院|クリニック|診療所|センター)"
# After its label a number may begin with a letter read for a digit
# ("TELO70-…", "TEL0S0-…"), unless a 0 follows it: then the letter was a
# colon or ☎ ("TELO086-…"). Without a label a number must begin with 0.
PHONE_RE = re.compile(
    r"(?:TEL|Tel|tel|電話|☎)\s*[:：]?\s*(?:[O〇](?=0))?(\(?[0O〇][\dOS\s\-()一ー−‐]{8,15}\d)"
    r"|(\(?0[\d\s\-()一ー−‐]{8,15}\d)"
)


@dataclass
class Found:
    value: Any
    score: float
    box: Box | None
    text: str = ""  # the printed text it was parsed from, when a later step needs it
    agreed: bool = False  # the other model read it alike (confirm.py)
    # A word broken inside a run of kanji (_check_wording): a misread the
    # other model may well share, so no second reading confirms it.
    broken: bool = False
    # Another reading on the page contradicts it (the age and the birth
    # date, an onset after the record was written): one of them is misread,
    # and a second reading of the same print, which both models may misread
    # alike, does not settle which.
    disputed: bool = False


# Katakana that OCR reads for the kanji they look like (夕方 as タ方, 脱力
# as 脱カ, 八重 as ハ重): one standing alone among kanji, with no kana of its
# own script beside it, is the kanji. カ after a digit is the counter of
# 3カ月, and stays.
KANJI_LOOKALIKE = {"タ": "夕", "カ": "力", "ハ": "八", "ニ": "二", "ロ": "口", "エ": "工"}


def lone_katakana_to_kanji(text: str) -> str:
    out = list(text)
    for i, ch in enumerate(text):
        kanji = KANJI_LOOKALIKE.get(ch)
        if kanji is None:
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if nz.is_katakana(before) or nz.is_katakana(after):
            continue
        if ch == "タ":
            ok = nz.is_kanji(after)  # 夕方, 朝夕食後, 1タ食
        elif ch == "カ" and before.isdigit():
            ok = False
        else:
            ok = nz.is_kanji(before)  # 脱力, 八重, 浩二
        if ok:
            out[i] = kanji
    return "".join(out)


def clean_text(text: str) -> str:
    text = lone_katakana_to_kanji(squash(text))
    # One of a pair of round brackets read as a square or curly one
    # ("(家族同意済み}").
    text = re.sub(r"\(([^()\[\]{}]*)[}\]]", r"(\1)", text)
    text = re.sub(r"[{\[]([^()\[\]{}]*)\)", r"(\1)", text)
    # Leftovers of ruled lines read as characters at the ends of a value.
    text = text.strip().strip("|[]丨｜!").strip()
    # The end of a heading's bracket left before the value (【アレルギー】
    # read as "…)】", the label found in the misread rest): no value starts
    # with a closing bracket.
    text = re.sub(r"^[)）\]】」』〕〉>}]+\s*", "", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" 、,")


# "38℃台" read as "38C台", "38*C台", '38"C台' or "38°*C台": the degree sign
# is lost or misread as one or two specks. Or the whole ℃ read as the kana
# で or て, or a question mark ("38で台", "38てC台", "38?C台"): no word has
# those between a number and 台 ("…degrees range").
CELSIUS_MISREAD = re.compile(
    r"(?<=\d)\s*(?:[*'\"°º゜]{0,2}\s*[CＣ](?![A-Za-z])|[でて?？][CＣ]?(?=\s*台))"
)


def fix_celsius(text: str) -> str:
    return CELSIUS_MISREAD.sub("℃", text)


def written_text(text: str) -> str:
    """A written account (history, notes): cleaned, ℃ put back, and a speck
    set apart after the last full stop dropped ("…処置中。 以": a stamp, a
    pen mark or the next box's edge read as a character or two)."""
    return re.sub(r"(?<=。)\s+\S{1,3}$", "", fix_celsius(clean_text(text)))


def name_score(name: str) -> float:
    """A person's name: a few letters, no digits (else OCR picked up other text)."""
    return 1.0 if 2 <= len(name.replace(" ", "")) <= 10 and not re.search(r"\d", name) else 0.4


def person_name(text: str) -> str | None:
    text = clean_text(text)
    text = re.sub(r"\s*(様|殿|さん|先生)$", "", text)
    # A Latin letter or two before a name in kanji is a speck or a ruled
    # line read as a letter ("K吉田聡"): no Japanese name starts that way.
    text = re.sub(r"^[A-Za-z]{1,2}\s*(?=[\u4e00-\u9fff])", "", text)
    text = text.strip()
    return text or None


def parse_name_block(v: Value) -> dict[str, Found]:
    """'鈴木 茂 様(すずき しげる) 男' → name, kana, sex."""
    out: dict[str, Found] = {}
    text = nz.nfkc(v.text)
    kana = re.search(r"[(（]([ぁ-ゖァ-ヺー\s]+)[)）]", text)
    if kana:
        out["name_kana"] = Found(nz.to_katakana(clean_text(kana[1])), 1.0, v.box)
        text = text[: kana.start()] + " " + text[kana.end() :]
    # A speck after the last word ("男性 !") is no part of the line.
    text = re.sub(r"[^\w)）]+$", "", text)
    sex = re.search(r"(男性|女性|男|女)\s*$", text)
    if sex and not re.search(r"男.*女|女.*男", text):
        out["sex"] = Found("male" if sex[1].startswith("男") else "female", 1.0, v.box)
        text = text[: sex.start()]
    if "name_kana" not in out and (after := re.search(r"様\s*([ァ-ヺー\s]{2,})[)）]", text)):
        # The opening bracket lost: "石井文子様イシイフミコ)".
        out["name_kana"] = Found(clean_text(after[1]), 0.6, v.box)
    # The honorific ends the name, whatever OCR made of what follows it.
    text = re.split(r"[(（]|様(?=.)", text)[0]
    name = person_name(text)
    if name:
        # A name is a family and a given name: two runs of letters.
        score = name_score(name)
        out["name"] = Found(name, score, v.box)
    return out


# The kinds of home a care-home sheet names, as Japanese law names them:
# the sender's type is printed in full before the home's own name.
FACILITY_TYPES = (
    "介護老人保健施設",
    "特別養護老人ホーム",
    "有料老人ホーム",
    "住宅型有料老人ホーム",
    "介護付き有料老人ホーム",
    "サービス付き高齢者向け住宅",
    "グループホーム",
    "ケアハウス",
    "小規模多機能型居宅介護",
    "介護医療院",
    "養護老人ホーム",
)
CLINIC_KINDS = ("クリニック", "診療所", "医院", "病院")


def _fix_fuzzy_part(text: str, words: tuple[str, ...], *, at_end: bool) -> str:
    """The text with a misread known word at its start (or end) put right:
    one wrong character in a short word, two in a long one; in a word of
    five or more, one of them may be a character read in or left out
    (クリニッフク, サビス付き)."""
    squashed = text.replace(" ", "")
    if any(squashed.endswith(w) if at_end else squashed.startswith(w) for w in words):
        return text
    for word in sorted(words, key=len, reverse=True):
        n = len(word)
        if n < 3:
            continue  # never in a two-letter word (any X院 would become 医院)
        allowed = 1 if n < 8 else 2
        # Substitutions only; a shifted length only in longer words.
        spans = (n, n + 1, n - 1) if n >= 5 else (n,)
        for m in spans:
            part = squashed[-m:] if at_end else squashed[:m]
            if len(squashed) <= m:
                continue
            wrong = (
                sum(a != b for a, b in zip(part, word, strict=False))
                if m == n
                else _edit_distance(part, word)
            )
            if wrong <= allowed:
                return squashed[:-m] + word if at_end else word + squashed[m:]
    return text


# A value put right by a shape rule (a kind of home, a prefecture) is a
# good guess, never certain.
REPAIRED = 0.6


def repaired(score: float, read: str, fixed: str) -> float:
    """The score of ``fixed``: as read when no repair was needed, else capped."""
    return score if fixed == read else min(score, REPAIRED)


def fix_facility_name(name: str) -> str:
    """ "介護老人保伴施設 晴れの国" → 介護老人保健施設; "さく5" → さくら (a
    handwritten ら read as 5 between kana)."""
    fixed = _fix_fuzzy_part(name, FACILITY_TYPES, at_end=False)
    return re.sub(r"(?<=[ぁ-ゖ])5(?=[ぁ-ゖ]|$)", "ら", fixed)


def fix_clinic_name(name: str) -> str:
    """ "小川内科タリニック" → 小川内科クリニック; "大森医陸" → 大森医院 (the
    second character of a two-character kind, when the first was read
    right); "小林内料" → 小林内科; a speck read between a specialty and
    クリニック ("片山内科ク2クリニック")."""
    fixed = _fix_fuzzy_part(name, CLINIC_KINDS, at_end=True)
    # Not 医療, 医師, 医科, nor 医大 (a medical university's hospital).
    fixed = re.sub(r"(?<=[医病])[^院療師科大学\s\d]$", "院", fixed)
    fixed = re.sub(r"(?<=[内外児膚眼])料(?=\s*(?:クリニック|医院|診療所|病院)$)", "科", fixed)
    return re.sub(r"(?<=科)\s*[\dA-Za-zァ-ヶ]{1,2}\s*(?=クリニック$)", "", fixed)


MISREAD_SHOWA_REIWA = re.compile(r"(?<![昭令])[^\s\d昭令平大明元]\s*和(?=\s*(?:\d{1,2}|元)\s*年)")


def parse_date_misread_era(text: str, era: str) -> tuple[str | None, float]:
    """A date whose era's first character is misread ("了和7年"), read with
    ``era`` (昭和 or 令和, the eras ending in 和); never surer than 0.6."""
    misread = MISREAD_SHOWA_REIWA.search(text)
    if misread is None:
        return None, 0.0
    iso, p = nz.parse_date(text[: misread.start()] + era + text[misread.end() :])
    return iso, min(p, 0.6)


def parse_birth(v: Value, today_iso: str | None) -> dict[str, Found]:
    out: dict[str, Found] = {}
    # "1936/08/0688歳": the day glued to the age.
    text = nz.unglue_date(nz.nfkc(v.text))
    age = re.search(r"(?:満\s*)?(\d{1,3})\s*歳", text)
    date_text = text[: age.start()] if age else text
    iso, p = nz.parse_date(date_text)
    if iso is None and age:
        # A person aged 7 or more was born in 昭和, not 令和 (begun in 2019).
        iso, p = parse_date_misread_era(date_text, "昭和" if int(age[1]) >= 7 else "令和")
    if iso:
        out["birth_date"] = Found(iso, p, v.box, date_text)
    if age:
        years, pa = nz.parse_age(age[0])
        if years is not None:
            out["age"] = Found(years, pa, v.box)
    if glued := GLUED_DAY_AGE.search(text):
        # "S25.3.1274歳", "S3.4.1 6 97歳": where the day ends and the age
        # begins, only the record's date can tell (_split_day_and_age).
        digits = re.sub(r"\s", "", glued[2])
        out[GLUED_BIRTH] = Found((glued[1], digits), (iso and p) or 0.5, v.box)
    return out


# The day and the age run together: a date up to its last separator, then
# three to five digits (spaces among them) before 歳.
GLUED_DAY_AGE = re.compile(r"(\S*\d[./\-月])\s*(\d(?:\s?\d){2,4})\s*[歳才]")
GLUED_BIRTH = "_birth_glued"


# A postal code's two groups of digits, each with at most one space between
# two of its digits.
POSTAL_3 = r"\d(?:\s?\d){2}"
POSTAL_4 = r"\d(?:\s?\d){3}"


def parse_address(v: Value) -> dict[str, Found]:
    out: dict[str, Found] = {}
    text = nz.nfkc(v.text)
    # The hyphen is often read as a dot, a kanji 一 or lost ("〒714.7066");
    # after the mark, a space may split the digits of a widely spaced font
    # ("〒7 13-8180", "〒7 0 2一7132").
    m = re.search(
        rf"〒\s*({POSTAL_3}\s*[-ー一−‐.・,]?\s*{POSTAL_4})|(\d{{3}}\s*[-ー一−‐]\s*\d{{4}})", text
    )
    if m is None:
        # At the start of an address, 3 + 4 digits with a garbled hyphen.
        m = re.match(r"\s*〒?\s*()(\d{3}\s*\D{1,2}\s*\d{4})(?!\d)", text)
    if m:
        digits = re.sub(r"\D", "", m[1] or m[2])
        postal, p = nz.parse_postal(f"{digits[:3]}-{digits[3:]}")
        if not m[1] and not re.search(r"[-ー一−‐]", m[2]):
            p = min(p, 0.6)  # the hyphen was guessed
        if postal:
            out["postal_code"] = Found(postal, p, v.box)
        text = text[: m.start()] + text[m.end() :]
    text = clean_text(text.replace("〒", ""))
    code = str(out["postal_code"].value) if "postal_code" in out else None
    fixed = fix_address(text, postal=code)
    if fixed:
        score = 1.0 if len(fixed) >= 6 else 0.5
        out["address"] = Found(fixed, repaired(score, text, fixed), v.box)
        if "postal_code" in out:
            out["postal_code"] = _postal_in_prefecture(out["postal_code"], fixed)
            repaired_code = str(out["postal_code"].value)
            if repaired_code != code and fixed == text:
                # The code repaired by one of the prefectures the misread one
                # is close to (周山県, 119 → 719): that prefecture is the one.
                again = fix_address(text, postal=repaired_code)
                if again != fixed:
                    out["address"] = Found(again, repaired(score, text, again), v.box)
    return out


# Each prefecture, in the official (JIS) order, with the first two digits
# of its postal codes (Japan Post numbers them by region: 700-719 are
# Okayama's, 100-208 Tokyo's).
POSTAL_PREFIXES: dict[str, tuple[range, ...]] = {
    "北海道": (range(0, 10),),
    "青森県": (range(3, 4),),
    "岩手県": (range(2, 3),),
    "宮城県": (range(98, 99),),
    "秋田県": (range(1, 2),),
    "山形県": (range(99, 100),),
    "福島県": (range(96, 98),),
    "茨城県": (range(30, 32),),
    "栃木県": (range(32, 33),),
    "群馬県": (range(37, 38),),
    "埼玉県": (range(33, 37),),
    "千葉県": (range(26, 30),),
    "東京都": (range(10, 21),),
    "神奈川県": (range(21, 26),),
    "新潟県": (range(94, 96),),
    "富山県": (range(93, 94),),
    "石川県": (range(92, 93),),
    "福井県": (range(91, 92),),
    "山梨県": (range(40, 41),),
    "長野県": (range(38, 40),),
    "岐阜県": (range(50, 51),),
    "静岡県": (range(41, 44),),
    "愛知県": (range(44, 50),),
    "三重県": (range(51, 52),),
    "滋賀県": (range(52, 53),),
    "京都府": (range(60, 63),),
    "大阪府": (range(53, 60),),
    "兵庫県": (range(65, 68),),
    "奈良県": (range(63, 64),),
    "和歌山県": (range(64, 65),),
    "鳥取県": (range(68, 69),),
    "島根県": (range(69, 70),),
    "岡山県": (range(70, 72),),
    "広島県": (range(72, 74),),
    "山口県": (range(74, 76),),
    "徳島県": (range(77, 78),),
    "香川県": (range(76, 77),),
    "愛媛県": (range(79, 80),),
    "高知県": (range(78, 79),),
    "福岡県": (range(80, 84),),
    "佐賀県": (range(84, 85),),
    "長崎県": (range(85, 86),),
    "熊本県": (range(86, 87),),
    "大分県": (range(87, 88),),
    "宮崎県": (range(88, 89),),
    "鹿児島県": (range(89, 90),),
    "沖縄県": (range(90, 91),),
}
# Not the prefecture's: a misread first digit (7 read as 1: "119-4251" in
# 岡山県) when one other first digit fits, else in doubt. Regions have a
# few codes across their borders, so a mismatch is doubted, never dropped.
POSTAL_REGION_REPAIRED = 0.5
POSTAL_REGION_DOUBT = 0.3


def _postal_in_prefecture(postal: Found, address: str) -> Found:
    """The postal code checked against the address's prefecture, or, when
    the prefecture was misread (周山県), against those one character from
    it (岡山県, 富山県): repaired when one first digit makes it one of
    theirs, else doubted."""
    code = str(postal.value)
    if not code[:2].isdigit():
        return postal
    exact = next((p for p in POSTAL_PREFIXES if address.startswith(p)), None)
    if exact is not None:
        candidates = [exact]
    else:
        candidates = [pref for _, pref in _near_prefectures(address.replace(" ", ""))]
        if not candidates:
            return postal
    if any(int(code[:2]) in r for pref in candidates for r in POSTAL_PREFIXES[pref]):
        return postal
    fits = {
        d
        for pref in candidates
        for d in "0123456789"
        if any(int(d + code[1]) in r for r in POSTAL_PREFIXES[pref])
    }
    if len(fits) == 1:
        return Found(fits.pop() + code[1:], min(postal.score, POSTAL_REGION_REPAIRED), postal.box)
    return Found(code, min(postal.score, POSTAL_REGION_DOUBT), postal.box)


# The 47 prefectures in their official (JIS) order.
PREFECTURES = tuple(POSTAL_PREFIXES)


def fix_address(text: str, *, postal: str | None = None) -> str:
    """Repairs that the shape of a Japanese address allows.

    - a speck read after the last number ("481-4 上:", "11-26 1:");
    - 丁目 with 目 misread ("5丁日", "5丁卓", "4丁上日"), or 丁 ("5」目");
    - a dot between block numbers ("2.23-28");
    - a room number's 号 misread ("402呈");
    - the prefecture with one character misread ("周山県", "岡」県") when
      only one prefecture is that close, or only one of those close is the
      postal code's (周山県 is one character from 岡山県 and 富山県; 〒702
      is Okayama's), and anything read in front of it (a speck, a postal
      code's remains).
    """
    text = re.sub(r"(?<=\d)\s*(?:\s\S|[^\d\s-])?[:：;]$", "", text)
    text = re.sub(r"(?<=\d)丁[^目\d\s](?=\s*\d)", "丁目", text)
    text = re.sub(r"(?<=\d)\s*[」亅JT\]]\s*目(?=\s*\d)", "丁目", text)
    text = re.sub(r"(?<=\d)丁上日(?=\s*\d)", "丁目", text)  # 目 read as two
    # Block numbers are joined by dashes; a dot between digits is one misread
    # ("富岡2.23-28").
    text = re.sub(r"(?<=\d)\s*[.．・]\s*(?=\d)", "-", text)
    # A room number's 号 misread (コーポ備中402呈): three digits after a
    # building's name, not a block number's last part (1-2-345), then one
    # character to end the address.
    text = re.sub(r"(?<=[^\d\s\-−ー一]\d{3})\s*[^\d\s号番地]$", "号", text)
    squashed = text.replace(" ", "")
    head = squashed[:12]
    exact = [(head.find(p), p) for p in PREFECTURES if p in head]
    if exact:
        at = min(exact)[0]
        return squashed[at:] if at else text
    near = _near_prefectures(squashed)
    if len(near) > 1 and postal and postal[:2].isdigit():
        near = [n for n in near if any(int(postal[:2]) in r for r in POSTAL_PREFIXES[n[1]])]
    if len(near) == 1:
        lead, pref = near[0]
        return pref + squashed[lead + len(pref) :]
    return text


def _near_prefectures(squashed: str) -> list[tuple[int, str]]:
    """Prefectures one character from what was read near the start (周山県:
    岡山県 and 富山県), with where each starts."""
    near: list[tuple[int, str]] = []
    for pref in PREFECTURES:
        for lead in range(0, 6):
            part = squashed[lead : lead + len(pref)]
            same_shape = len(part) == len(pref) and part[-1] == pref[-1]
            if same_shape and sum(a != b for a, b in zip(part, pref, strict=True)) == 1:
                near.append((lead, pref))
                break
    return near


def split_phone(text: str) -> tuple[str, Found | None]:
    """Remove a trailing phone number from text; return (rest, phone)."""
    matches = list(PHONE_RE.finditer(text))
    if not matches:
        return text, None
    m = matches[-1]
    phone, p = nz.parse_phone(m[1] or m[2])
    rest = text[: m.start()]
    return rest, (Found(phone, p, None) if phone else None)


UNCLOSED_RELATION = 0.6


def parse_key_person(v: Value) -> dict[str, Found]:
    out: dict[str, Found] = {}
    text = nz.nfkc(v.text)
    text = re.sub(r"(連絡先|電話番号|電話)\s*[:：]?", " TEL ", text)
    text, phone = split_phone(text)
    if phone:
        out["key_person.phone"] = Found(phone.value, phone.score, v.box)
    text = re.sub(r"\b(TEL|Tel|tel)\b|☎", " ", text)
    # What follows the honorific is no part of the name ("鈴木 裕子 様TELO7").
    text = re.sub(r"(?<=\S)\s*(様|殿)(?![(（]).*", "", text)
    relation = None
    m = re.search(r"[(（]\s*(" + RELATION_RE + r"|[^()（）]{1,6})\s*[)）]", text)
    relation_cap = 1.0
    # The closing bracket lost at the end of the line ("小川久美子(長男の妻"):
    # cut short, "(長男" may have been "(長男の妻)".
    if m is None and (m := re.search(r"[(（]\s*(" + RELATION_RE + r")\s*$", text)):
        relation_cap = UNCLOSED_RELATION
    if m:
        relation = m[1]
        # "黒田 直美(孫) ☎…": what follows the relation is the phone part.
        text = text[: m.start()]
    elif empty := re.search(r"[(（]\s*[)）]", text):
        # The relation inside the brackets not read at all ("高田誠()" for
        # 高田誠(甥)): the name ends there; there is no relation to give.
        text = text[: empty.start()]
    else:
        m = re.match(r"\s*(" + RELATION_RE + r")\s*(?=\S\S)", squash(text))
        # A one-kanji relation may be the first kanji of a family name
        # instead (妹尾伸也): not when the two make a word. OCR loses the
        # space after the relation too often ("夫三宅忠様") to ask for it.
        in_word = (
            m is not None and len(m[1]) == 1 and is_word(squash(text)[m.start(1) : m.end(1) + 1])
        )
        if m and not in_word:
            relation = m[1]
            text = squash(text)[m.end() :]
    if relation:
        rel = clean_text(relation)
        score = 1.0 if re.fullmatch(RELATION_RE, rel) else 0.5
        out["key_person.relation"] = Found(rel, min(score, relation_cap), v.box)
    name = person_name(text)
    if name:
        score = name_score(name)
        out["key_person.name"] = Found(name, score, v.box)
    return out


def _drop_glued_relation(kp_name: Found, patient: Found) -> Found:
    """ "姪 田中 浩二" read as "張田中浩二": the misread relation is glued in
    front of a family name the patient shares. It is dropped from the name
    (and not guessed as the relation)."""
    # The family name: up to the space, else its first two letters (most
    # Japanese family names have two).
    spaced = str(patient.value).split(" ")
    family = spaced[0] if len(spaced) > 1 else spaced[0][:2]
    name = str(kp_name.value).replace(" ", "")
    at = name.find(family)
    if len(family) < 2 or at not in (1, 2):
        return kp_name
    return Found(name[at:], min(kp_name.score, 0.6), kp_name.box)


# A letter's "主治医: 〇〇病院 〇〇 先生" with its label misread (導治隊, キ治区,
# 計治降: the middle 治 or a 医 survives), told by its shape: a short label
# with 主, 治 or 医, a colon, and a doctor's name ending in 先生. The
# addressee's line ("…担当医 先生 御侍史") is no such line.
PHYSICIAN_LINE = re.compile(
    r"\s*\S?[主治医]\S{0,3}\s*[:：]\s*(?!.*(?:侍史|御中|机下))(.+?先生)\s*$"
)


def parse_physician(v: Value, *, has_clinic_label: bool) -> dict[str, Found]:
    """'林内科クリニック 林 健次 先生' → clinic and physician; or the name alone."""
    out: dict[str, Found] = {}
    text = clean_text(v.text)
    if not has_clinic_label:
        m = re.match(r"(.+?" + CLINIC_SUFFIX + r")\s*(.*)$", text)
        if m:
            out["clinic_name"] = Found(m[1], 0.9, v.box)
            text = m[2]
        elif (loose := re.match(r"(.+[院所])\s*(\S.+)$", text)) and len(loose[2]) >= 3:
            # The kind misread but for its last character (水島中央交院):
            # the name after it is still the doctor's; the clinic is doubtful.
            out["clinic_name"] = Found(loose[1], REPAIRED / 2, v.box)
            text = loose[2]
    name = person_name(text)
    if name:
        score = name_score(name)
        out["primary_physician"] = Found(name, score, v.box)
    return out


# The answer alone at the start of a DNAR row whose "DNAR" was taken as the
# row's label ("DNAR | 有。施設での看取りを希望。"): the decision, not the wish.
LEAD_ANSWER = re.compile(r"(同意あり|あり|有り?|なし|無し?)(?:[。、,.]|\s+|$)")
# The same answer with the gap before the wish lost ("なし心肺蘇生を含む…"):
# only a kana answer, and only before kanji or katakana, so that a wish
# that starts with 有 or 無 (有料老人ホームで…) or a phrase like なしの場合
# is not cut.
GLUED_ANSWER = re.compile(r"(同意あり|あり|なし)(?=[\u4e00-\u9fff\u30a1-\u30fa]{2})")


def parse_directive(v: Value) -> dict[str, Found]:
    """DNAR yes/no and the wish in words, from one block of text."""
    out: dict[str, Found] = {}
    raw = clean_text(v.text)
    # nfkc drops the gaps inside Japanese words ("希望 しない"), so phrases
    # match; the lead answer is looked for before, while its gap still shows.
    dnar, p, rest = parse_dnar_text(nz.nfkc(raw))
    if dnar is None and (lead := LEAD_ANSWER.match(raw) or GLUED_ANSWER.match(raw)):
        dnar, p, rest = lead[1][0] in "同あ有", 0.8, nz.nfkc(raw[lead.end() :])
    if dnar is not None:
        out["dnar"] = Found(dnar, p, v.box)
    rest = rest.strip(" 、。,")
    if rest:
        out["advance_directive"] = Found(rest, 0.9, v.box)
    return out


MED_STRENGTH = re.compile(
    r"^(.*?\d+(?:\.\d+)?\s*(?:mg|μg|µg|ug|g|mL|ml|%|IU|mEq|gm)(?:/[a-zA-Z]+)?)\s*(.*)$"
)
# Units are given per dose ("8単位 朝 皮下注", "2錠 分2"): where no strength
# is printed, the name ends where the first amount begins.
MED_AMOUNT = re.compile(r"^(.*?\D)\s*(\d+\s*(?:単位|錠|包|枚|カプセル|本|滴|個|吸入).*)$")
# The dosage form printed between a drug's name and its strength. A lone
# kanji there that is none of these is a misread 錠 (read as 鉄, 伯, 祭, 和 …:
# the tablet is by far the commonest form).
MED_FORMS = "錠散粒液注末丸剤膏薬"
MED_FORM_MISREAD = re.compile(
    r"(?<=[\u30a0-\u30ffA-Za-z\u4e00-\u9fff])([\u4e00-\u9fff])(?=\d+(?:\.\d+)?\s*(?:mg|μg|g)\b)"
)
# The count of a dose: "1鉄 分1", "3伯 分3" are tablets too.
DOSE_COUNT_MISREAD = re.compile(
    r"^(\d{1,2})\s*(?![錠包枚本個滴回単カ分就毎朝昼夕起頓眠日週食寝前後])([\u4e00-\u9fff])"
    r"(?=\s*(?:分|就|毎|朝|昼|夕|起|頓|眠|\d|$))"
)


# 塩 (salt: 塩酸塩 is hydrochloride) next to 酸 is read as another kanji with
# the 土 radical.
SALT_MISREAD = "場培坦埴垣"


# A salt's 酸 (塩酸塩, フマル酸塩, 酒石酸塩) misread as another kanji or
# dropped: between a drug's katakana stem (or 塩, 酒石, 硫) and the 塩 that
# ends its name before the form, Japanese drug names put no kanji but 酸
# (塩琶塩, フマル倒塩, 酒石可塩, 塩塩錠).
_SALT_END = r"塩(?=\s*(?:OD|錠|カプセル|散|顆粒|細粒|注|\d))"
SALT_ACID_MISREAD = re.compile(rf"(?<=[\u30a1-\u30faー塩石硫])(?![酸塩])[\u4e00-\u9fff]{_SALT_END}")
SALT_ACID_DROPPED = re.compile(rf"(?<=[\u30a1-\u30faー]塩){_SALT_END}")


def _fix_drug_name(name: str) -> str:
    """Misreads inside a drug's name that its form makes certain."""
    name = re.sub(rf"[{SALT_MISREAD}](?=酸)", "塩", name)
    name = re.sub(rf"(?<=酸)[{SALT_MISREAD}]", "塩", name)
    name = SALT_ACID_MISREAD.sub("酸塩", name)
    name = SALT_ACID_DROPPED.sub("酸塩", name)
    # A P read beside the D of an orally disintegrating form ("ハルナールDP錠",
    # "メマリーOPD錠"): no form is called DP or PD.
    name = re.sub(r"(?<=[\u30a1-\u30faーO])(?:DP|PD)(?=錠)", "D", name)
    # OD (orally disintegrating) read with a zero or two: "ランソプラゾール0D錠",
    # "塩酸塩00錠". No number stands right before 錠 in a drug's name (its
    # strength follows the form), so these are letters.
    name = re.sub(r"(?<![\d.])[0O](?:D|0)(?=錠)", "OD", name)
    # A speck read as a letter between the form and the strength: "錠g20mg".
    return re.sub(r"(?<=錠)[A-Za-z](?=\d)", "", name)


def parse_medications(v: Value) -> tuple[list[dict[str, str]], float]:
    meds: list[dict[str, str]] = []
    score = 1.0
    for line in v.lines:
        text = clean_text(line)
        text = re.sub(r"^\s*(?:\d{1,2}\s*[.．)、]|[①-⑳])\s*", "", text)
        if not text:
            continue
        # A handwritten g is read as s, q, 9 or e after a strength ("35ms").
        text = re.sub(r"(?<=\d)\s*m[sq9e](?![a-zA-Z])", "mg", text)
        m = MED_STRENGTH.match(text) or MED_AMOUNT.match(text)
        if m:
            name, dose = m[1], m[2]
        else:
            name, _, dose = text.partition(" ")
            score = min(score, 0.6)
        # μ is read as u or n; no drug strength is printed in ng on a
        # Japanese prescription.
        name = re.sub(r"(?<=\d)[un]g", "μg", name.replace(" ", ""))
        # A μ lost or misread after a tablet or capsule ("S錠50g", "50&g"): no
        # tablet holds grams of a drug; powders (散, 顆粒) do and stay.
        read = name
        # μ read as a Latin letter or sign less like it ("50Hg", "50zg",
        # "50xg", "50/g"): likely, not certain (mmHg follows an m, not a digit).
        name = re.sub(r"(?<=\d)[Hhzsyx/]g(?![a-zA-Z])", "μg", name)
        # The form first: "0D鉄15mg" shows its OD only once 鉄 is 錠.
        name = MED_FORM_MISREAD.sub(lambda f: f[1] if f[1] in MED_FORMS else "錠", name)
        name = _fix_drug_name(name)
        name, lost_mu = re.subn(r"(?<=錠|ル)(\d+(?:\.\d+)?)\s*[&$^*]?g$", r"\1μg", name)
        dose = re.sub(r"\s+", " ", dose).strip()
        dose, count_fixed = DOSE_COUNT_MISREAD.subn(r"\1錠", dose)
        if lost_mu or count_fixed or name != read:
            # A repair is a likely reading, not a certain one.
            score = min(score, 0.6)
        if not re.search(r"[錠包枚mgμ単位カプセル回]|\d", dose):
            score = min(score, 0.6)
        meds.append({"name": name, "dose": dose})
    return meds, score


def strip_onset_prefix(text: str) -> tuple[str, str | None]:
    """'令和7年4月13日 18時20分頃(最終健常確認)、冷汗…' → ('冷汗…', '令和7年…頃')."""
    text = re.sub(r"(?<=[\d/:年月日時分])\s+(?=[\d/:年月日時分(（])", "", text)
    # Joining the digits glued date and time: "2025/08/0711:40".
    text = re.sub(r"(\d{4}/\d{1,2}/)(\d{2})(\d{1,2}(?::|時))", r"\1\2 \3", text)
    m = re.match(
        r"^\s*([^、。]{0,30}?\d+\s*(?:時|:)\s*\d*\s*分?\s*頃?)\s*(?:[(（][^)）]{0,12}[)）])?\s*[、,]?\s*",
        text,
    )
    if m and re.search(r"\d+\s*(?:年|/|月)", m[1]):
        return text[m.end() :], m[1]
    # A time misread ("15叶40分頃(発症)、"): still a when-clause, not the
    # illness; too garbled to be trusted as the onset time.
    m = re.match(
        r"^\s*[^、。]{0,40}?\d[^、。]{0,3}(?:頃|分)\s*[(（][^)）]{0,12}[)）]\s*[、,.]*\s*", text
    )
    if m:
        return text[m.end() :], None
    return text, None


# "心肺蘇生" is often misread ("心肺骨生", "心族角生"): the characters before
# 生 are allowed to be anything.
DNAR_NO = re.compile(
    r"フルコード\s*(?:[(（]\s*DNAR\s*(?:なし|無し?)\s*[)）])?|DNAR\s*[:：]?\s*(?:なし|無し?)"
    r"|心.{0,3}生を希望する|蘇生処置を希望する"
)
DNAR_YES = re.compile(
    r"心.{0,3}生を希望しない\s*(?:[(（]\s*DNAR\s*[)）])?"
    r"|DNAR\s*[:：]?\s*(?:同意\s*あり|あり|有り?)"
)


def parse_dnar_text(text: str) -> tuple[bool | None, float, str]:
    """DNAR yes/no from the words, and the rest of the text (the wish itself).

    The decision is anchored at the start of the block, where forms print
    it; a phrase found later is weaker evidence (it may be a quotation).
    """
    for pattern, answer in ((DNAR_NO, False), (DNAR_YES, True)):
        m = pattern.match(text)
        if m:
            return answer, 1.0, text[m.end() :].lstrip(" 。、,")
    for pattern, answer in ((DNAR_NO, False), (DNAR_YES, True)):
        m = pattern.search(text)
        if m:
            return answer, 0.6, text
    return None, 0.0, text


# A temperature's decimal point as OCR reads it (normalise.parse_temperature
# takes each).
TEMP_POINT = "[.,・·･-]"
# Single-letter abbreviations (P, R) only count when they stand alone:
# "BP" holds a P and "HR" an R.
VITAL_PATTERNS: dict[str, re.Pattern[str]] = {
    # The point may be read as a middle dot or a hyphen (36・4て, 36-8°C):
    # stopping at it had read 36.0.
    "temperature_c": re.compile(
        rf"(?:体温|BT|KT)\s*[:：]?\s*(\d{{2}}\s*{TEMP_POINT}?\s*\d?)(?!\d)\s*(?:℃|°C|度|で|C)?"
    ),
    "bp": re.compile(r"(?:血圧|BP|Bp)\s*[:：]?\s*(\d{2,3}\s*[/／]\s*\d{2,3})"),
    "heart_rate": re.compile(
        r"(?:脈拍数?|心拍数?|HR|PR|(?<![A-Za-z])P)\s*[:：]?\s*(\d{2,3})(?!\d|\s*[/／.]\s*\d)"
    ),
    # "SpO02", "spoz", "5pO2": an O read twice, the 2 read as z, the S as 5.
    "spo2": re.compile(r"(?:[Ss5][Pp]\s*[O0o〇]{1,2}\s*[2zZ])\s*[:：]?\s*(\d{2,4}\s*%?)"),
    "resp_rate": re.compile(
        r"(?:呼吸数?|RR|(?<![A-Za-z])R)\s*[:：]?\s*(\d{1,2})(?!\d|\s*[/／.]\s*\d)"
    ),
    "jcs": re.compile(
        r"(?:JCS|(?<![GEA-Za-z])[\]|lI1]CS)\s*[:：]?\s*(\d\s*[-ー一−]\s*\d{1,3}|[^\s\d、,()（）-]{0,3}\s*[-ー一−]?\s*\d{1,3})"
    ),
    # The motor score may be a letter for a digit ("M e" for M6 at a line's
    # wrap), which parse_gcs reads.
    "gcs": re.compile(r"GCS\s*[:：]?\s*(E\s*\d\s*V\s*\w\s*M\s*[\dlI|SsGbe])"),
}


# Inside the vitals block a label's first character is often misread
# ("各圧 136/87", "有拍 98", "画吸 28"): the last one still tells the sign.
# Only there: on the whole page "圧" also ends 高血圧.
VITAL_LABELS_LOOSE: dict[str, re.Pattern[str]] = {
    "temperature_c": re.compile(rf"温\s*[:：]?\s*(\d{{2}}\s*{TEMP_POINT}?\s*\d?)(?!\d)"),
    "bp": re.compile(r"圧\s*[:：]?\s*(\d{2,3}\s*[/／]\s*\d{2,3})"),
    "heart_rate": re.compile(r"拍数?\s*[:：]?\s*(\d{2,3})(?!\d|\s*[/／.]\s*\d)"),
    "resp_rate": re.compile(r"吸数?\s*[:：]?\s*(\d{1,2})(?!\d|\s*[/／.]\s*\d)"),
    # "J)CS T-20", "生族CS 陳-200": J garbled or lost (never GCS's CS).
    "jcs": re.compile(
        r"(?:J\W?|(?<![GEA-Za-z]))CS\s*[:：]?\s*(\d\s*[-ー一−]\s*\d{1,3}|[^\s\d、,()（）-]{0,3}\s*[-ー一−]?\s*\d{1,3})"
    ),
}
# A blood pressure by its unit when the label is lost; its slash read as 7
# or 1 ("99752mmHg") is tried where both halves stay plausible.
BP_BY_UNIT = re.compile(r"(?<![\d/])(\d{2,3})\s*([/／71])\s*(\d{2,3})\s*mm\s*H[gq]")


def _bp_by_unit(text: str) -> tuple[tuple[int, int], float] | None:
    for m in BP_BY_UNIT.finditer(text):
        bp, p = nz.parse_bp(f"{m[1]}/{m[3]}")
        if bp:
            return bp, min(p, 0.7 if m[2] in "/／" else 0.5)
    return None


# Inside the vitals block a value whose label was lost altogether (血圧 read
# as "mg", 脈拍 as "誠折" where handwriting sits above the printed labels)
# still tells its sign by its shape or unit: two numbers across a slash are
# a blood pressure, "bpm" a heart rate, "%" an oxygen saturation, "℃" a
# temperature. Each is taken only when its parser finds the value plausible
# and no labelled reading of the sign was found; a date in the block
# ("10/22") is no plausible blood pressure.
VITAL_BY_SHAPE: dict[str, re.Pattern[str]] = {
    "bp": re.compile(r"(?<![\d/.:])(\d{2,3}\s*[/／]\s*\d{2,3})(?![\d/.:])"),
    "heart_rate": re.compile(r"(?<![\d.])(\d{2,3})\s*(?:bpm|拍\s*/\s*分)", re.IGNORECASE),
    "spo2": re.compile(r"(?<![\d.])(\d{2,3}\s*%)"),
    # ℃ handwritten is read as で, て or C ("39.7でて").
    "temperature_c": re.compile(rf"(?<![\d.])(\d{{2}}\s*{TEMP_POINT}\s*\d)\s*(?:℃|°C|度|で|て|C)"),
}
BY_SHAPE = 0.6


FREE_TEXT = frozenset({"advance_directive", "current_illness", "notes", "adl"})


def _speck_text(text: str) -> bool:
    """A few letters or signs without one Japanese character."""
    squashed = text.replace(" ", "")
    return len(squashed) <= 3 and not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", squashed)


def parse_vitals(
    text: str, box: Box | None, conf: float, *, block: bool = False
) -> dict[str, Found]:
    """Vital signs in a text; ``block``: the text is the vitals block itself."""
    out: dict[str, Found] = {}
    text = squash(text)
    taken: list[tuple[int, int]] = []  # where the values read were printed
    for key, pattern in VITAL_PATTERNS.items():
        m = pattern.search(text)
        label_conf = conf
        if not m and block and key in VITAL_LABELS_LOOSE:
            m = VITAL_LABELS_LOOSE[key].search(text)
            label_conf = min(conf, 0.7)
        if not m:
            if key == "bp" and block and (by_unit := _bp_by_unit(text)):
                (sys_, dia), p = by_unit
                out["vitals.bp_systolic"] = Found(sys_, min(p, conf), box)
                out["vitals.bp_diastolic"] = Found(dia, min(p, conf), box)
                continue
            if not (block and key in VITAL_BY_SHAPE):
                continue
            m = VITAL_BY_SHAPE[key].search(text)
            if not m:
                continue
            label_conf = min(conf, BY_SHAPE)
        raw = m[1]
        taken.append(m.span(1))
        if key == "bp":
            bp, p = nz.parse_bp(raw)
            if bp:
                out["vitals.bp_systolic"] = Found(bp[0], min(p, label_conf), box)
                out["vitals.bp_diastolic"] = Found(bp[1], min(p, label_conf), box)
            continue
        parser = {
            "temperature_c": nz.parse_temperature,
            "heart_rate": nz.parse_pulse,
            "spo2": nz.parse_spo2,
            "resp_rate": nz.parse_resp_rate,
            "jcs": nz.parse_jcs,
            "gcs": nz.parse_gcs,
        }[key]
        value, p = parser(raw)
        if value is not None:
            out[f"vitals.{key}"] = Found(value, min(p, label_conf), box)
    if block and "vitals.resp_rate" not in out and (resp := _rate_by_unit(text, taken, RESP)):
        out["vitals.resp_rate"] = Found(resp, min(conf, RATE_BY_UNIT_SCORE), box)
    if block and "vitals.heart_rate" not in out and (pulse := _rate_by_unit(text, taken, PULSE)):
        out["vitals.heart_rate"] = Found(pulse, min(conf, RATE_BY_UNIT_SCORE), box)
    if "vitals.jcs" not in out and "清明" in text:
        out["vitals.jcs"] = Found(0, min(0.9, conf), box)
    return out


# A rate per minute ("28回/分", "24/分"; 分 often misread: "/人が", "/委").
PER_MINUTE = re.compile(r"(?<![\d./])(\d{1,3})\s*回?\s*/\s*(?=[分人委和])")
# Rates per minute only one sign has: above 40 breaths a pulse is as
# likely; below 8 (rare) a digit more likely lost ("15回/分" read as
# "5/人が"); a pulse of 40 or less is as rare.
RESP = range(8, 41)
PULSE = range(41, 251)
# Told by unit and elimination only: less sure than by a shape.
RATE_BY_UNIT_SCORE = 0.5


def _rate_by_unit(text: str, taken: list[tuple[int, int]], span: range) -> int | None:
    """A breathing rate or pulse whose label was lost: the one rate per
    minute in the block, in the sign's range, that no other sign's label
    claimed (the pulse's "脈拍 90/分" is the pulse)."""
    rates = [
        int(m[1])
        for m in PER_MINUTE.finditer(text)
        if not any(a < m.end(1) and m.start(1) < b for a, b in taken)
    ]
    fits = [r for r in rates if r in span]
    return fits[0] if len(fits) == 1 else None


ERA_NAMES = ("明治", "大正", "昭和", "平成", "令和")
CARE_LEVEL_RE = re.compile(r"要\s*(?:介\s*護|支\s*援)\s*\d")


def extract(
    segments: list[Segment],
    *,
    marks: dict[str, tuple[object, float, Box]] | None = None,
    today_iso: str | None = None,
) -> dict[str, Found]:
    """All fields found on one page, keyed by field path.

    ``marks`` are answers given by circling or ticking printed options
    (marks.read_marks); they decide fields whose text lists every option.
    """
    marks = marks or {}
    hits = find_labels(segments)
    ordered = values_for(segments, hits)
    values: dict[str, list[Value]] = {}
    for hit, read in ordered:
        values.setdefault(hit.field, []).append(read)
    found: dict[str, Found] = {}

    def put(path: str, f: Found | None) -> None:
        # The first reading of a field wins unless a later one is surer.
        if f is None or f.value is None or f.value == "":
            return
        if isinstance(f.value, str) and not re.search(r"\w", f.value):
            return  # specks read as quotes or symbols ('"®'): no reading at all
        if path in FREE_TEXT and isinstance(f.value, str) and _speck_text(f.value):
            return  # "OR", "Dn": a stamp or a mark read as letters, not a wish
        if f.value == [] and path != "allergies":
            return
        if path not in found or f.score > found[path].score:
            found[path] = f

    def put_all(parsed: dict[str, Found], conf: float) -> None:
        # A value is no surer than the weakest character it was read from.
        for path, f in parsed.items():
            put(path, Found(f.value, min(f.score, conf), f.box, f.text))

    def first(field: str) -> Value | None:
        # An exactly printed label outranks a misread one, then reading order.
        vs = [v for h, v in ordered if h.field == field and not h.fuzzy] or [
            v for h, v in ordered if h.field == field
        ]
        return vs[0] if vs else None

    if v := first("written_date"):
        iso, p = nz.parse_date(v.text)
        if iso is None:
            # A record is written now: of the eras ending in 和 that is 令和.
            iso, p = parse_date_misread_era(v.text, "令和")
        put("written_date", Found(iso, min(p, v.conf), v.box))
    if v := first("name"):
        put_all(parse_name_block(v), v.conf)
    if v := first("name_kana"):
        kana = nz.to_katakana(clean_text(v.text))
        ok = bool(re.fullmatch(r"[ァ-ヺー ]+", kana))
        put("name_kana", Found(kana, min(1.0 if ok else 0.3, v.conf), v.box))
    if v := first("sex"):
        sex, p = nz.parse_sex_text(clean_text(v.text))
        put("sex", Found(sex, min(p, v.conf), v.box))
    if v := first("birth_date"):
        printed_eras = [e for e in ERA_NAMES if e in v.text]
        # One era left legible of the printed options is enough when the
        # options were found circled on the page, unless it is the era of a
        # date written out (昭和4年3月10日: a speck near it is no circle).
        written_out = re.search(r"(?:明治|大正|昭和|平成|令和)\s*(?:\d|元)", v.text)
        options = len(printed_eras) > 1 or (
            printed_eras and "birth_era" in marks and not written_out
        )
        if options:
            # "明治・大正・昭和 14年7月17日": the era is the circled option.
            era = marks.get("birth_era")
            rest = v.text
            for e in printed_eras:
                rest = rest.replace(e, "")
            # What is left of the option list before the year is noise.
            rest = re.sub(r"^[^\d]*", "", rest)
            text_era = circled_in_text(v.text, ERA_NAMES)
            if era is not None:
                text = f"{era[0]}{rest}"
                v = Value(text, v.box, min(v.conf, era[1]), [text])
            elif text_era:
                text = f"{text_era}{rest}"
                v = Value(text, v.box, min(v.conf, 0.6), [text])
            else:
                v = Value(rest, v.box, 0.0, [rest])
        put_all(parse_birth(v, today_iso), v.conf)
        if "birth_date" not in found and (m := ERALESS_DATE.search(nz.nfkc(v.text))):
            # No era read (the circled option not found, its print garbled):
            # the year within it may still follow from the age.
            found[ERALESS_BIRTH] = Found((int(m[1]), int(m[2]), int(m[3])), v.conf, v.box)
    if v := first("age"):
        age, p = nz.parse_age(v.text)
        put("age", Found(age, min(p, v.conf), v.box))
    if "age" not in found and (lone := _lone_age(segments)):
        put("age", lone)
    if v := first("address") or _address_by_shape(segments):
        put_all(parse_address(v), v.conf)
    if v := first("facility_name"):
        rest, phone = split_phone(nz.nfkc(v.text))
        name = clean_text(re.sub(r"(TEL|Tel|tel|電話|☎)\s*[:：]?\s*$", "", rest))
        fixed = fix_facility_name(name)
        put("facility_name", Found(fixed, repaired(min(0.9, v.conf), name, fixed), v.box))
        if phone:
            put("facility_phone", Found(phone.value, min(phone.score, v.conf), v.box))
    has_clinic = "clinic_name" in values
    if v := first("clinic_name"):
        clinic = clean_text(v.text)
        fixed = fix_clinic_name(clinic)
        put("clinic_name", Found(fixed, repaired(min(0.9, v.conf), clinic, fixed), v.box))
    if v := first("primary_physician"):
        put_all(parse_physician(v, has_clinic_label=has_clinic), v.conf)
    else:
        for seg in segments:
            if m := PHYSICIAN_LINE.match(nz.nfkc(seg.text)):
                line_box, conf = seg.span(0, len(seg.text))
                doctor = Value(m[1], line_box, conf, [m[1]])
                put_all(parse_physician(doctor, has_clinic_label=False), min(conf, REPAIRED))
                break
    if v := first("diagnoses"):
        items = [clean_text(x) for x in nz.split_list(squash(v.text))]
        put("diagnoses", Found([x for x in items if x], v.conf, v.box))
    onset_from_text: Found | None = None
    if v := first("current_illness"):
        text, onset = strip_onset_prefix(clean_text(v.text))
        if onset:
            iso, p = nz.parse_datetime(onset)
            if iso:
                onset_from_text = Found(iso, min(p, v.conf, 0.9), v.box, onset)
        put("current_illness", Found(written_text(text), v.conf, v.box))
    if v := first("medications") or _medications_by_shape(segments, hits):
        meds, p = parse_medications(v)
        put("medications", Found(meds, min(p, v.conf), v.box))
    if v := first("allergies"):
        items = [clean_text(x) for x in nz.split_list(squash(v.text))]
        items = [x for x in items if x]
        if items or re.fullmatch(r"\s*(特に)?(なし|無し?|ナシ)\s*[。.]?\s*", squash(v.text)):
            # "なし" printed is an answer (no allergies), not a missing field.
            put("allergies", Found(items, v.conf, v.box))
    if v := first("onset_time"):
        written = found["written_date"].value if "written_date" in found else None
        iso, p = nz.parse_datetime(clean_text(v.text), default_date=written)
        put("onset_time", Found(iso, min(p, v.conf), v.box, clean_text(v.text)))
    if onset_from_text and "onset_time" not in found:
        put("onset_time", onset_from_text)
    vitals = values.get("vitals") or [v for v in [_vitals_by_shape(segments)] if v]
    if vitals:
        vs = vitals[0]
        text = " ".join(v.text for v in vitals)
        for k, f in parse_vitals(text, vs.box, vs.conf, block=True).items():
            # The crop a person checks: the sign's own label and value where
            # its label is found in the block, else the whole block.
            own = _vital_box(segments, k)
            in_block = own is not None and vs.box is not None and inside(own, vs.box)
            put(k, Found(f.value, f.score, own if in_block else f.box))
    # Vitals printed outside a vitals block (or under a misread heading).
    whole = " ".join(seg.text for seg in segments)
    conf_all = statistics.median([c.conf for seg in segments for c in seg.chars] or [0.0])
    for k, f in parse_vitals(whole, None, conf_all).items():
        if k not in found:
            put(k, Found(f.value, min(f.score, 0.85), _vital_box(segments, k)))
    if "care_level" in marks:
        level_mark = marks["care_level"]
        put("care_level", Found(level_mark[0], level_mark[1], level_mark[2]))
    elif (v := first("care_level")) and len(CARE_LEVEL_RE.findall(v.text)) <= 1:
        # Several levels printed means a row of check boxes: text cannot tell.
        level, p = nz.parse_care_level(clean_text(v.text))
        put("care_level", Found(level, min(p, v.conf), v.box))
    for key in ("sex", "dnar"):
        # A circled option outranks text that merely lists the options.
        if key in marks:
            value, score, box = marks[key]
            put(key, Found(value, score, box))
    # Without a detected mark, OCR sometimes reads the circle itself as
    # brackets around one option ("男 (女)", "大正・昭和)") or a tick as a
    # character in place of the empty box (口要介護2 久要介護3 口要介護4).
    if "sex" not in found and (v := first("sex")):
        option = circled_in_text(v.text, ("男", "女"))
        if option:
            put("sex", Found("male" if option == "男" else "female", min(0.6, v.conf), v.box))
    if "care_level" not in found and (v := first("care_level")):
        level = ticked_in_text(v.text)
        if level:
            put("care_level", Found(level, min(0.6, v.conf), v.box))
    if v := first("dementia_level"):
        # clean_text strips "|" and "!" as leftovers of ruled lines; alone in
        # the value they are the Ⅰ itself.
        text = clean_text(v.text) or v.text.strip()
        level, p = nz.parse_dementia_level(text)
        if level is None and len(v.text.split()) > 1:
            # The next label misread runs into the value ("! 補保険者番号"):
            # the rank is one short token (taken before clean_text, which
            # strips a "!" that may be the Ⅰ itself).
            text = v.text.split()[0]
            level, p = nz.parse_dementia_level(text)
            p = min(p, 0.6)
        if level is None and re.fullmatch(r"[A-Za-z1|!\[\]]{0,3}[ab]", text.replace(" ", "")):
            # A numeral misread ("Tb", "Ib"): the image count decides (pipeline).
            level, p = "Ⅰ", 0.1
        put("dementia_level", Found(level, min(p, v.conf), v.box, text))
    if v := first("adl"):
        put("adl", Found(clean_text(v.text), min(0.9, v.conf), v.box))
    if v := first("insurance_number"):
        number, p = nz.parse_insurance_number(v.text)
        put("insurance_number", Found(number, min(p, v.conf), v.box))
    for v in values.get("advance_directive", []):
        # "DNAR | 有・無" (circled options) and "意向 | …" can both be printed:
        # the option list is not a wish.
        if re.fullmatch(r"[有無・･\s()（）]*", squash(v.text)):
            continue
        put_all(parse_directive(v), v.conf)
    # Values recognisable by their shape alone, for labels OCR could not read.
    for seg in segments:
        text = squash(seg.text).replace(" ", "")
        seg_box, conf = seg.span(0, len(seg.text))
        if "sex" not in found and re.fullmatch(r"(男|女)性?", text):
            put("sex", Found("male" if text[0] == "男" else "female", min(conf, 0.8), seg_box))
        elif (
            "onset_time" not in found
            and re.search(r"\d\s*(?:時|:)\s*\d", text)
            and re.search(r"\d\s*(?:年|/)\s*\d", text)
            and len(text) <= 30
        ):
            # A date with a time of day, alone in its cell: when it happened.
            iso, p = nz.parse_datetime(text)
            if iso:
                put("onset_time", Found(iso, min(p, conf, 0.7), seg_box, text))
        elif "care_level" not in found and re.fullmatch(r"要(介護[1-5]|支援[12])", text):
            put("care_level", Found(text, min(conf, 0.8), seg_box))
        elif "dnar" not in found and (DNAR_NO.match(text) or DNAR_YES.match(text)):
            for k, f in parse_directive(Value(seg.text, seg_box, conf, [seg.text])).items():
                put(k, Found(f.value, min(f.score, conf, 0.8), seg_box))
    if v := first("key_person"):
        kp = parse_key_person(v)
        if "key_person.name" in kp and "key_person.relation" not in kp and "name" in found:
            kp["key_person.name"] = _drop_glued_relation(kp["key_person.name"], found["name"])
        put_all(kp, v.conf)
    if "key_person.name" not in found:
        # The label misread ("キーパーゾン", "LT LL"): a line with a relation
        # and a phone number is the key person all the same.
        for seg in segments:
            text = nz.nfkc(seg.text)
            if not PHONE_RE.search(text):
                continue
            if KP_BRACKETED.search(text) or KP_LEADING.match(text):
                seg_box, conf = seg.span(0, len(seg.text))
                kp = parse_key_person(Value(seg.text, seg_box, conf, [seg.text]))
                put_all(kp, min(conf, 0.7))
                break
    if v := first("notes"):
        put("notes", Found(written_text(v.text), min(0.9, v.conf), v.box))
    # A bare phone label belongs to what was printed just before it: the
    # facility ("施設名 … 電話 …") or the key person ("… (長男) TEL …").
    owner = ""
    for h, v in ordered:
        if h.field != "phone":
            owner = h.field
            continue
        number, p = nz.parse_phone(v.text)
        if not number:
            continue
        if not number.startswith("0"):
            p = min(p, 0.3)  # Japanese numbers start with 0; a 9 or 6 is a misread
        if owner == "key_person":
            put("key_person.phone", Found(number, min(p, v.conf), v.box))
        elif owner in ("facility_name", "written_date", ""):
            put("facility_phone", Found(number, min(p, v.conf), v.box))
    if "facility_phone" not in found and (
        row_phone := _phone_in_row(segments, hits, "facility_name")
    ):
        put("facility_phone", row_phone)
    if "facility_name" not in found:
        # A letter's sender block: the facility's name sits on the line above
        # its phone number, near the top, without a label.
        for i, seg in enumerate(segments[1:10], start=1):
            if not re.match(r"\s*(TEL|Tel|tel|電話|☎)", seg.text):
                continue
            prev = segments[i - 1]
            text = clean_text(prev.text)
            labelled = any(h.seg == i - 1 and h.end > h.start for h in hits)
            if text and not labelled and not re.search(r"\d", text) and len(text) >= 4:
                sender_box, conf = prev.span(0, len(prev.text))
                put("facility_name", Found(text, min(conf, 0.8), sender_box))
            break
    if "insurance_number" not in found:
        # The number is often printed in boxes or under a misread label; a
        # run of exactly ten digits with no separators is its shape (phone
        # numbers carry hyphens).
        for seg in segments:
            m = re.search(r"(?<![\d-])(\d{10})(?![\d-])", seg.text.replace(" ", ""))
            if m:
                put("insurance_number", Found(m[1], 0.7, seg.box))
                break
    if "written_date" not in found:
        # Letters print their date alone near the top; forms print it with
        # its label after the title, on the title's line ("…シート 記入日…").
        for seg in segments[:6]:
            text = clean_text(seg.text)
            start = 0
            if m := WRITTEN_LABEL_INSIDE.search(text):
                # The box starts after the label as printed (seg.text keeps
                # OCR's spaces, which clean_text took out).
                label = m[0].strip(" :：")
                at = seg.text.find(label)
                text, start = text[m.end() :], (at + len(label) if at >= 0 else 0)
            if 6 <= len(text) <= 22 and re.search(r"\d", text):
                iso, p = nz.parse_date(text)
                if iso:
                    date_box, conf = seg.span(start, len(seg.text))
                    put("written_date", Found(iso, min(p, conf, 0.95), date_box))
                    break
    if "birth_date" not in found and (v := _old_date(segments, found.get("written_date"))):
        put_all(parse_birth(v, today_iso), v.conf)
    _split_day_and_age(found)
    _check_age(found)
    # After the age's check: a birth date made from the age is no evidence for it.
    _birth_by_age(found)
    _check_onset_date(found)
    # Before the name's reading: a name its furigana confirms stays confirmed.
    _check_wording(found)
    _check_name_reading(found)
    _check_gcs_absent(found, segments)
    return found


# Raw scores of written text by how well its kanji make words (reading.
# word_breaks): a word broken inside a run of kanji, or every kanji in words.
WORDING_BROKEN = 0.3
WORDING_WHOLE = 0.85
# Whole words raise only a reading OCR itself did not all but reject: a
# misread kanji can make another real word (蘇生 read as 多生, 本生). With
# fonts the rules were not made on (seeds 7000-7059 drawn in other Debian
# fonts), whole-worded readings with a character below this were right in 8
# of 18 (seeds 1000-1079: 13 of 17); those above it in 32 of 34 (52 of 54).
WORDING_OCR_FLOOR = 0.1
# Written text, where a misread kanji leaves a broken word: on seeds
# 1000-1079, of the readings with a kanji inside a run that no word accounts
# for, none of 121 was right; of the accounts with every kanji in a word
# (and three or more in runs), 61 of 65.
WORDED = ("current_illness", "notes", "advance_directive", "adl", "diagnoses")
# Names and lists of names: a broken word is as telling (0 of 26 right on
# seeds 1000-1079 for these five, 0 of 11 on dev), but proper names are
# words the dictionary may lack, so whole words say little (90 %) and raise
# nothing. Left out: addresses (place names break words in half of the
# right ones) and homes (a home's own name runs on from its kind: 住宅旭水園).
NAMED = ("allergies", "clinic_name", "key_person.name", "name", "primary_physician")


def _check_wording(found: dict[str, Found]) -> None:
    """Written text against a general dictionary (pykakasi's kanwa, no list
    of our own): Tesseract's confidence says little about a kanji it took for
    another, the words around it often do."""
    for path in WORDED + NAMED:
        f = found.get(path)
        if f is None or not f.value:
            continue
        text = "、".join(f.value) if isinstance(f.value, list) else str(f.value)
        inside, ends, in_runs = word_breaks(text)
        if inside:
            f.score = min(f.score, WORDING_BROKEN)
            f.broken = True
        elif (
            not ends
            and in_runs >= 3
            and path in WORDED
            and isinstance(f.value, str)
            and f.score >= WORDING_OCR_FLOOR
        ):
            # Not a list: whole words do not say that no item was lost or
            # run into the next (seeds 1000-1079 had one list to show it).
            f.score = max(f.score, WORDING_WHOLE)


# Anything that may be a Glasgow Coma Scale, however misread: its name
# (GCS, 6CS, GC5), or eye/verbal/motor scores (E4V…, …V5M6).
GCS_TRACE = re.compile(
    r"[GＧ6][CＣ][SＳ5]|グラスゴー|[EＥ]\s*[(（]?\s*\d\s*[)）]?\s*[VＶ]|[VＶ]\s*[(（]?\s*\d\s*[)）]?\s*[MＭ]",
    re.IGNORECASE,
)


def _check_gcs_absent(found: dict[str, Found], segments: list[Segment]) -> None:
    """Most sheets give the JCS alone; the GCS is then simply not there. When
    the JCS was read and nothing on the page looks like a GCS, say so with the
    JCS's own score (the line was legible), so that "no GCS" can be shown as
    certain where it is; a found value or any trace of one leaves it unknown.
    On seeds 1000-1079, printed sheets with a JCS and no trace had no GCS in
    25 of 25; hand-filled ones in 7 of 11, which their calibration keeps low.
    """
    jcs = found.get("vitals.jcs")
    if "vitals.gcs" in found or jcs is None:
        return
    if any(GCS_TRACE.search(seg.text) for seg in segments):
        return
    found["vitals.gcs"] = Found(None, jcs.score, None)


# Raw score of a record date that the onset date confirms.
DATES_AGREE = 0.95


def _check_onset_date(found: dict[str, Found]) -> None:
    """The onset date against the date the sheet was written.

    An emergency sheet is written the day the illness began or the day
    after: two dates read apart that are that close confirm the record date
    (a misread digit of either moves one by months or years). The onset's
    time of day is not confirmed by that (on seeds 1000-1079, 2 of 52 such
    onsets had a misread time), so its score stays. An onset after the
    writing is impossible: one of the two is misread. Further apart says
    nothing (a fever can start days before). Only an onset whose own date
    was printed counts: a bare time took the record date.
    """
    onset, written = found.get("onset_time"), found.get("written_date")
    if onset is None or written is None or nz.parse_datetime(onset.text)[0] is None:
        return
    try:
        days = (
            dt.date.fromisoformat(str(written.value)) - dt.date.fromisoformat(str(onset.value)[:10])
        ).days
    except ValueError:
        return
    if days < 0:
        onset.score = min(onset.score, 0.3)
        written.score = min(written.score, 0.3)
        onset.disputed = written.disputed = True
    elif days <= 1:
        written.score = max(written.score, DATES_AGREE)


# Raw score of a name and furigana that confirm each other: above any
# single reading's, so the calibration fits it as a level of its own.
NAME_CONFIRMED = 0.99
# The same, once the furigana's small kana or ゛/゜ is put right by the name's
# reading.
NAME_REPAIRED = 0.95
# A name that cannot be read as the furigana read beside it: on seeds
# 1000-1079 the kanji was the misread one in 12 of 17 such pairs, the kana in
# the other 5.
NAME_DISPUTED = 0.7


def _check_name_reading(found: dict[str, Found]) -> None:
    """The name in kanji against its furigana: two independent readings.

    When the kana is a reading of the kanji, both are right (42 of 42 such
    pairs on seeds 1000-1079); when it is not, the kanji is the likelier
    misread and is not to be trusted without a look.
    """
    name, kana = found.get("name"), found.get("name_kana")
    if name is None or kana is None:
        return
    if reads_as(str(name.value), str(kana.value)):
        name.score = max(name.score, NAME_CONFIRMED)
        kana.score = max(kana.score, NAME_CONFIRMED)
    elif (reading := reading_like(str(name.value), str(kana.value))) is not None:
        # They agree but for kana OCR tells apart only by size or by its
        # mark (ヒラマッ, キョコ, サプロウ): the kanji's reading puts them right.
        name.score = max(name.score, NAME_REPAIRED)
        found["name_kana"] = Found(reading, NAME_REPAIRED, kana.box, kana.text)
    else:
        name.score = min(name.score, NAME_DISPUTED)


def _read_of(group: list[Segment]) -> tuple[Box | None, float]:
    """Box and weakest character confidence of whole segments (a cell's
    lines, or one segment)."""
    spans = [seg.span(0, len(seg.text)) for seg in group]
    return _union([b for b, _ in spans if b is not None]), min((c for _, c in spans), default=0.0)


def _cells_or_lines(segments: list[Segment]) -> dict[tuple[str, int], list[Segment]]:
    """The segments grouped by table cell, or by text line outside tables,
    in reading order."""
    groups: dict[tuple[str, int], list[Segment]] = {}
    for seg in segments:
        key = ("cell", seg.cell) if seg.cell is not None else ("line", seg.line)
        groups.setdefault(key, []).append(seg)
    return groups


def _vitals_by_shape(segments: list[Segment]) -> Value | None:
    """The vitals block when its label (バイタル) was not read: the table
    cell or line where the most signs are found by their own labels, if
    two or more are."""
    best: tuple[int, list[Segment]] | None = None
    for group in _cells_or_lines(segments).values():
        text = squash(" ".join(seg.text for seg in group))
        signs = sum(bool(p.search(text)) for p in VITAL_PATTERNS.values())
        if signs >= 2 and (best is None or signs > best[0]):
            best = (signs, group)
    if best is None:
        return None
    group = best[1]
    box, conf = _read_of(group)
    return Value(" ".join(seg.text for seg in group), box, conf, [seg.text for seg in group])


# A date this many years before the sheet's is the birth date: nothing
# else on a transfer sheet lies so far back (records and onsets are recent).
BIRTH_YEARS_BACK = 40
OLD_DATE_SCORE = 0.6


def _old_date(segments: list[Segment], written: Found | None) -> Value | None:
    """The birth date's value when its label was not read: the one segment
    holding a full date at least BIRTH_YEARS_BACK years before the sheet's
    date (or this year's)."""
    year = int(str(written.value)[:4]) if written else dt.date.today().year
    olds = []
    for seg in segments:
        text = nz.unglue_date(nz.nfkc(seg.text))
        if not re.search(r"\d.*[年/.,]", text):
            continue
        iso, _ = nz.parse_date(re.split(r"(?:満\s*)?\d{1,3}\s*歳", text)[0])
        if iso and int(iso[:4]) <= year - BIRTH_YEARS_BACK:
            olds.append(seg)
    if len(olds) != 1:
        return None
    box, conf = _read_of(olds)
    return Value(olds[0].text, box, min(conf, OLD_DATE_SCORE), [olds[0].text])


# A prescription line: a name with a strength, then a count of a dosage
# form ("エリキュース錠2.5mg 2錠 分2 朝夕食後"). Nothing else on a care sheet
# is written so.
PRESCRIPTION_LINE = re.compile(
    r"\S.*?\d+(?:\.\d+)?\s*(?:mg|μg|µg|mL|g)\s*\d{1,2}\s*(?:錠|カプセル|包|枚|本)"
)
MEDICATIONS_SHAPE_SCORE = 0.6


def _medications_by_shape(segments: list[Segment], hits: list[Hit]) -> Value | None:
    """The medication list when its label was misread beyond recognition
    (服薬内容 as "骨共内容"): the first table cell whose lines are
    prescriptions. A cell in a row with a label read is that label's value.
    Outside tables the lines after a heading are its own, so none is taken."""
    labelled_lines = {segments[h.seg].line for h in hits}
    for (kind, _), group in _cells_or_lines(segments).items():
        if kind != "cell" or any(seg.line in labelled_lines for seg in group):
            continue
        lines = [nz.nfkc(seg.text) for seg in group]
        shaped = sum(bool(PRESCRIPTION_LINE.match(squash(line).strip())) for line in lines)
        # All of them, or most when there are several (a misread strength
        # or 錠 leaves a line of a list without the shape).
        if shaped == len(lines) or (shaped >= 2 and 2 * shaped > len(lines)):
            box, conf = _read_of(group)
            return Value("\n".join(lines), box, min(conf, MEDICATIONS_SHAPE_SCORE), lines)
    return None


# An address whose label was not read (a shaded 住所 cell) still has the
# shape of one: the postal mark and code, or a code and then a prefecture.
ADDRESS_SHAPE = re.compile(
    r"\s*(?:〒\s*\d{3}\s*[-ー一−‐.]?\s*\d{4}|\d{3}\s*[-ー一−‐]\s*\d{4}\s*(?=\S{1,3}[都道府県]))"
)
ADDRESS_SHAPE_SCORE = 0.6


def _address_by_shape(segments: list[Segment]) -> Value | None:
    """The first segment that starts like an address, as the address's value."""
    for seg in segments:
        if ADDRESS_SHAPE.match(nz.nfkc(seg.text)):
            box, conf = _read_of([seg])
            return Value(seg.text, box, min(conf, ADDRESS_SHAPE_SCORE), [seg.text])
    return None


# The record date's label inside a line (after the form's title).
WRITTEN_LABEL_INSIDE = re.compile(
    "(?:" + "|".join(map(re.escape, LABELS["written_date"])) + r")\s*[:：]?\s*"
)


# A segment that is nothing but a phone number: hyphens of any width, as
# Tesseract reads them ("0866—91—7466"; split_phone's PHONE_RE, made for a
# number at a line's end, takes no em dash and ignores what follows).
PHONE_ONLY = re.compile(r"[(（]?0[\d\s\-ー一−—–‐()（）]{8,16}")
ROW_PHONE_SCORE = 0.6


def _phone_in_row(segments: list[Segment], hits: list[Hit], field: str) -> Found | None:
    """A phone number standing alone in the label's table row, right of it,
    when its own label (電話, TEL: often on a shaded cell) was not read: on
    a form's facility row the only number is the facility's."""
    rows = {segments[h.seg].line: h.seg for h in hits if h.field == field}
    for line, label_seg in rows.items():
        for seg in segments[label_seg + 1 :]:
            if seg.line != line:
                continue
            text = nz.nfkc(seg.text).strip()
            if not PHONE_ONLY.fullmatch(text):
                continue
            number, p = nz.parse_phone(text)
            if number:
                box, conf = _read_of([seg])
                return Found(number, min(p, conf, ROW_PHONE_SCORE), box)
    return None


# A cell or line that holds nothing but an age ("85歳", "(満85歳)"): its
# label (年齢) was lost, but no other field is written so. Only a value that
# stands alone: "90歳代の妻と二人暮らし" in the notes is no age.
LONE_AGE = re.compile(r"[(（]?\s*満?\s*(\d{2,3})\s*[歳才]\s*[)）]?")
LONE_AGE_SCORE = 0.6


def _lone_age(segments: list[Segment]) -> Found | None:
    """The patient's age from the one segment that is only an age, if exactly
    one is (two would be the patient's and a relative's)."""
    ages = [(m, seg) for seg in segments if (m := LONE_AGE.fullmatch(squash(seg.text).strip()))]
    if len(ages) != 1:
        return None
    m, seg = ages[0]
    age, p = nz.parse_age(m[0])
    if age is None:
        return None
    box, conf = _read_of([seg])
    return Found(age, min(p, conf, LONE_AGE_SCORE), box)


# A hand-filled form's birth date whose circled era was not found: the
# year within the era, month and day ("15年2月11日"), kept until the age
# and the record date can tell the era.
ERALESS_BIRTH = "_birth_eraless"
ERALESS_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def _birth_by_age(found: dict[str, Found]) -> None:
    """The era of an era-less birth date: the one in which the date gives
    the age read on the record's date. Only when exactly one era does, and
    never surer than the age and the dates it came from."""
    eraless = found.pop(ERALESS_BIRTH, None)
    age, written = found.get("age"), found.get("written_date")
    if eraless is None or "birth_date" in found or age is None or written is None:
        return
    year, month, day = eraless.value
    fits = set()
    for era in ERA_NAMES:
        iso, _ = nz.parse_date(f"{era}{year}年{month}月{day}日")
        try:
            if iso is not None and nz.age_at(iso, str(written.value)) == age.value:
                fits.add(iso)
        except ValueError:
            continue
    if len(fits) == 1:
        score = min(eraless.score, age.score, written.score, 0.6)
        found["birth_date"] = Found(fits.pop(), score, eraless.box)


def _split_day_and_age(found: dict[str, Found]) -> None:
    """The birth date's day and the age read as one run of digits: split
    where the date gives the age on the record's date, when exactly one
    split does (1697 → the 16th, 97; the date alone had made it the 1st)."""
    glued = found.pop(GLUED_BIRTH, None)
    written = found.get("written_date")
    if glued is None or written is None:
        return
    head, digits = glued.value
    fits = []
    for k in (1, 2):
        day, age = digits[:k], digits[k:]
        if not 1 <= len(age) <= 3 or (day.startswith("0") and k == 1):
            continue
        iso, _ = nz.parse_date(head + day)
        try:
            if iso is not None and nz.age_at(iso, str(written.value)) == int(age):
                fits.append((iso, int(age)))
        except ValueError:
            continue
    if len(fits) != 1:
        return
    iso, age = fits[0]
    score = min(glued.score, 0.9)
    found["birth_date"] = Found(iso, score, glued.box)
    found["age"] = Found(age, score, glued.box)


def _check_age(found: dict[str, Found]) -> None:
    """Age against birth date: the age printed is the age on the written date.

    When both are read and disagree, one of them is misread and neither is to
    be trusted without a look; when only the age is missing it follows from
    the two dates (never surer than they are, and not shown as certain).
    """
    birth, written = found.get("birth_date"), found.get("written_date")
    if birth is None or written is None:
        return
    try:
        expected = nz.age_at(str(birth.value), str(written.value))
    except ValueError:
        return
    if not 0 <= expected <= 130:
        birth.score = min(birth.score, 0.3)
        birth.disputed = True
        return
    age = found.get("age")
    derived = Found(expected, min(birth.score, written.score, 0.6), birth.box)
    if age is None:
        found["age"] = derived
    elif age.value != expected and _lost_a_digit(age.value, expected):
        # 6 read for 96: a digit lost, not a wrong date (on seeds 1000-3199
        # the dates were right in 14 of 15 such pairs).
        found["age"] = derived
    elif age.value != expected:
        age.score = min(age.score, 0.3)
        birth.score = min(birth.score, 0.3)
        age.disputed = birth.disputed = True
    else:
        # Read three times over (the age, the birth date, the record date)
        # and consistent: two digits misread into exactly the right age is
        # too unlikely to keep the age in doubt.
        age.score = max(age.score, 0.95)


def _lost_a_digit(read: object, expected: int) -> bool:
    """Whether the age read is the expected one with a digit left out."""
    if not isinstance(read, int):
        return False
    a, e = str(read), str(expected)
    return len(a) < len(e) and any(e[:i] + e[i + 1 :] == a for i in range(len(e)))


VITAL_WORDS = {
    "vitals.temperature_c": ("体温", "BT", "KT"),
    "vitals.bp_systolic": ("血圧", "BP"),
    "vitals.bp_diastolic": ("血圧", "BP"),
    "vitals.heart_rate": ("脈拍", "HR", "P"),
    "vitals.spo2": ("SpO2", "SPO2"),
    "vitals.resp_rate": ("呼吸", "RR"),
    "vitals.jcs": ("JCS", "清明"),
    "vitals.gcs": ("GCS",),
}


def _vital_box(segments: list[Segment], path: str) -> Box | None:
    for seg in segments:
        for word in VITAL_WORDS.get(path, ()):
            i = seg.text.find(word)
            # Only where the value follows on the line: a label whose value
            # wrapped to the next line ("JCS" | "III-100") is no crop to check.
            if i >= 0 and len(seg.text[i + len(word) :].strip()) >= 2:
                return seg.span(i, min(len(seg.text), i + len(word) + 8))[0]
    return None


def circled_in_text(text: str, options: tuple[str, ...]) -> str | None:
    """The one option OCR shows inside brackets: a circle read as '(' ')'."""
    text = nz.nfkc(text)
    marked = [
        o
        for o in options
        if re.search(r"[(（]\s*" + re.escape(o) + r"|" + re.escape(o) + r"\s*[)）]", text)
    ]
    return marked[0] if len(marked) == 1 else None


BOX_CHARS = "口ロ□◻"


def ticked_in_text(text: str) -> str | None:
    """The one care level whose box was not read as an empty box character."""
    text = nz.nfkc(text).replace(" ", "")
    levels = list(re.finditer(r"(.?)(要(?:介護|支援)\d)", text))
    if len(levels) < 3:
        return None
    ticked = [m for m in levels if m[1] and m[1] not in BOX_CHARS]
    empty = [m for m in levels if m[1] in BOX_CHARS]
    if len(ticked) == 1 and len(empty) >= len(levels) - 2:
        level, _ = nz.parse_care_level(ticked[0][2])
        return level
    return None
