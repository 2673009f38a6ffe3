"""Extraction rules on recognised text (no image): what a label's value means."""

from __future__ import annotations

import pytest

from transfer.ocr.extract import Value, parse_directive, parse_name_block, strip_onset_prefix
from transfer.ocr.recognise import Char, Segment


def value(text: str) -> Value:
    return Value(text, (0, 0, 10, 10), 0.9, [text])


@pytest.mark.parametrize(
    ("text", "dnar", "wish"),
    [
        ("有。 施設での看取りを希望", True, "施設での看取りを希望"),
        ("なし。 救急搬送・入院治療を希望", False, "救急搬送・入院治療を希望"),
        ("無 積極的な治療を希望", False, "積極的な治療を希望"),
        ("同意あり", True, None),
        (
            "心肺蘇生を希望 しない(DNAR) DNAR同意書あり(家族署名済み)",
            True,
            "DNAR同意書あり(家族署名済み)",
        ),
    ],
)
def test_it_keeps_the_dnar_answer_out_of_the_wish(text: str, dnar: bool, wish: str | None) -> None:
    out = parse_directive(value(text))

    assert out["dnar"].value is dnar
    assert (out["advance_directive"].value if "advance_directive" in out else None) == wish


def test_it_does_not_take_a_wish_that_starts_otherwise_for_an_answer() -> None:
    out = parse_directive(value("ありのままの生活を希望"))

    assert "dnar" not in out
    assert out["advance_directive"].value == "ありのままの生活を希望"


def test_it_drops_a_garbled_when_clause_from_the_illness_without_guessing_the_time() -> None:
    rest, onset = strip_onset_prefix("2024年9月27日15 叶40分頃(発症)、胸部痛を訴え、冷汗あり。")

    assert rest == "胸部痛を訴え、冷汗あり。"
    assert onset is None


def test_it_still_reads_a_clean_when_clause_as_the_onset() -> None:
    rest, onset = strip_onset_prefix("令和7年4月13日 18時20分頃(最終健常確認)、冷汗あり")

    assert rest == "冷汗あり" and onset is not None and "18時20分" in onset


def test_it_leaves_an_illness_without_a_when_clause_alone() -> None:
    assert strip_onset_prefix("嘔吐3回、腹痛の訴えあり。") == ("嘔吐3回、腹痛の訴えあり。", None)


def test_it_ends_a_name_at_the_honorific_when_the_bracket_was_lost() -> None:
    out = parse_name_block(value("石井 文子 様イシイ フミコ) 女性"))

    assert out["name"].value.replace(" ", "") == "石井文子"
    assert out["name_kana"].value.replace(" ", "") == "イシイフミコ"
    assert out["name_kana"].score < 0.9
    assert out["sex"].value == "female"


def test_it_reads_spo2_written_in_lower_case() -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals("体温 35.7℃ spo2 94% 呼吸 30回/分", None, 0.9)

    assert out["vitals.spo2"].value == 94


def test_it_drops_a_misread_relation_glued_to_a_shared_family_name() -> None:
    from transfer.ocr.extract import Found, _drop_glued_relation

    patient = Found("田中富子", 0.9, None)

    fixed = _drop_glued_relation(Found("張田中浩二", 0.9, None), patient)
    kept = _drop_glued_relation(Found("佐藤浩二", 0.9, None), patient)

    assert fixed.value == "田中浩二" and fixed.score <= 0.6
    assert kept.value == "佐藤浩二" and kept.score == 0.9


def _line(text: str, line: int) -> Segment:
    return Segment([Char(ch, (20 * i, 40 * line, 18, 30), 0.95) for i, ch in enumerate(text)], line)


@pytest.mark.parametrize(
    "lines",
    [
        ["LT LL", "岡本 伸也(次男)070-7029-6613"],  # table: the label misread
        ["< キーパーゾン >", "夫 高橋 勝 様 TEL 070-9206-7964"],  # letter: relation first
    ],
)
def test_it_finds_the_key_person_by_shape_when_the_label_was_misread(lines: list[str]) -> None:
    from transfer.ocr.extract import extract

    found = extract([_line(t, i) for i, t in enumerate(lines)])

    assert found["key_person.relation"].value in ("次男", "夫")
    assert found["key_person.phone"].value.startswith("070-")
    assert found["key_person.name"].score <= 0.7


def test_it_does_not_take_a_phone_line_without_a_relation_for_the_key_person() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("ケアハウス あおぞら TEL 086-446-2873", 0)])

    assert "key_person.name" not in found


def test_it_takes_a_label_read_with_a_letter_too_many_as_the_whole_label() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("キーパーソツン", 0), _line("松本健一(次男)", 1)])

    assert found["key_person.name"].value == "松本健一"
    assert found["key_person.relation"].value == "次男"


def test_it_reads_a_strength_whose_g_was_read_as_s() -> None:
    from transfer.ocr.extract import parse_medications

    meds, _ = parse_medications(Value("", None, 0.9, ["アレンドロン酸錠35ms 1錠 週1回起床時"]))

    assert meds == [{"name": "アレンドロン酸錠35mg", "dose": "1錠 週1回起床時"}]
