"""Unit tests of transfer.ocr.normalise: pure functions, no database, no Tesseract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from transfer.ocr import normalise as n

TODAY = date(2025, 10, 1)


def is_exact(p: float) -> bool:
    return p == pytest.approx(1.0)


def is_repaired(p: float) -> bool:
    return 0.0 < p < 1.0


# ---------------------------------------------------------------------------
# nfkc / fix_digits
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("平 松 静 子", "平松静子"),
        ("平\u3000松\u3000静\u3000子", "平松静子"),
        ("０８６－４５４－２４１６", "086-454-2416"),
        ("086一454一2416", "086-454-2416"),
        ("086ー454ー2416", "086-454-2416"),
        ("086 一 454 一 2416", "086-454-2416"),
        ("086―454‐2416", "086-454-2416"),
        ("086−454–2416", "086-454-2416"),
        ("086—454－2416", "086-454-2416"),
        ("ｹｱﾊｳｽ", "ケアハウス"),
        ("ケアハウス", "ケアハウス"),  # ー between kana is a long vowel, not a dash
        ("一郎", "一郎"),  # 一 outside a digit context is the kanji
        ("TEL  086", "TEL 086"),
        ("5mg 1錠", "5mg 1錠"),  # Latin/digit tokens keep their space
        ("アムロジピン 5mg 1 T", "アムロジピン5mg 1 T"),
        ("39.6℃", "39.6°C"),
        ("Ⅲ-300", "III-300"),
        ("  高血圧 \n  糖尿病  ", "高血圧\n糖尿病"),
        ("令和 6 年 2 月", "令和6年2月"),
    ],
)
def test_it_normalises_text(raw: str, expected: str) -> None:
    assert n.nfkc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O86-454-24l6", "086-454-2416"),
        ("〇86", "086"),
        ("○12", "012"),
        ("1o0", "100"),
        ("l4", "14"),
        ("I4", "14"),
        ("|4", "14"),
        ("!4", "14"),
        ("！4", "14"),
        ("Z4", "24"),
        ("B6", "86"),
        ("1S3", "153"),
        ("1q50/01/21", "1950/01/21"),  # a handwritten 9
        ("S13.4.12", "S13.4.12"),  # S at the edge is the Showa era letter
        ("9S", "9S"),
        ("１２３", "123"),
        ("BP l/86", "BP 1/86"),  # a lone confusable linked to a digit
        ("SpO2", "SpO2"),  # glued to letters: a label, not a number
        ("mmHg", "mmHg"),
        ("TEL", "TEL"),
        ("Ol", "Ol"),  # no digit anywhere: left alone
    ],
)
def test_it_fixes_digit_confusions_only_in_numeric_context(raw: str, expected: str) -> None:
    assert n.fix_digits(raw) == expected


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("昭和13年4月12日", "1938-04-12"),
        ("昭和１３年４月１２日", "1938-04-12"),
        ("昭和13.4.12", "1938-04-12"),
        ("S13.4.12", "1938-04-12"),
        ("S13/4/12", "1938-04-12"),
        ("S.13.4.12", "1938-04-12"),
        ("S13年4月12日", "1938-04-12"),
        ("H1.1.8", "1989-01-08"),
        ("平成元年1月8日", "1989-01-08"),
        ("H元.1.8", "1989-01-08"),
        ("平成31年4月30日", "2019-04-30"),
        ("令和元年5月1日", "2019-05-01"),
        ("令和6年2月12日", "2024-02-12"),
        ("R6.2.12", "2024-02-12"),
        ("大正12年1月13日", "1923-01-13"),
        ("T12.1.13", "1923-01-13"),
        ("大正元年7月30日", "1912-07-30"),
        ("明治45年7月29日", "1912-07-29"),
        ("M45.7.29", "1912-07-29"),
        ("明治元年1月1日", "1868-01-01"),
        ("昭和元年12月25日", "1926-12-25"),
        ("昭和64年1月7日", "1989-01-07"),
        ("1938/04/12", "1938-04-12"),
        ("1938-4-12", "1938-04-12"),
        ("1938.4.12", "1938-04-12"),
        ("1938年4月12日", "1938-04-12"),
        ("2024/02/12", "2024-02-12"),
        ("昭和13年(1938年)4月12日", "1938-04-12"),
        ("昭和13年（1938年）4月12日", "1938-04-12"),
        ("昭和13(1938)年4月12日", "1938-04-12"),
        ("1938年(昭和13年)4月12日", "1938-04-12"),
        ("生年月日：昭和13年4月12日生", "1938-04-12"),
        ("昭和 13 年 4 月 12 日", "1938-04-12"),
        ("1938 / 04 / 12", "1938-04-12"),
        ("2024ー02ー12", "2024-02-12"),
        ("2024一02一12", "2024-02-12"),
    ],
)
def test_it_parses_strict_dates_with_full_plausibility(raw: str, expected: str) -> None:
    value, p = n.parse_date(raw, today=TODAY)
    assert value == expected
    assert is_exact(p)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("昭和l3年4月l2日", "1938-04-12"),
        ("1938/O4/l2", "1938-04-12"),
        ("Hl.1.8", "1989-01-08"),
        ("S13.4.I2", "1938-04-12"),
        ("s13.4.12", "1938-04-12"),
        ("昭13.4.12", "1938-04-12"),
        ("平1.1.8", "1989-01-08"),
        ("19380412", "1938-04-12"),
        ("1938年4/12", "1938-04-12"),
        ("昭和 1 3 年 4 月 1 2 日", "1938-04-12"),
        ("1 9 3 8 / 0 4 / 1 2", "1938-04-12"),
        ("昭和7年4月2 2 日", "1932-04-22"),  # not the 2nd: the digits are one number
        ("19487/06/30", "1948-06-30"),  # the first slash read as 7
        ("194806/30", "1948-06-30"),  # the first slash lost
        ("今和6 年10 月23晶", "2024-10-23"),  # 令 read as 今, 日 as 晶
        ("令和6征6月27日", "2024-06-27"),  # 年 read as 征
        ("2025生2月26日", "2025-02-26"),  # 年 read as 生
    ],
)
def test_it_repairs_dates_with_lower_plausibility(raw: str, expected: str) -> None:
    value, p = n.parse_date(raw, today=TODAY)
    assert value == expected
    assert is_repaired(p)


@pytest.mark.parametrize(
    "raw",
    [
        "昭和13年13月1日",  # month 13
        "2024/13/01",
        "2023/02/29",  # not a leap year
        "令和6年2月30日",  # Feb 30
        "昭和13年4月31日",
        "1938/04/00",
        "昭和70年1月1日",  # Showa ended in its 64th year
        "平成32年1月1日",
        "大正16年1月1日",
        "明治46年1月1日",
        "T16.1.1",
        "M46.1.1",
        "S65.1.1",
        "H32.1.1",
        "昭和0年1月1日",
        "1867/12/31",  # before Meiji
        "2030/01/01",  # future
        "令和20年1月1日",  # future
        "",
        "不明",
        "昭和134月12日",  # no boundary between year and month
    ],
)
def test_it_rejects_impossible_or_future_dates(raw: str) -> None:
    assert n.parse_date(raw, today=TODAY) == (None, 0.0)


def test_it_accepts_a_future_date_without_today() -> None:
    assert n.parse_date("2030/01/01") == ("2030-01-01", 1.0)


def test_it_accepts_today_itself() -> None:
    assert n.parse_date("2025/10/01", today=TODAY)[0] == "2025-10-01"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("平成1年1月7日", "1989-01-07"),  # still Showa 64 on that day
        ("昭和64年1月8日", "1989-01-08"),  # already Heisei
        ("平成31年5月1日", "2019-05-01"),  # already Reiwa
        ("大正元年7月29日", "1912-07-29"),  # still Meiji
    ],
)
def test_it_doubts_dates_outside_the_eras_exact_days(raw: str, expected: str) -> None:
    value, p = n.parse_date(raw, today=TODAY)
    assert value == expected
    assert p == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("raw", "expected", "max_p"),
    [
        # Both readings possible: the era reading (what the form asks) wins.
        ("昭和18年(1938年)4月12日", "1943-04-12", 0.4),
        ("昭和13年(1958年)4月12日", "1938-04-12", 0.4),
        # The western year is outside Showa: it is the misread one.
        ("昭和13年(1838年)4月12日", "1938-04-12", 0.6),
        ("昭和13年(2938年)4月12日", "1938-04-12", 0.6),
        # The era year is impossible but the western year fits the era.
        ("昭和70年(1938年)4月12日", "1938-04-12", 0.5),
    ],
)
def test_it_cross_checks_era_and_western_year(raw: str, expected: str, max_p: float) -> None:
    value, p = n.parse_date(raw, today=TODAY)
    assert value == expected
    assert 0.0 < p <= max_p


def test_it_rejects_era_and_western_year_both_impossible() -> None:
    assert n.parse_date("昭和70年(1838年)4月12日", today=TODAY) == (None, 0.0)


@pytest.mark.parametrize(
    ("era", "letter", "first_year"),
    [
        ("明治", "M", 1868),
        ("大正", "T", 1912),
        ("昭和", "S", 1926),
        ("平成", "H", 1989),
        ("令和", "R", 2019),
    ],
)
def test_it_maps_every_era_and_its_letter(era: str, letter: str, first_year: int) -> None:
    # Year 2 of each era lies wholly inside it.
    expected = f"{first_year + 1}-06-15"
    assert n.parse_date(f"{era}2年6月15日", today=TODAY) == (expected, 1.0)
    assert n.parse_date(f"{letter}2.6.15", today=TODAY) == (expected, 1.0)
    assert n.parse_date(f"{letter}2/6/15", today=TODAY) == (expected, 1.0)
    assert n.parse_date(f"{era}２年６月１５日", today=TODAY) == (expected, 1.0)


@pytest.mark.parametrize(
    ("era", "first_day"),
    [
        ("大正", "1912-07-30"),
        ("昭和", "1926-12-25"),
        ("平成", "1989-01-08"),
        ("令和", "2019-05-01"),
    ],
)
def test_it_reads_gannen_as_year_one(era: str, first_day: str) -> None:
    _, month, day = first_day.split("-")
    assert n.parse_date(f"{era}元年{int(month)}月{int(day)}日", today=TODAY) == (first_day, 1.0)


# ---------------------------------------------------------------------------
# Times and datetimes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14:30", (14, 30)),
        ("14：30", (14, 30)),
        ("14 : 30", (14, 30)),
        ("14時30分", (14, 30)),
        ("14時30分頃", (14, 30)),
        ("１４時３０分ごろ", (14, 30)),
        ("14時半", (14, 30)),
        ("午後2時30分", (14, 30)),
        ("午後2時30分頃", (14, 30)),
        ("午前0時50分", (0, 50)),
        ("午前9時", (9, 0)),
        ("午後0時", (12, 0)),
        ("17時", (17, 0)),
        ("0時50分頃", (0, 50)),
        ("23:59", (23, 59)),
        ("2:30 PM", (14, 30)),
        ("AM 9:05", (9, 5)),
        ("発症 14時30分頃", (14, 30)),
        # Full-width digits printed apart, read with a space between them.
        ("23 時4 0 分頃", (23, 40)),
        ("午後8時1 5 分頃", (20, 15)),
        ("1 5時3 0分", (15, 30)),
        ("8時 5分", (8, 5)),
    ],
)
def test_it_parses_times(raw: str, expected: tuple[int, int]) -> None:
    assert n.parse_time(raw) == (expected, 1.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("午後12時", (12, 0)),
        ("午後12時30分", (12, 30)),
        ("午前12時", (0, 0)),
        ("午前12時30分", (0, 30)),
        ("12:30 AM", (0, 30)),
        ("午後13時", (13, 0)),
        ("14;30", (14, 30)),
        ("14.30", (14, 30)),
        ("l4:3O", (14, 30)),
        # 午前 or 午後 with its second kanji misread: 5:00 or 17:00.
        ("午入5時", (5, 0)),
        ("2025年11月27日午入 5時30分", (5, 30)),
    ],
)
def test_it_doubts_ambiguous_or_repaired_times(raw: str, expected: tuple[int, int]) -> None:
    value, p = n.parse_time(raw)
    assert value == expected
    assert is_repaired(p)


@pytest.mark.parametrize(
    "raw", ["24:00", "25時", "14:60", "14時75分", "午前13時", "午後25時", "", "頃", "14"]
)
def test_it_rejects_impossible_times(raw: str) -> None:
    assert n.parse_time(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("令和6年2月12日 17時10分頃", "2024-02-12T17:10"),
        ("2025年9月13日 0時50分頃", "2025-09-13T00:50"),
        ("2024/02/12 14:30", "2024-02-12T14:30"),
        ("R6.2.12 17:10", "2024-02-12T17:10"),
        ("令和6年2月12日午後5時10分", "2024-02-12T17:10"),
        ("２０２４／０２／１２　１４：３０", "2024-02-12T14:30"),
        ("令和 7 年 2 月 13日 23 時4 0 分頃", "2025-02-13T23:40"),
    ],
)
def test_it_parses_datetimes(raw: str, expected: str) -> None:
    assert n.parse_datetime(raw) == (expected, 1.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("202412/24 午前3時30分頃", "2024-12-24T03:30"),  # the first slash lost
        ("2024/1224 14:30", "2024-12-24T14:30"),  # the second
        ("2024710727 14:30", "2024-10-27T14:30"),  # both read as 7
    ],
)
def test_it_repairs_the_date_of_a_datetime_with_lower_plausibility(raw: str, expected: str) -> None:
    value, p = n.parse_datetime(raw)
    assert value == expected
    assert is_repaired(p)


def test_it_combines_a_bare_time_with_the_default_date() -> None:
    value, p = n.parse_datetime("17時10分頃", default_date="2024-02-12")
    assert value == "2024-02-12T17:10"
    assert p == pytest.approx(0.6)


def test_it_takes_the_year_of_the_default_date_for_month_and_day() -> None:
    value, p = n.parse_datetime("2月13日 1時05分", default_date="2024-02-12")
    assert value == "2024-02-13T01:05"
    assert p == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("raw", "default"),
    [
        ("17時10分", None),  # a time without any date
        ("17時10分", "not-a-date"),
        ("2024/02/12", None),  # a date without a time
        ("2024/02/30 14:30", None),  # impossible date
        ("2024/02/12 25:30", None),  # impossible time
        ("2月30日 1時", "2024-02-12"),
        ("", "2024-02-12"),
    ],
)
def test_it_rejects_incomplete_datetimes(raw: str, default: str | None) -> None:
    assert n.parse_datetime(raw, default_date=default) == (None, 0.0)


# ---------------------------------------------------------------------------
# Postal codes, phones, insurance numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "exact"),
    [
        ("〒711-7780", "711-7780", True),
        ("〒７１１－７７８０", "711-7780", True),
        ("711一7780", "711-7780", True),
        ("711ー7780", "711-7780", True),
        ("〒 711 - 7780", "711-7780", True),
        ("7117780", "711-7780", False),
        ("〒7117780", "711-7780", False),
        ("〒7l1-778O", "711-7780", False),
        ("〒711-7780 TEL 086-454-2416", "711-7780", True),
        ("岡山県倉敷市 〒711-7780", "711-7780", True),
    ],
)
def test_it_parses_postal_codes(raw: str, expected: str, exact: bool) -> None:
    value, p = n.parse_postal(raw)
    assert value == expected
    assert is_exact(p) == exact


@pytest.mark.parametrize("raw", ["", "〒", "711-778", "71-7780", "12345678", "〒711"])
def test_it_rejects_malformed_postal_codes(raw: str) -> None:
    assert n.parse_postal(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("086-454-2416", "086-454-2416"),
        ("070-6939-9193", "070-6939-9193"),
        ("090-1234-5678", "090-1234-5678"),
        ("080-1234-5678", "080-1234-5678"),
        ("0120-123-456", "0120-123-456"),
        ("03-1234-5678", "03-1234-5678"),
        ("0865-44-1234", "0865-44-1234"),
        ("TEL 086-454-2416", "086-454-2416"),
        ("TEL:086-454-2416", "086-454-2416"),
        ("Tel. 086-454-2416", "086-454-2416"),
        ("℡086-454-2416", "086-454-2416"),
        ("電話 086-454-2416", "086-454-2416"),
        ("電話番号：０８６－４５４－２４１６", "086-454-2416"),
        ("086一454一2416", "086-454-2416"),
        ("086ー454ー2416", "086-454-2416"),
        ("086(454)2416", "086-454-2416"),
        ("(086)454-2416", "086-454-2416"),
        ("（086）454－2416", "086-454-2416"),
        ("TEL 086-454-2416 FAX 086-454-2417", "086-454-2416"),
    ],
)
def test_it_parses_phones_as_printed(raw: str, expected: str) -> None:
    assert n.parse_phone(raw) == (expected, 1.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O86-454-24l6", "086-454-2416"),  # OCR confusions
        ("086 454 2416", "086-454-2416"),  # spaces for hyphens
        ("086-4542416", "086-454-2416"),  # two groups
        ("0864542416", "086-454-2416"),  # ungrouped fixed line: guessed 3-3-4
        ("09012345678", "090-1234-5678"),  # ungrouped mobile: 3-4-4
        ("0312345678", "03-1234-5678"),  # 2-digit area code
        ("0612345678", "06-1234-5678"),
        ("0120123456", "0120-123-456"),
        ("090-1234-567", "090-1234-567"),  # a mobile digit is missing
        ("086-454-24166", "086-454-24166"),  # one digit too many
        ("86-454-2416", "86-454-2416"),  # leading 0 lost
        ("454-2416", "454-2416"),  # no area code
        ("086-45-42416", "086-45-42416"),  # unusual grouping
        ("TELO70-ー5988--3480", "070-5988-3480"),  # a hyphen read twice
        ("0086-452-0907", "086-452-0907"),  # 00 dials abroad: a stray 0, dropped
        ("0090-3370-4473", "090-3370-4473"),
        ("00-1606-8189", "00-1606-8189"),  # which mobile prefix? left as read
    ],
)
def test_it_lowers_phone_plausibility_when_repaired_or_unusual(raw: str, expected: str) -> None:
    value, p = n.parse_phone(raw)
    assert value == expected
    assert is_repaired(p)


def test_it_ranks_phone_doubts() -> None:
    exact = n.parse_phone("086-454-2416")[1]
    guessed = n.parse_phone("0864542416")[1]
    short = n.parse_phone("090-1234-567")[1]
    assert exact > guessed > short


@pytest.mark.parametrize("raw", ["", "TEL", "12345", "0123456789012345", "電話なし"])
def test_it_rejects_non_phones(raw: str) -> None:
    assert n.parse_phone(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("0123456789", "0123456789", 1.0),
        ("被保険者番号 0123456789", "0123456789", 1.0),
        ("0 1 2 3 4 5 6 7 8 9", "0123456789", 1.0),
        ("０１２３４５６７８９", "0123456789", 1.0),
        ("0123-456-789", "0123456789", 1.0),
        ("12345678", "12345678", 0.8),
        ("O12345678l", "0123456781", 0.85),
        ("1234567", "1234567", 0.3),
    ],
)
def test_it_parses_insurance_numbers(raw: str, expected: str, p: float) -> None:
    value, plaus = n.parse_insurance_number(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["", "12345", "1234567890123", "なし"])
def test_it_rejects_bad_insurance_numbers(raw: str) -> None:
    assert n.parse_insurance_number(raw) == (None, 0.0)


# ---------------------------------------------------------------------------
# Vital signs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("39.6℃", 39.6, 1.0),
        ("39.6°C", 39.6, 1.0),
        ("39.6度", 39.6, 1.0),
        ("39.6", 39.6, 1.0),
        ("３９．６℃", 39.6, 1.0),
        ("体温 36.5℃", 36.5, 1.0),
        ("KT 36.5", 36.5, 1.0),
        ("30.0", 30.0, 1.0),
        ("43.0", 43.0, 1.0),
        ("36.55", 36.6, 1.0),  # half-up from the written digits
        ("36.54", 36.5, 1.0),
        ("39,6", 39.6, 0.85),
        ("39・6", 39.6, 0.85),
        ("36-8°C", 36.8, 0.85),  # a hyphen for the point, before one digit only
        ("36-37", 36.0, 0.9),
        ("37℃", 37.0, 0.9),
        ("396", 39.6, 0.6),
        ("39 6℃", 39.6, 0.6),
        ("3g.6", None, 0.0),
    ],
)
def test_it_parses_temperatures(raw: str, expected: float | None, p: float) -> None:
    value, plaus = n.parse_temperature(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["29.9", "43.1", "45℃", "25", "500", "", "測定不可"])
def test_it_rejects_out_of_range_temperatures(raw: str) -> None:
    assert n.parse_temperature(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("114/86 mmHg", (114, 86), 1.0),
        ("114/86", (114, 86), 1.0),
        ("114／86", (114, 86), 1.0),
        ("114 / 86", (114, 86), 1.0),
        ("BP 114/86", (114, 86), 1.0),
        ("50/20", (50, 20), 1.0),
        ("260/160", (260, 160), 1.0),
        ("114-86", (114, 86), 0.8),
        ("114ー86", (114, 86), 0.8),
        ("1l4/86", (114, 86), 0.85),
        ("114l86", (114, 86), 0.6),
    ],
)
def test_it_parses_blood_pressure(raw: str, expected: tuple[int, int], p: float) -> None:
    value, plaus = n.parse_bp(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize(
    "raw",
    [
        "49/30",  # systolic too low
        "261/90",  # systolic too high
        "120/19",  # diastolic too low
        "250/161",  # diastolic too high
        "80/90",  # systolic below diastolic
        "90/90",
        "114",
        "",
    ],
)
def test_it_rejects_implausible_blood_pressure(raw: str) -> None:
    assert n.parse_bp(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("88", 88, 1.0),
        ("88回/分", 88, 1.0),
        ("HR 88 bpm", 88, 1.0),
        ("脈拍 88", 88, 1.0),
        ("20", 20, 1.0),
        ("250", 250, 1.0),
        ("88.0", 88, 0.8),
        ("8B", 88, 0.85),
    ],
)
def test_it_parses_pulse(raw: str, expected: int, p: float) -> None:
    value, plaus = n.parse_pulse(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["19", "251", "1000", "", "測定不可"])
def test_it_rejects_out_of_range_pulse(raw: str) -> None:
    assert n.parse_pulse(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("18", 18), ("18回/分", 18), ("RR 18", 18), ("呼吸数 18", 18), ("4", 4), ("60", 60)],
)
def test_it_parses_resp_rate(raw: str, expected: int) -> None:
    assert n.parse_resp_rate(raw) == (expected, 1.0)


@pytest.mark.parametrize("raw", ["3", "61", "100", ""])
def test_it_rejects_out_of_range_resp_rate(raw: str) -> None:
    assert n.parse_resp_rate(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("92%", 92, 1.0),
        ("92", 92, 1.0),
        ("92 %", 92, 1.0),
        ("92％", 92, 1.0),
        ("SpO2 92%", 92, 1.0),
        ("SpO2：９２％", 92, 1.0),
        ("Sp02 92%", 92, 1.0),
        ("92(RA)", 92, 1.0),
        ("92%(RA)", 92, 1.0),
        ("98% (O2 2L)", 98, 1.0),
        ("100%", 100, 1.0),
        ("50%", 50, 1.0),
        ("92°/o", 92, 0.95),
        ("92o/o", 92, 0.95),
        ("9296", 92, 0.8),
        ("9296(RA)", 92, 0.8),
        ("92 96", 92, 0.8),
        ("10096", 100, 0.8),
        ("929", 92, 0.4),
        ("9B%", 98, 0.85),
    ],
)
def test_it_parses_spo2_and_strips_percent_misreads(raw: str, expected: int, p: float) -> None:
    value, plaus = n.parse_spo2(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["49%", "101%", "4996", "123456", "", "SpO2"])
def test_it_rejects_out_of_range_spo2(raw: str) -> None:
    assert n.parse_spo2(raw) == (None, 0.0)


# ---------------------------------------------------------------------------
# JCS / GCS
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("JCS 0", 0),
        ("清明", 0),
        ("JCS0(清明)", 0),
        ("Ⅰ-1", 1),
        ("I-2", 2),
        ("Ⅰ-3", 3),
        ("Ⅱ-10", 10),
        ("II-20", 20),
        ("Ⅱ-30", 30),
        ("Ⅲ-100", 100),
        ("III-200", 200),
        ("Ⅲ-300", 300),
        ("JCS Ⅲ－３００", 300),
        ("JCS:Ⅱ-20", 20),
        ("Ⅱ一10", 10),
        ("Ⅱ ー 10", 10),
        ("Ⅰ-3R", 3),
        ("Ⅱ-10A", 10),
        ("-10", 10),
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("10", 10),
        ("20", 20),
        ("30", 30),
        ("100", 100),
        ("200", 200),
        ("300", 300),
    ],
)
def test_it_parses_strict_jcs(raw: str, expected: int) -> None:
    assert n.parse_jcs(raw) == (expected, 1.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("1-1", 1, 0.85),
        ("l-2", 2, 0.85),
        ("1I-10", 10, 0.85),
        ("Il-20", 20, 0.85),
        ("11-30", 30, 0.85),
        ("lll-100", 100, 0.85),
        ("皿-100", 100, 0.85),
        ("皿-200", 200, 0.85),
        ("川-300", 300, 0.85),
        ("皿ー300", 300, 0.85),
        ("II10", 10, 0.9),
        ("1110", 10, 0.6),  # Ⅱ read as 11 and the dash lost
        ("111300", 300, 0.6),
        ("X-1", 1, 0.4),  # unreadable group: the number alone, in doubt
        ("Ⅱ-1O", 10, 1.0),
        ("I-10", 10, 0.4),  # group mismatch: the number wins
        ("Ⅲ-20", 20, 0.4),
        ("Ⅱ-3", 30, 0.4),  # lost zero: scaled to the group
        ("Ⅲ-2", 200, 0.4),
        ("160", 100, 0.4),  # one digit off the scale: the hundred, as a guess
        ("203", 200, 0.4),
    ],
)
def test_it_repairs_jcs(raw: str, expected: int, p: float) -> None:
    value, plaus = n.parse_jcs(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize(
    "raw", ["", "Ⅱ", "皿", "4", "5", "400", "Ⅱ-40", "X-40", "不明", "160160", "166", "450"]
)
def test_it_rejects_invalid_jcs(raw: str) -> None:
    assert n.parse_jcs(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("E4V5M6", "E4V5M6", 1.0),
        ("E3 V4 M5", "E3V4M5", 1.0),
        ("E4V5M6=15", "E4V5M6", 1.0),
        ("GCS E4V5M6 (15)", "E4V5M6", 1.0),
        ("E4V5M6 計15点", "E4V5M6", 1.0),
        ("E(4)V(5)M(6)", "E4V5M6", 1.0),
        ("e4v5m6", "E4V5M6", 1.0),
        ("Ｅ４Ｖ５Ｍ６", "E4V5M6", 1.0),
        ("E1V1M1", "E1V1M1", 1.0),
        ("E1VTM4", "E1VTM4", 1.0),
        ("E4VSM6", "E4V5M6", 0.85),
        ("ElV1M1", "E1V1M1", 0.85),
        ("E4V5 Me", "E4V5M6", 0.85),  # a serif 6 read as e, past a line's wrap
        ("E4V5M6=14", "E4V5M6", 0.5),  # total disagrees: components kept
        ("GCS 15", "E4V5M6", 0.8),
        ("3", "E1V1M1", 0.8),
    ],
)
def test_it_parses_gcs(raw: str, expected: str, p: float) -> None:
    value, plaus = n.parse_gcs(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["", "E5V5M6", "E4V6M6", "E4V5M7", "E0V5M6", "GCS 12", "E4V5"])
def test_it_rejects_invalid_gcs(raw: str) -> None:
    assert n.parse_gcs(raw) == (None, 0.0)


# ---------------------------------------------------------------------------
# Age, sex, names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("88歳", 88, 1.0),
        ("(101歳)", 101, 1.0),
        ("（101歳）", 101, 1.0),
        ("満88歳", 88, 1.0),
        ("88才", 88, 1.0),
        ("８８歳", 88, 1.0),
        ("0歳", 0, 1.0),
        ("130歳", 130, 1.0),
        ("88", 88, 0.9),
        ("8B歳", 88, 0.85),
    ],
)
def test_it_parses_ages(raw: str, expected: int, p: float) -> None:
    value, plaus = n.parse_age(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["131歳", "200", "", "不明"])
def test_it_rejects_out_of_range_ages(raw: str) -> None:
    assert n.parse_age(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        ("1938-04-12", "2025-04-11", 86),  # the day before the birthday
        ("1938-04-12", "2025-04-12", 87),  # on the birthday
        ("1938-04-12", "2025-12-31", 87),
        ("1938-04-12", "1938-04-12", 0),
        ("1940-02-29", "2025-02-28", 84),  # leap-day birth, common year
        ("1940-02-29", "2025-03-01", 85),
        ("1940-02-29", "2024-02-29", 84),
    ],
)
def test_it_computes_age_in_full_years(birth: str, on: str, expected: int) -> None:
    assert n.age_at(birth, on) == expected


def test_it_raises_on_malformed_iso_dates_for_age_at() -> None:
    with pytest.raises(ValueError):
        n.age_at("1938/04/12", "2025-04-12")


@pytest.mark.parametrize(
    ("age", "birth", "on", "expected"),
    [
        (86, "1938-04-12", "2025-04-11", True),
        (87, "1938-04-12", "2025-04-12", True),
        (87, "1938-04-12", "2025-04-11", False),  # no off-by-one tolerance
        (85, "1938-04-12", "2025-04-11", False),
        (86, "not-a-date", "2025-04-11", False),
        (86, "1938-04-12", "", False),
    ],
)
def test_it_checks_age_consistency_exactly(age: int, birth: str, on: str, expected: bool) -> None:
    assert n.age_consistent(age, birth, on) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ひらまつ しずこ", "ヒラマツ シズコ"),
        ("ひらまつ　しずこ", "ヒラマツ シズコ"),
        ("ひらまつ　　しずこ", "ヒラマツ シズコ"),
        ("ヒラマツ シズコ", "ヒラマツ シズコ"),
        ("ﾋﾗﾏﾂ ｼｽﾞｺ", "ヒラマツ シズコ"),
        ("ひ ら ま つ  し ず こ", "ヒラマツ シズコ"),
        ("ひ ら ま つ", "ヒラマツ"),
        ("ゆうこ", "ユウコ"),
        ("ゔぁ", "ヴァ"),
        ("すずき ゝ", "スズキ ヽ"),
        ("", ""),
    ],
)
def test_it_converts_furigana_to_katakana(raw: str, expected: str) -> None:
    assert n.to_katakana(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("男", "male", 1.0),
        ("男性", "male", 1.0),
        ("男 性", "male", 1.0),
        ("性別：男", "male", 1.0),
        ("女", "female", 1.0),
        ("女性", "female", 1.0),
        ("M", "male", 0.9),
        ("m", "male", 0.9),
        ("Male", "male", 0.9),
        ("F", "female", 0.9),
        ("Female", "female", 0.9),
        ("男・女", None, 0.0),  # printed option list: needs mark detection
        ("男 ・ 女", None, 0.0),
        ("女性・男性", None, 0.0),
        ("", None, 0.0),
        ("X", None, 0.0),
        ("FAX", None, 0.0),
    ],
)
def test_it_parses_sex(raw: str, expected: str | None, p: float) -> None:
    assert n.parse_sex_text(raw) == (expected, p)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("平松静子様", "平松静子"),
        ("平松 静子 様", "平松静子"),
        ("山田 先生", "山田"),
        ("佐藤さん", "佐藤"),
        ("鈴木殿", "鈴木"),
        ("田中氏", "田中"),
        ("平 松 静 子", "平松静子"),
        ("様子", "様子"),  # only a trailing honorific
    ],
)
def test_it_strips_honorifics(raw: str, expected: str) -> None:
    assert n.strip_honorific(raw) == expected


# ---------------------------------------------------------------------------
# Care level, dementia level
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("要介護1", "要介護1", 1.0),
        ("要介護５", "要介護5", 1.0),
        ("要介護４", "要介護4", 1.0),
        ("要介護 3", "要介護3", 1.0),
        ("要 介 護 3", "要介護3", 1.0),
        ("要介護度2", "要介護2", 1.0),
        ("要支援1", "要支援1", 1.0),
        ("要支援2", "要支援2", 1.0),
        ("要介護三", "要介護3", 0.9),
        ("要介護l", "要介護1", 0.85),
        ("要介譲3", "要介護3", 0.7),
        ("要支緩2", "要支援2", 0.7),
        ("介護3", "要介護3", 0.8),
        ("非該当", "非該当", 1.0),
    ],
)
def test_it_parses_care_levels(raw: str, expected: str, p: float) -> None:
    value, plaus = n.parse_care_level(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["要介護6", "要介護0", "要支援3", "要介護", "", "なし"])
def test_it_rejects_invalid_care_levels(raw: str) -> None:
    assert n.parse_care_level(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected", "p"),
    [
        ("自立", "自立", 1.0),
        ("Ⅰ", "Ⅰ", 1.0),
        ("Ⅱa", "Ⅱa", 1.0),
        ("Ⅱb", "Ⅱb", 1.0),
        ("Ⅲa", "Ⅲa", 1.0),
        ("Ⅲb", "Ⅲb", 1.0),
        ("Ⅳ", "Ⅳ", 1.0),
        ("M", "M", 1.0),
        ("Ｍ", "M", 1.0),
        ("I", "Ⅰ", 1.0),
        ("IIa", "Ⅱa", 1.0),
        ("II b", "Ⅱb", 1.0),
        ("IIIa", "Ⅲa", 1.0),
        ("IV", "Ⅳ", 1.0),
        ("ランク Ⅱb", "Ⅱb", 1.0),
        ("認知症高齢者の日常生活自立度 Ⅲa", "Ⅲa", 1.0),
        ("1Ia", "Ⅱa", 0.85),
        ("Ilb", "Ⅱb", 0.85),
        ("1", "Ⅰ", 0.85),
        ("l", "Ⅰ", 0.85),
        ("皿a", "Ⅲa", 0.85),
        ("川b", "Ⅲb", 0.85),
        ("lll b", "Ⅲb", 0.85),
        ("lV", "Ⅳ", 0.85),
        ("2a", "Ⅱa", 0.8),
        ("4", "Ⅳ", 0.8),
        ("Ia", "Ⅰ", 0.5),  # Ⅰ has no a/b
        ("IVb", "Ⅳ", 0.5),
        ("Ha", "Ⅱa", 0.6),  # Ⅱ's bars joined by the serifs
        ("四b", "Ⅲb", 0.6),  # a rank with b is never Ⅳ
        ("WV", "Ⅳ", 0.4),  # the scale has no Ⅴ: Ⅳ with its I misread
        ("vV", "Ⅳ", 0.4),
        ("V", "Ⅳ", 0.4),
        ("Mb", "Ⅲb", 0.4),  # only Ⅱ and Ⅲ take a/b; three joined strokes
        ("fb", "Ⅱb", 0.4),
    ],
)
def test_it_parses_dementia_levels(raw: str, expected: str, p: float) -> None:
    value, plaus = n.parse_dementia_level(raw)
    assert value == expected
    assert plaus == pytest.approx(p)


@pytest.mark.parametrize("raw", ["", "Ⅱ", "Ⅲ", "IIIIa", "IIV", "5", "X", "Ⅱc"])
def test_it_rejects_invalid_dementia_levels(raw: str) -> None:
    assert n.parse_dementia_level(raw) == (None, 0.0)


# ---------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("高血圧、糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧,糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧，糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧・糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧/糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧／糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧;糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧\n糖尿病", ["高血圧", "糖尿病"]),
        ("高血圧\n\n糖尿病\n", ["高血圧", "糖尿病"]),
        ("1.高血圧 2.糖尿病", ["高血圧", "糖尿病"]),
        ("１．高血圧　２．糖尿病", ["高血圧", "糖尿病"]),
        ("1)高血圧\n2)糖尿病", ["高血圧", "糖尿病"]),
        ("(1)高血圧(2)糖尿病", ["高血圧", "糖尿病"]),
        ("1、高血圧 2、糖尿病", ["高血圧", "糖尿病"]),
        ("①高血圧②糖尿病③認知症", ["高血圧", "糖尿病", "認知症"]),
        ("① 高血圧 ② 糖尿病", ["高血圧", "糖尿病"]),
        ("2型糖尿病、高血圧", ["2型糖尿病", "高血圧"]),
        ("・高血圧\n・糖尿病", ["高血圧", "糖尿病"]),
        ("● 高血圧\n● 糖尿病", ["高血圧", "糖尿病"]),
        ("- 高血圧\n- 心不全", ["高血圧", "心不全"]),
        ("高 血 圧 、 糖 尿 病", ["高血圧", "糖尿病"]),
        ("薬剤A 1,000mg、薬剤B", ["薬剤A 1,000mg", "薬剤B"]),
        ("薬剤A 1.5mg", ["薬剤A 1.5mg"]),
        ("、、高血圧、、", ["高血圧"]),
        (
            "慢性閉塞性肺疾患。てんかん、便秘症。",
            ["慢性閉塞性肺疾患", "てんかん", "便秘症"],
        ),  # 、 read as 。
    ],
)
def test_it_splits_lists(raw: str, expected: list[str]) -> None:
    assert n.split_list(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "なし", "無し", "無", "特になし", "特に無し", "特記事項なし", "なし。", " なし ", "None"],
)
def test_it_reads_nothing_answers_as_an_empty_list(raw: str) -> None:
    assert n.split_list(raw) == []


# ---------------------------------------------------------------------------
# Contract shared by every parser
# ---------------------------------------------------------------------------

Parser = Callable[[str], tuple[Any, float]]

PARSERS: list[Parser] = [
    n.parse_date,
    n.parse_time,
    n.parse_datetime,
    n.parse_postal,
    n.parse_phone,
    n.parse_insurance_number,
    n.parse_temperature,
    n.parse_bp,
    n.parse_pulse,
    n.parse_resp_rate,
    n.parse_spo2,
    n.parse_jcs,
    n.parse_gcs,
    n.parse_age,
    n.parse_sex_text,
    n.parse_care_level,
    n.parse_dementia_level,
]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("raw", ["", "   ", "\n", "不明", "-", "???", "ー"])
def test_it_returns_nothing_for_empty_or_meaningless_text(parse: Parser, raw: str) -> None:
    assert parse(raw) == (None, 0.0)


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (n.parse_date, "昭和l3年4月l2日"),
        (n.parse_time, "l4:3O"),
        (n.parse_postal, "7117780"),
        (n.parse_phone, "0864542416"),
        (n.parse_temperature, "396"),
        (n.parse_bp, "114-86"),
        (n.parse_spo2, "9296"),
        (n.parse_jcs, "皿-100"),
        (n.parse_gcs, "E4VSM6"),
        (n.parse_dementia_level, "皿a"),
    ],
)
def test_it_keeps_plausibility_within_zero_and_one(parse: Parser, raw: str) -> None:
    value, p = parse(raw)
    assert value is not None
    assert 0.0 < p < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024704/20", "2024-04-20"),
        ("2024/04720", "2024-04-20"),
        ("記入日 2024104/20", "2024-04-20"),
        ("2024710727", "2024-10-27"),  # both slashes read as 7
        ("S25.11:22", "1950-11-22"),  # a dot read as a colon
        ("隔和3 年(1928年)8月27 日( 満96 歳)", "1928-08-27"),  # era misread, year bracketed
    ],
)
def test_it_repairs_garbled_separators_and_eras_at_lower_plausibility(
    text: str, expected: str
) -> None:
    iso, p = n.parse_date(text)

    assert iso == expected and 0 < p < 0.9


def test_it_does_not_repair_a_date_whose_digits_run_on() -> None:
    assert n.parse_date("20247047200") == (None, 0.0)


@pytest.mark.parametrize("text", ["IM", "NM", "NV"])
def test_it_reads_a_iv_whose_v_was_misread_as_iv_without_certainty(text: str) -> None:
    assert n.parse_dementia_level(text) == ("Ⅳ", 0.4)


def test_it_still_reads_m_alone_as_m() -> None:
    assert n.parse_dementia_level("M") == ("M", 1.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024/10/154時10分頃", "2024-10-15T04:10"),
        ("2025/01/1519時05分", "2025-01-15T19:05"),
        ("2025/01/15 19:05", "2025-01-15T19:05"),
    ],
)
def test_it_splits_a_date_glued_to_the_time_after_it(raw: str, expected: str) -> None:
    value, p = n.parse_datetime(raw)
    assert value == expected
    assert p < 1.0 or " " in raw  # the split is a repair
