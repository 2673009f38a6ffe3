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
        # The gap after the answer lost in the cell's reading.
        ("なし心肺蘇生を含むすべての処置を希望。", False, "心肺蘇生を含むすべての処置を希望"),
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
    home = parse_directive(value("有料老人ホームでの看取りを希望"))

    assert "dnar" not in out
    assert out["advance_directive"].value == "ありのままの生活を希望"
    assert "dnar" not in home
    assert home["advance_directive"].value == "有料老人ホームでの看取りを希望"


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


def test_it_reads_the_sex_before_a_speck_at_the_end_of_the_line() -> None:
    out = parse_name_block(value("山本進 様(ヤマモトススム) 男性 !"))

    assert out["sex"].value == "male"
    assert out["name"].value == "山本進"


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
        # letter: relation first (a heading this garbled names no section)
        ["< 牛ーバーゾン >", "夫 高橋 勝 様 TEL 070-9206-7964"],
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


@pytest.mark.parametrize(
    ("line", "name", "dose"),
    [
        ("アレンドロン酸錠35ms 1錠 週1回起床時", "アレンドロン酸錠35mg", "1錠 週1回起床時"),
        ("ツロブテロールテープ2me 1枚 1日1回 貼付", "ツロブテロールテープ2mg", "1枚 1日1回 貼付"),
    ],
)
def test_it_reads_a_strength_whose_g_was_read_as_s_or_e(line: str, name: str, dose: str) -> None:
    from transfer.ocr.extract import parse_medications

    meds, _ = parse_medications(Value("", None, 0.9, [line]))

    assert meds == [{"name": name, "dose": dose}]


@pytest.mark.parametrize(
    ("line", "name", "dose"),
    [
        # A lone misread kanji between the name and the strength is the 錠.
        ("リクシアナ祭30mg 1錠 分1 朝食後", "リクシアナ錠30mg", "1錠 分1 朝食後"),
        ("ブロチゾラムOD伯0.25mg 1錠 就寝前", "ブロチゾラムOD錠0.25mg", "1錠 就寝前"),
        # The count's unit misread.
        ("センノシド錠12mg 2氏 就寝前", "センノシド錠12mg", "2錠 就寝前"),
        ("エリキュース錠2.5mg 2 鉄分2 朝夕食後", "エリキュース錠2.5mg", "2錠分2 朝夕食後"),
        # μ lost after a tablet or capsule; both repairs at once.
        ("チラーヂンS鉄50g 1錠 分1 朝食後", "チラーヂンS錠50μg", "1錠 分1 朝食後"),
        (
            "エルデカルシトールカプセル0.75&g 1カプセル",
            "エルデカルシトールカプセル0.75μg",
            "1カプセル",
        ),
        # μ read as a Latin letter (fonts other than ours).
        ("レボチロキシンNa錠50Hg 1錠 分1 朝食後", "レボチロキシンNa錠50μg", "1錠 分1 朝食後"),
        ("チラーヂンS錠50zg 1錠 分1 朝食後", "チラーヂンS錠50μg", "1錠 分1 朝食後"),
        # OD read with a zero, seen only once the misread form is 錠 again,
        # or with two zeros.
        ("ランソプラゾール0D 鉄15mg 1錠分1朝食後", "ランソプラゾールOD錠15mg", "1錠分1朝食後"),
        ("ドネペジル塩酸塩00錠5mg 1錠 分1 朝食後", "ドネペジル塩酸塩OD錠5mg", "1錠 分1 朝食後"),
        # Units per dose belong to the dose, even without a gap before them.
        ("ランタス注ソロスター8単位 朝 皮下注", "ランタス注ソロスター", "8単位 朝 皮下注"),
    ],
)
def test_it_repairs_the_usual_misreads_of_a_prescription_line(
    line: str, name: str, dose: str
) -> None:
    from transfer.ocr.extract import parse_medications

    meds, score = parse_medications(Value("", None, 0.9, [line]))

    assert meds == [{"name": name, "dose": dose}]
    assert score <= 0.6 or "単位" in line  # a repair is never shown as certain


@pytest.mark.parametrize(
    "line",
    [
        "抑肝散エキス顆粒2.5g 2包 分2 朝夕食前",  # a powder is dosed in grams
        "アムロジピン錠5mg 1錠 分1 朝食後",
        "ツロブテロールテープ2mg 1枚 1日1回 貼付",
        "ムコスタ錠100mg 3錠 分3 毎食後",
        "ランソプラゾールOD錠15mg 1錠 分1 朝食後",
    ],
)
def test_it_leaves_a_well_read_prescription_line_alone(line: str) -> None:
    from transfer.ocr.extract import parse_medications

    meds, score = parse_medications(Value("", None, 0.9, [line]))

    name, _, dose = line.partition(" ")
    assert meds == [{"name": name, "dose": dose}]
    assert score == 1.0


def test_it_writes_a_lost_degree_sign_as_celsius() -> None:
    from transfer.ocr.extract import fix_celsius

    assert fix_celsius("本日朝より38C台の発熱あり。") == "本日朝より38℃台の発熱あり。"
    assert fix_celsius("38*C台") == "38℃台"
    assert fix_celsius('38"C台') == "38℃台"
    assert fix_celsius("38°*C台") == "38℃台"
    assert fix_celsius("CRP 5.2 COPD増悪") == "CRP 5.2 COPD増悪"
    assert fix_celsius("本日朝より38で台の発熱あり。") == "本日朝より38℃台の発熱あり。"
    assert fix_celsius("38てC台") == "38℃台"
    assert fix_celsius("38?C台") == "38℃台"
    # で after a number is a word elsewhere ("3回で改善").
    assert fix_celsius("3回で改善、2日で退院") == "3回で改善、2日で退院"


def _word_chars(words: list[tuple[str, float]]) -> list[Char]:
    chars: list[Char] = []
    x = 0
    for word, conf in words:
        for ch in word:
            chars.append(Char(ch, (x, 0, 20, 30), conf))
            x += 22
    return chars


def test_it_keeps_one_kana_of_a_pair_read_with_both_marks() -> None:
    from transfer.ocr.recognise import _collapse_mark_pairs

    tie = _collapse_mark_pairs(Segment(_word_chars([("アムロジビピン", 0.9)]), 0))
    surer = _collapse_mark_pairs(
        Segment(_word_chars([("アリセ", 0.9), ("プ", 0.8), ("ブ", 0.4), ("ト", 0.9)]), 0)
    )
    kept = _collapse_mark_pairs(Segment(_word_chars([("スズキ ヒビキ", 0.9)]), 0))

    assert tie.text == "アムロジピン"  # on a tie the ゜ stays
    assert surer.text == "アリセプト"
    assert kept.text == "スズキ ヒビキ"  # plain and voiced side by side are real words
    small = _collapse_mark_pairs(Segment(_word_chars([("チョヨコ キョウコ", 0.9)]), 0))
    assert small.text == "チヨコ キョウコ"


def test_it_drops_a_lone_kanji_read_with_almost_no_confidence_before_a_name() -> None:
    from transfer.ocr.recognise import _drop_doubtful_lead

    glued = _drop_doubtful_lead(Segment(_word_chars([("姫", 0.03), ("高橋直美様", 0.96)]), 0))
    sure = _drop_doubtful_lead(Segment(_word_chars([("林", 0.9), (" 浩二様", 0.9)]), 0))
    era = _drop_doubtful_lead(Segment(_word_chars([("隔", 0.1), ("和3年4月", 0.9)]), 0))

    assert glued.text == "高橋直美様"
    assert sure.text == "林 浩二様"
    assert era.text == "隔和3年4月"  # a misread era is left for the date rules


@pytest.mark.parametrize(
    ("text", "birth", "age"),
    [
        ("1936/08/0688歳", "1936-08-06", 88),  # the day glued to the age
        ("了和 7 年 4月22日 93歳", "1932-04-22", 93),  # 昭和 misread; 93 is no 令和 birth
        ("昭和7年4月22日(93歳)", "1932-04-22", 93),
    ],
)
def test_it_reads_a_birth_date_glued_to_the_age_or_with_a_misread_era(
    text: str, birth: str, age: int
) -> None:
    from transfer.ocr.extract import parse_birth

    out = parse_birth(value(text), None)

    assert out["birth_date"].value == birth
    assert out["age"].value == age
    assert (out["birth_date"].score <= 0.6) == text.startswith("了")


@pytest.mark.parametrize("mark", ["|", "!"])
def test_it_reads_a_lone_stroke_after_the_dementia_label_as_rank_one(mark: str) -> None:
    from transfer.ocr.extract import extract

    found = extract([_line(f"認知症自立度 {mark}", 0)])

    assert found["dementia_level"].value == "Ⅰ"
    assert found["dementia_level"].score < 0.9  # a repair


def test_it_takes_specks_read_as_symbols_for_no_value() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line('特記事項 "®', 0), _line("意向 @ '", 1)])
    letters = extract([_line("意向 OR", 0), _line("特記事項 眼鏡使用", 1)])

    assert "notes" not in found
    assert "advance_directive" not in found
    assert "advance_directive" not in letters  # a stamp read as letters is no wish
    assert letters["notes"].value == "眼鏡使用"


def test_it_reads_vitals_whose_labels_lost_their_first_character() -> None:
    from transfer.ocr.extract import parse_vitals

    text = "体温 3た0度各圧136/87mmHg 有拍98回/分 Spo2 83%(室内気) 画吸28/分"

    block = parse_vitals(text, None, 0.95, block=True)
    page = parse_vitals(text, None, 0.95)

    assert (block["vitals.bp_systolic"].value, block["vitals.bp_diastolic"].value) == (136, 87)
    assert block["vitals.heart_rate"].value == 98
    assert block["vitals.resp_rate"].value == 28
    assert block["vitals.heart_rate"].score <= 0.7
    # Outside the vitals block a lone 圧 is no label (高血圧 ends with it).
    assert "vitals.bp_systolic" not in page


@pytest.mark.parametrize(
    ("text", "bp"),
    [
        ("体温 36.2 ?? 191/104mmHg 脈拍 59", (191, 104)),
        ("血 99752mmHg 脈拍 91/分", (99, 52)),  # the slash read as 7
    ],
)
def test_it_finds_a_blood_pressure_by_its_unit(text: str, bp: tuple[int, int]) -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals(text, None, 0.95, block=True)

    assert (out["vitals.bp_systolic"].value, out["vitals.bp_diastolic"].value) == bp
    assert out["vitals.bp_systolic"].score <= 0.7


def test_it_does_not_split_an_implausible_pressure_at_a_seven() -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals("?? 127mmHg", None, 0.95, block=True)

    assert "vitals.bp_systolic" not in out


def test_it_tells_vitals_whose_labels_are_lost_by_their_shape() -> None:
    from transfer.ocr.extract import parse_vitals

    # A hand-filled form read by Tesseract (seed 1045): 血圧 became "mg", 脈拍 "誠折".
    text = "体温 37.2℃ mg 149/104 誠折99 bpm 酸素 98% 呼吸 14回/分 JCS 20"

    block = parse_vitals(text, None, 0.95, block=True)
    page = parse_vitals(text, None, 0.95)

    assert (block["vitals.bp_systolic"].value, block["vitals.bp_diastolic"].value) == (149, 104)
    assert block["vitals.heart_rate"].value == 99
    assert block["vitals.spo2"].value == 98
    assert block["vitals.temperature_c"].value == 37.2
    assert block["vitals.resp_rate"].value == 14
    assert max(block[k].score for k in ("vitals.bp_systolic", "vitals.heart_rate")) <= 0.6
    # Outside the vitals block a fraction or a percentage is no vital sign.
    assert "vitals.bp_systolic" not in page and "vitals.spo2" not in page


@pytest.mark.parametrize(
    ("text", "resp"),
    [
        # hand-filled forms read by Tesseract (dev and seeds 1000-1079): 呼吸 garbled
        ("体温 38.7度 血圧142/117 上拍99 回/分 spoz 99%(RA) 時嘱28回/分 JCS 200", 28),
        ("体温 36.4℃ 血圧 120/80 72回/分 Spo2 96% 本衣14回/分", 14),  # 72: a pulse
        ("体温 37.0℃ 脈拍 61/分 Spo2 97% 中 27/人が JCS 20", 27),  # 分 read as 人が
        ("体温 37.0℃ 脈拍 61/分 Spo2 97% 本 5/人が", None),  # 15 with its 1 lost
        ("体温 37.0℃ 72回/分 Spo2 97% 本衣18回/分 生 22/分", None),  # which one?
    ],
)
def test_it_tells_a_breathing_rate_whose_label_is_lost_by_elimination(
    text: str, resp: int | None
) -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals(text, None, 0.95, block=True)

    assert (out["vitals.resp_rate"].value if "vitals.resp_rate" in out else None) == resp
    if resp is not None:
        assert out["vitals.resp_rate"].score <= 0.5
    assert "vitals.resp_rate" not in parse_vitals(text, None, 0.95)


@pytest.mark.parametrize(
    ("label", "spo2"), [("SpO0293%", 93), ("spoz 99%(RA)", 99), ("5pO296%(RA)", 96)]
)
def test_it_reads_an_spo2_label_with_an_o_read_twice_or_a_2_read_as_z(
    label: str, spo2: int
) -> None:
    from transfer.ocr.extract import parse_vitals

    assert parse_vitals(f"体温 36.5℃ {label}", None, 0.95)["vitals.spo2"].value == spo2


@pytest.mark.parametrize(("text", "jcs"), [("半識J)CS T-20", 20), ("生族CS 陳-200", 200)])
def test_it_reads_a_jcs_label_with_its_j_garbled_in_the_vitals_block(text: str, jcs: int) -> None:
    from transfer.ocr.extract import parse_vitals

    assert parse_vitals(f"体温 36.5℃ {text}", None, 0.95, block=True)["vitals.jcs"].value == jcs
    assert "vitals.jcs" not in parse_vitals("体温 36.5℃ GCS 3-10", None, 0.95, block=True)


@pytest.mark.parametrize(
    "text", ["体則39.7でて 血圧 167/116", "体旨39.7でC", "体居39.7C BP 109/81"]
)
def test_it_reads_a_temperature_whose_degree_sign_is_misread(text: str) -> None:
    from transfer.ocr.extract import parse_vitals

    assert parse_vitals(text, None, 0.95, block=True)["vitals.temperature_c"].value == 39.7


@pytest.mark.parametrize(
    "text",
    [
        "体温 36・4て 血圧 T1070 拍 52/分",
        "体温 36-4°C mm 95/42mmHs",
        "体温36・4て 血圧170/84mmHs",
        "各温 36・4C 圧 155/79",
    ],
)
def test_it_reads_a_temperature_whose_point_is_read_as_a_dot_or_hyphen(text: str) -> None:
    """Handwritten 36.4℃ read as 36・4て had been taken as 36.0."""
    from transfer.ocr.extract import parse_vitals

    assert parse_vitals(text, None, 0.95, block=True)["vitals.temperature_c"].value == 36.4


def test_it_crops_each_vital_sign_to_its_own_label_and_value() -> None:
    from transfer.ocr.extract import extract

    found = extract(
        [
            _line("バイタル", 0),
            _line("BT 39.6℃ 血圧 114/86mmHg HR 114bpm SpO2 92% 呼吸数 34/分 意識レベル JCS", 1),
            _line("III-100", 2),
        ]
    )

    block = found["vitals.jcs"].box  # its value wrapped: the whole block
    temperature = found["vitals.temperature_c"].box
    assert found["vitals.jcs"].value == 100 and block is not None and temperature is not None
    assert temperature[2] < block[2] / 4  # "BT 39.6℃ 血", not the whole block
    assert found["vitals.spo2"].box != temperature
    assert block[1] + block[3] >= 2 * 40  # reaches the wrapped line


def test_it_tells_a_pulse_whose_label_is_lost_by_elimination() -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals(
        "体温 38.5℃ 血圧 109/50 72回/分 Spo2 96% 本衣14回/分", None, 0.95, block=True
    )

    assert out["vitals.heart_rate"].value == 72
    assert out["vitals.resp_rate"].value == 14
    assert out["vitals.heart_rate"].score <= 0.5


def test_it_finds_the_vitals_block_by_its_signs_when_its_label_was_not_read() -> None:
    from transfer.ocr.extract import extract

    # バイタル not read; the cell's signs read with misread labels (dev sheet 8).
    row = _cells(["(不明)", "体須38.7度 mm左142/117 上拍99 回/分 spoz 99%(RA) JCS 200"], 0, 0)
    found = extract(_cells(["氏名", "山田 花子"], 1, 2) + row)

    assert found["vitals.heart_rate"].value == 99  # 拍 alone counts in the block only
    assert (found["vitals.bp_systolic"].value, found["vitals.bp_diastolic"].value) == (142, 117)
    assert found["vitals.temperature_c"].value == 38.7


@pytest.mark.parametrize(
    "text",
    [
        "記入 10/22 0:50 体温 36.5℃",  # a date is no pressure
        "血圧 測定不可 脈拍 88 整",  # nothing of the shape
        "体温 36.5℃ 120/130",  # diastolic above systolic
    ],
)
def test_it_finds_no_blood_pressure_without_one(text: str) -> None:
    from transfer.ocr.extract import parse_vitals

    out = parse_vitals(text, None, 0.95, block=True)

    assert "vitals.bp_systolic" not in out


def test_it_takes_a_cell_holding_only_an_age_for_the_age() -> None:
    from transfer.ocr.extract import extract

    # 年齢 misread beyond recognition; its value cell still reads "85歳".
    found = extract([_line("氏名 山田 花子", 0), _line("年鈴", 1), _line("(満85歳)", 2)])
    two = extract([_line("85歳", 0), _line("妻 82歳", 1), _line("78歳", 2)])
    notes = extract([_line("特記事項", 0), _line("90歳代の妻と二人暮らし", 1)])

    assert found["age"].value == 85
    assert found["age"].score <= 0.6
    assert "age" not in two  # whose age, when two stand alone?
    assert "age" not in notes


def _cells(texts: list[str], line: int, first_cell: int) -> list[Segment]:
    """One table row: each text its own cell, left to right."""
    return [
        Segment(
            [Char(ch, (300 * k + 20 * i, 40 * line, 18, 30), 0.95) for i, ch in enumerate(t)],
            line,
            cell=first_cell + k,
        )
        for k, t in enumerate(texts)
    ]


def test_it_takes_a_lone_phone_number_in_the_facility_row_for_the_facility_phone() -> None:
    from transfer.ocr.extract import extract

    # The shaded 電話 cell was not read; the number's cell was.
    row = _cells(["施設名", "ケアハウス 白桃の郷", "0866—91—7466"], 0, 0)
    kp = _cells(["キーパーソン", "山田 一郎(長男)", "090-1111-2222"], 1, 3)
    found = extract(row + kp)
    other_row = extract(_cells(["施設名", "ケアハウス 白桃の郷"], 0, 0) + kp)

    assert found["facility_phone"].value == "0866-91-7466"
    assert found["facility_phone"].score <= 0.6
    assert "facility_phone" not in other_row  # the key person's number is not the home's


def test_it_finds_the_record_date_after_the_title_on_its_line() -> None:
    from transfer.ocr.extract import extract

    found = extract(
        [_line("小忘矢療育報シ ーー 記入日2025年11月22日", 0), _line("氏名 山田 花子", 1)]
    )

    assert found["written_date"].value == "2025-11-22"
    assert found["written_date"].box == (280, 0, 218, 30)  # the date, not the title


@pytest.mark.parametrize(
    "cell",
    ["〒713-2619 岡山県倉敷市玉島1278-8", "713-2619 岡山県倉敷市玉島1278-8"],
)
def test_it_knows_an_address_without_its_label_by_its_shape(cell: str) -> None:
    from transfer.ocr.extract import extract

    # The shaded 住所 cell was not read.
    found = extract(_cells(["氏名", "山田 花子"], 0, 0) + _cells(["住居", cell], 1, 2))
    phone = extract(_cells(["連絡先", "086-454-2416 (日中)"], 0, 0))

    assert found["postal_code"].value == "713-2619"
    assert found["postal_code"].score <= 0.6
    assert found["address"].value == "岡山県倉敷市玉島1278-8"
    assert "postal_code" not in phone and "address" not in phone


def test_it_knows_a_medication_list_without_its_label_by_its_shape() -> None:
    from transfer.ocr.extract import extract

    # 服薬内容 misread beyond recognition (seed 1002); its cell holds three lines.
    rows = _cells(["骨共内容"], 0, 0) + [
        Segment([Char(ch, (300 + 20 * i, 40 * k, 18, 30), 0.95) for i, ch in enumerate(t)], k, 1)
        for k, t in enumerate(
            ["エリキュース錠2.5mg2錠分2 朝夕食後", "ジャヌビア錠50mg1錠分1朝食後", "不明な行"]
        )
    ]
    found = extract(rows)
    notes = extract(_cells(["特記事項", "ロキソニン錠60mg 1錠 頓用"], 0, 0))

    meds = found["medications"].value
    assert [m["name"] for m in meds[:2]] == ["エリキュース錠2.5mg", "ジャヌビア錠50mg"]
    assert meds[0]["dose"].replace(" ", "") == "2錠分2朝夕食後"
    assert found["medications"].score <= 0.6
    assert "medications" not in notes  # a labelled cell is that label's


@pytest.mark.parametrize("cell", ["認知徒自立族", "多知年自立魔"])
def test_it_takes_a_label_cell_with_half_its_characters_in_place_for_that_label(
    cell: str,
) -> None:
    from transfer.ocr.extract import extract

    found = extract(_cells(["要介護度", "要介護2", cell, "自立"], 0, 0))
    alone = extract(_cells(["要介護度", "要介護2"], 0, 0) + _cells([cell], 1, 2))

    assert found["dementia_level"].value == "自立"
    assert "dementia_level" not in alone  # a label has its value beside it


def test_it_takes_the_one_old_date_for_the_birth_date_when_its_label_was_lost() -> None:
    from transfer.ocr.extract import extract

    rows = (
        _cells(["記入日", "2025年2月26日"], 0, 0)
        + _cells(["和信年 月目", "1952/11/29(72歳)"], 1, 2)  # 生年月日 garbled
        + _cells(["発症時刻", "2025/02/25 17時50分頃"], 2, 4)
    )
    found = extract(rows)
    two = extract(rows + _cells(["(不明)", "昭和30年1月2日"], 3, 6))

    assert found["birth_date"].value == "1952-11-29"
    assert found["birth_date"].score <= 0.6
    assert found["age"].value == 72
    assert "birth_date" not in two  # whose birthday, of two?


def test_it_takes_the_age_from_the_dates_when_the_age_read_lost_a_digit() -> None:
    from transfer.ocr.extract import extract

    def age_of(age: str) -> tuple[int, float]:
        found = extract(
            _cells(["記入日", "2025年6月21日"], 0, 0)
            + _cells(["生年月日", "昭和3年6月29日"], 1, 2)
            + _cells(["年齢", age], 2, 4)
        )
        return found["age"].value, found["age"].score

    assert age_of("6歳")[0] == 96  # 96 with its 9 lost
    assert age_of("6歳")[1] <= 0.6
    assert age_of("69歳") == (69, 0.3)  # another number: one of them misread
    assert age_of("96歳")[0] == 96


@pytest.mark.parametrize(
    ("line", "postal", "most"),
    [
        ("〒710-0001 岡山県倉敷市阿知1丁目", "710-0001", 1.0),  # Okayama's are 700-719
        ("〒119-4251 岡山県総社市総社1457", "719-4251", 0.5),  # 7 read as 1: one digit fits
        ("〒999-0001 岡山県倉敷市阿知1丁目", "999-0001", 0.3),  # no one digit fits: in doubt
        ("〒160-0001 東京都新宿区西新宿", "160-0001", 1.0),
        # The prefecture misread too (周山県: 岡山県 or 富山県): checked
        # against both, one first digit makes it Okayama's.
        ("〒119-4251 周山県総社市総社1457", "719-4251", 0.5),
        ("〒999-0001 周山県総社市総社1457", "999-0001", 0.3),  # neither's: in doubt
    ],
)
def test_it_checks_a_postal_code_against_the_prefecture(
    line: str, postal: str, most: float
) -> None:
    from transfer.ocr.extract import Value, parse_address

    out = parse_address(Value(line, None, 1.0, [line]))

    assert out["postal_code"].value == postal
    assert out["postal_code"].score == most


@pytest.mark.parametrize(
    ("line", "postal", "address"),
    [
        # A widely spaced font: OCR puts spaces between a group's digits.
        (
            "〒7 13-8180 岡山県倉敷市玉島八島 16 5 3 番地",
            "713-8180",
            "岡山県倉敷市玉島八島1653番地",
        ),
        ("〒7 0 2一7132", "702-7132", None),
        ("〒7 19一5464 岡山県真庭市久世2137-15", "719-5464", "岡山県真庭市久世2137-15"),
        ("〒713-818 0 岡山県倉敷市", "713-8180", "岡山県倉敷市"),
    ],
)
def test_it_reads_a_postal_code_whose_digits_ocr_spaced_apart(
    line: str, postal: str, address: str | None
) -> None:
    from transfer.ocr.extract import Value, parse_address

    out = parse_address(Value(line, None, 1.0, [line]))

    assert out["postal_code"].value == postal
    if address is None:
        assert "address" not in out
    else:
        assert str(out["address"].value).replace(" ", "") == address


def test_it_tells_a_misread_prefecture_by_the_postal_code_it_repaired() -> None:
    from transfer.ocr.extract import Value, parse_address

    line = "〒119-4251 周山県総社市総社1457-12"
    out = parse_address(Value(line, None, 1.0, [line]))

    assert out["address"].value == "岡山県総社市総社1457-12"
    assert out["address"].score < 1.0  # repaired


def test_it_does_not_join_the_digits_of_an_address_into_a_postal_code() -> None:
    from transfer.ocr.extract import Value, parse_address

    line = "岡山県真庭市久世2 137 一 15"
    out = parse_address(Value(line, None, 1.0, [line]))

    assert "postal_code" not in out


def test_it_reads_a_relation_whose_closing_bracket_was_lost_at_the_line_end() -> None:
    from transfer.ocr.extract import Value, parse_key_person

    line = "小川久美子(長男の妻"
    out = parse_key_person(Value(line, None, 1.0, [line]))
    phone = "小川久美子(090-1111-2222"
    no_relation = parse_key_person(Value(phone, None, 1.0, [phone]))

    assert out["key_person.name"].value == "小川久美子"
    assert out["key_person.relation"].value == "長男の妻"
    assert out["key_person.relation"].score <= 0.6  # "(長男" may have been cut short
    assert "key_person.relation" not in no_relation


def test_it_ends_the_name_at_brackets_whose_relation_was_not_read() -> None:
    from transfer.ocr.extract import Value, parse_key_person

    line = "高田誠() 070-1622-6148"
    out = parse_key_person(Value(line, None, 1.0, [line]))

    assert out["key_person.name"].value == "高田誠"
    assert "key_person.relation" not in out
    assert (
        parse_key_person(Value("K吉田聡 090-1234-5678", None, 1.0, []))["key_person.name"].value
        == "吉田聡"
    )  # a speck read as a letter before the name
    assert out["key_person.phone"].value == "070-1622-6148"


def test_it_reads_a_record_date_with_a_misread_era_as_reiwa() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("記入日 信和6 年6月11 日", 0)])

    assert found["written_date"].value == "2024-06-11"
    assert found["written_date"].score <= 0.6


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("介護老人保伴施設 晴れの国", "介護老人保健施設晴れの国"),
        ("特別療護老人ホーム後楽の森", "特別養護老人ホーム後楽の森"),
        ("サービス付き高齢才向け住宅 白桃の郷", "サービス付き高齢者向け住宅白桃の郷"),
        ("サービス付き高齢者向住宅 白桃の郷", "サービス付き高齢者向け住宅白桃の郷"),
        ("介護老人保健施設 さく5", "介護老人保健施設 さくら"),  # a written ら read as 5
        ("ケアハウス むらさき苑", "ケアハウス むらさき苑"),  # right already
        ("ケアホーム 5番館", "ケアホーム 5番館"),  # no type it is one letter off
    ],
)
def test_it_puts_a_misread_kind_of_home_right(read: str, meant: str) -> None:
    from transfer.ocr.extract import fix_facility_name

    assert fix_facility_name(read) == meant


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("小川内科タリニック", "小川内科クリニック"),
        ("土井内科 クリニッ フク", "土井内科クリニック"),  # a character read in
        ("松本内科クリニク", "松本内科クリニック"),  # one left out
        ("岡田病院", "岡田病院"),  # 病院 is a kind too, not a misread 医院
        ("旭川診療所", "旭川診療所"),
        ("大森医陸", "大森医院"),  # the first of two read right
        ("倉敷中央病険", "倉敷中央病院"),
        ("中央医療", "中央医療"),
        ("川崎医大", "川崎医大"),
        ("小林内料クリニック", "小林内科クリニック"),
        ("片山内科ク2クリニック", "片山内科クリニック"),  # specks between
        ("みなみファミリークリニック", "みなみファミリークリニック"),
    ],
)
def test_it_puts_a_misread_kind_of_clinic_right(read: str, meant: str) -> None:
    from transfer.ocr.extract import fix_clinic_name

    assert fix_clinic_name(read) == meant


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("岡山県備前市西片上5丁卓5-11", "岡山県備前市西片上5丁目5-11"),
        ("岡山県倉敷市四十瀬4丁日11-26 1:", "岡山県倉敷市四十瀬4丁目11-26"),
        ("岡山県真庭市久世5」目3-13", "岡山県真庭市久世5丁目3-13"),
        ("岡山県都窪郡早島町若宮1]目25-24", "岡山県都窪郡早島町若宮1丁目25-24"),
        ("岡山県瀬戸内市長船町土師4丁上日3-29", "岡山県瀬戸内市長船町土師4丁目3-29"),
        ("岡山県笠岡市富岡2.23-28", "岡山県笠岡市富岡2-23-28"),
        ("岡山県倉敷市笹沖1丁目27-22コーポ備中402呈", "岡山県倉敷市笹沖1丁目27-22コーポ備中402号"),
        ("岡山県倉敷市笹沖1-27-225", "岡山県倉敷市笹沖1-27-225"),
        ("岡山県新見市西方175番", "岡山県新見市西方175番"),
        ("岡山県玉野市田井481-4上:", "岡山県玉野市田井481-4"),
        ("716-621岡山県高梁市落合町1丁目24-8", "岡山県高梁市落合町1丁目24-8"),
        ("岡」県岡山市中区桑野6丁目7-9", "岡山県岡山市中区桑野6丁目7-9"),
        ("周山県総社市総社1457-12", "周山県総社市総社1457-12"),  # 岡山? 富山? not guessed
        ("山口県下関市1-2", "山口県下関市1-2"),
    ],
)
def test_it_repairs_an_address_by_its_shape(read: str, meant: str) -> None:
    from transfer.ocr.extract import fix_address

    assert fix_address(read) == meant


@pytest.mark.parametrize(
    ("postal", "meant"),
    [
        ("719-4251", "岡山県総社市総社1457-12"),  # Okayama's code
        ("930-0001", "富山県総社市総社1457-12"),  # Toyama's
        ("119-4251", "周山県総社市総社1457-12"),  # neither's: not guessed
    ],
)
def test_it_tells_a_misread_prefecture_by_the_postal_code(postal: str, meant: str) -> None:
    from transfer.ocr.extract import fix_address

    assert fix_address("周山県総社市総社1457-12", postal=postal) == meant


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("ドネペジル坦酸坦0D錠5mg 1錠 分1 朝食後", "ドネペジル塩酸塩OD錠5mg"),
        ("ランソプラゾール0D錠15mg 1錠 分1 朝食後", "ランソプラゾールOD錠15mg"),
        ("フロセミド錠g20mg 1錠 分1 朝食後", "フロセミド錠20mg"),
        ("酸化マグネシウム錠330mg 3錠 分3 毎食後", "酸化マグネシウム錠330mg"),
        # A salt's 酸 misread or dropped.
        ("メトホルミン塩琶塩錠250mg 2錠 分2", "メトホルミン塩酸塩錠250mg"),
        ("ビソプロロールフマル倒塩錠2.5mg 1錠 分1", "ビソプロロールフマル酸塩錠2.5mg"),
        ("ゾルピデム酒石可塩錠5mg 1錠 就寝前", "ゾルピデム酒石酸塩錠5mg"),
        ("ドネペジル塩科塩OD錠5mg 1錠 分1", "ドネペジル塩酸塩OD錠5mg"),
        ("メトホルミン塩塩錠250mg 2錠 分2", "メトホルミン塩酸塩錠250mg"),
        # and left alone where it was read, or where no kanji stands there
        ("クロピドグレル硫酸塩錠75mg 1錠 分1", "クロピドグレル硫酸塩錠75mg"),
        ("ナトリウム塩錠500mg 1錠 分1", "ナトリウム塩錠500mg"),
        # A P read beside the D of an orally disintegrating form.
        ("ハルナールDP錠0.2mg 1錠 分1", "ハルナールD錠0.2mg"),
        ("ハルナールPD錠0.2mg 1錠 分1", "ハルナールD錠0.2mg"),
        ("メマリーOPD錠10mg 1錠 分1", "メマリーOD錠10mg"),
        # μ read as x or a slash.
        ("チラーヂンS錠50xg 1錠 分1", "チラーヂンS錠50μg"),
        ("エルデカルシトールカプセル0.75/g 1カプセル", "エルデカルシトールカプセル0.75μg"),
    ],
)
def test_it_repairs_a_drug_name_its_form_makes_certain(line: str, name: str) -> None:
    from transfer.ocr.extract import parse_medications

    meds, _ = parse_medications(Value("", None, 0.9, [line]))

    assert meds[0]["name"] == name


def test_it_reads_the_medications_under_a_two_word_label() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("服薬内容", 0), _line("フロセミド錠20mg 1錠 分1 朝食後", 1)])

    assert found["medications"].value == [{"name": "フロセミド錠20mg", "dose": "1錠 分1 朝食後"}]


@pytest.mark.parametrize("label", ["近基 年自立度", "知傘自立度", "科知征自立度"])
def test_it_knows_a_garbled_label_by_its_own_ending(label: str) -> None:
    """Handwritten forms: two or three characters of 認知症自立度 misread, but
    the line is label-long and ends in 自立度, which no other label does."""
    from transfer.ocr.extract import extract

    cells = [_line(label, 0), _line("WV", 0)]
    cells[0].cell, cells[1].cell = 0, 1
    for c in cells[1].chars:  # the value cell right of the label cell
        c.box = (c.box[0] + 200, *c.box[1:])

    found = extract(cells)

    assert found["dementia_level"].value == "Ⅳ"
    assert found["dementia_level"].score < 0.9  # a guess from a glyph that is no numeral


def test_it_does_not_take_a_birth_date_label_for_the_record_date() -> None:
    """記入年月日 ends like 生年月日: 年月日 is no label's own ending."""
    from transfer.ocr.extract import _TAIL_FIELDS

    assert "年月日" not in _TAIL_FIELDS
    assert _TAIL_FIELDS["自立度"] == "dementia_level"


def test_it_trusts_a_name_its_furigana_confirms() -> None:
    from transfer.ocr.extract import NAME_CONFIRMED, extract

    found = extract([_line("氏名 山田 和夫 様(やまだ かずお) 男", 0)])

    assert found["name"].value.replace(" ", "") == "山田和夫"
    assert found["name"].score == NAME_CONFIRMED
    assert found["name_kana"].score == NAME_CONFIRMED


def test_it_distrusts_a_name_its_furigana_contradicts() -> None:
    """和夫 misread as 和大: its usual reading is カズヒロ, not the カズオ read
    beside it, so the kanji is not shown as certain however sure OCR was."""
    from transfer.ocr.extract import NAME_DISPUTED, extract

    found = extract([_line("氏名 山田 和大 様(やまだ かずお) 男", 0)])

    assert found["name"].score <= NAME_DISPUTED
    assert found["name_kana"].value.replace(" ", "") == "ヤマダカズオ"


@pytest.mark.parametrize(
    ("name", "kana", "same"),
    [
        ("長谷川 千代子", "ハセガワ チヨコ", True),
        ("長谷川千代子", "はせがわちよこ", True),  # furigana in hiragana
        ("橋本 トシ子", "ハシモト トシコ", True),  # kana inside the name
        ("長谷川 実", "ハセガワ ミノル", True),  # a name's reading, not the usual ミ
        ("林 三郎", "ハヤシ サブロウ", True),
        ("長谷川 千代了チ", "ハセガワ チヨコ", False),
        ("機山 正", "ヨコヤマ タダシ", False),  # 横 misread
        ("片山 男", "カタヤマ イサム", False),  # 勇 misread
        ("山田 和夫", "", False),
    ],
)
def test_it_compares_a_name_with_its_reading(name: str, kana: str, same: bool) -> None:
    from transfer.ocr.reading import reads_as

    assert reads_as(name, kana) is same


@pytest.mark.parametrize(
    ("line", "kana"),
    [
        ("氏名 平松 清子 様(ヒラマツ キョコ) 女", "ヒラマツキヨコ"),  # ョ for ヨ
        ("氏名 清水 三郎 様(シミズ サプロウ) 男", "シミズサブロウ"),  # ゜ for ゛
        ("氏名 平松 和子 様(ヒラマッ カズコ) 女", "ヒラマツカズコ"),  # ッ for ツ
    ],
)
def test_it_puts_the_furigana_right_by_the_names_reading(line: str, kana: str) -> None:
    from transfer.ocr.extract import NAME_REPAIRED, extract

    found = extract([_line(line, 0)])

    assert found["name_kana"].value.replace(" ", "") == kana
    assert found["name_kana"].score == NAME_REPAIRED == found["name"].score


def test_an_onset_the_day_before_confirms_the_record_date() -> None:
    from transfer.ocr.extract import DATES_AGREE, Found, _check_onset_date

    found = {
        "written_date": Found("2025-03-10", 0.3, None),
        "onset_time": Found("2025-03-09T14:15", 0.4, None, "2025/03/09 14:15頃"),
    }

    _check_onset_date(found)

    assert found["written_date"].score == DATES_AGREE
    assert found["onset_time"].score == 0.4  # its time of day is not confirmed


def test_an_onset_after_the_record_date_discredits_both() -> None:
    from transfer.ocr.extract import Found, _check_onset_date

    found = {
        "written_date": Found("2025-03-10", 0.9, None),
        "onset_time": Found("2025-08-09T14:15", 0.9, None, "2025/08/09 14:15頃"),
    }

    _check_onset_date(found)

    assert found["written_date"].score <= 0.3 and found["onset_time"].score <= 0.3


def test_a_bare_onset_time_says_nothing_about_the_record_date() -> None:
    """The date of "14時15分頃" was taken from the record date itself."""
    from transfer.ocr.extract import Found, _check_onset_date

    found = {
        "written_date": Found("2025-03-10", 0.3, None),
        "onset_time": Found("2025-03-10T14:15", 0.5, None, "14時15分頃"),
    }

    _check_onset_date(found)

    assert found["written_date"].score == 0.3


def test_it_says_no_gcs_with_the_jcs_score_when_the_page_shows_no_trace_of_one() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("バイタル", 0), _line("BT 36.5℃ BP 120/70 JCS 1-3", 1)])

    assert found["vitals.gcs"].value is None
    assert found["vitals.gcs"].score == found["vitals.jcs"].score > 0


@pytest.mark.parametrize(
    "vitals",
    [
        "BT 36.5℃ BP 120/70 JCS 1-3 6CS",  # the name, misread, without a value
        "BT 36.5℃ BP 120/70 JCS 1-3 E4V5",  # a value cut short at the margin
        "BT 36.5℃ BP 120/70",  # no JCS either: the line may not have been read
    ],
)
def test_it_leaves_the_gcs_unknown_when_one_may_be_there(vitals: str) -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("バイタル", 0), _line(vitals, 1)])

    assert "vitals.gcs" not in found


@pytest.mark.parametrize(
    ("text", "inside", "ends"),
    [
        ("骨粗鬆症", 0, 0),
        ("骨粗明症", 2, 2),  # 鬆 misread: 粗 and 明 make no word
        ("誤嘆性肺炎", 2, 1),
        ("腰部脊柱管狭窄症", 1, 1),  # 管 stands alone inside, 症 at the end
        ("右股関節痛の訴えあり", 0, 1),  # 右 is a prefix
        ("本日朝より発熱あり", 0, 0),
        ("ねたきり", 0, 0),  # no kanji: nothing to say
    ],
)
def test_it_counts_kanji_that_no_dictionary_word_accounts_for(
    text: str, inside: int, ends: int
) -> None:
    from transfer.ocr.reading import word_breaks

    assert word_breaks(text)[:2] == (inside, ends)


def test_it_doubts_written_text_with_a_broken_word_and_trusts_whole_words_more() -> None:
    from transfer.ocr.extract import WORDING_BROKEN, WORDING_WHOLE, Found, _check_wording

    found = {
        "current_illness": Found("本日朝より発熱あり。頭部打撰あり。", 0.9, None),
        "advance_directive": Found("心肺蘇生は希望しない", 0.4, None),
        "notes": Found("発熱あり", 0.4, None),  # one word of two kanji: too little to tell
        # Whole words, but a character OCR all but rejected: 蘇 read as 多.
        "adl": Found("心肺多生を含むすべての処置を希望", 0.02, None),
        "diagnoses": Found(["高血圧症", "骨粗明症"], 0.8, None),
    }
    whole_list = {"diagnoses": Found(["高血圧症", "心房細動"], 0.4, None)}

    _check_wording(found)
    _check_wording(whole_list)

    assert found["current_illness"].score == WORDING_BROKEN
    assert found["current_illness"].broken and not found["advance_directive"].broken
    assert found["advance_directive"].score == WORDING_WHOLE
    assert found["notes"].score == 0.4
    assert found["adl"].score == 0.02
    assert found["diagnoses"].score == WORDING_BROKEN
    assert whole_list["diagnoses"].score == 0.4  # a list: an item may be lost


@pytest.mark.parametrize(
    ("line", "name", "phone"),
    [
        ("長女鈴木 裕子 様TELO70-ー5988--3480", "鈴木 裕子", "070-5988-3480"),
        ("高橋直美様TELO70一6417一5323", "高橋直美", "070-6417-5323"),
        ("横山 恵子 様 TEL0S0-6142-4292", "横山 恵子", "050-6142-4292"),
        ("平松 健一(長男)TELO086一452-0907", "平松 健一", "086-452-0907"),  # O for a colon
    ],
)
def test_it_reads_a_key_person_whose_phone_starts_with_a_letter_for_a_digit(
    line: str, name: str, phone: str
) -> None:
    from transfer.ocr.extract import Value, parse_key_person

    found = parse_key_person(Value(line, None, 0.9, [line]))

    assert found["key_person.name"].value.replace(" ", "") == name.replace(" ", "")
    assert found["key_person.phone"].value == phone


def test_it_takes_the_circled_era_when_the_other_printed_options_are_garbled() -> None:
    """ "明治・大正・昭和" read as "明光 ・大正 (人層和": one era left legible,
    and the pen circle found round 昭和."""
    from transfer.ocr.extract import extract

    line = _line("生年月日 明光 ・大正 (人層和 7 年11 月 17日", 0)
    found = extract([line], marks={"birth_era": ("昭和", 0.95, (0, 40, 40, 30))})

    assert found["birth_date"].value == "1932-11-17"
    # The date as printed, for the second reading to compare (confirm.RUNS).
    assert found["birth_date"].text == "昭和7年11月17日"


@pytest.mark.parametrize(("age", "disputed"), [(86, False), (100, True)])
def test_it_marks_an_age_and_a_birth_date_that_disagree_as_disputed(
    age: int, disputed: bool
) -> None:
    from transfer.ocr.extract import extract

    found = extract(
        [
            _line("記入日 2025年1月17日", 0),
            _line("生年月日 昭和13年2月1日", 1),
            _line(f"年齢 {age}歳", 2),
        ]
    )

    assert found["birth_date"].value == "1938-02-01"
    assert found["birth_date"].disputed is disputed
    assert found["age"].disputed is disputed


def test_a_date_written_out_keeps_its_era_whatever_was_taken_for_a_circle() -> None:
    from transfer.ocr.extract import extract

    line = _line("生年月日 昭和4年3月10日 96歳", 0)
    found = extract([line], marks={"birth_era": ("明治", 0.15, (0, 40, 12, 11))})

    assert found["birth_date"].value == "1929-03-10"


def test_a_broken_word_casts_doubt_on_a_name_but_whole_words_vouch_for_none() -> None:
    from transfer.ocr.extract import WORDING_BROKEN, Found, _check_wording

    found = {
        "clinic_name": Found("渡辺内科病医院", 0.8, None),
        "primary_physician": Found("長谷川 和夫", 0.4, None),
    }

    _check_wording(found)

    assert found["clinic_name"].score == WORDING_BROKEN
    assert found["primary_physician"].score == 0.4


def test_a_name_its_furigana_confirms_stays_confirmed_whatever_the_dictionary_says() -> None:
    from transfer.ocr.extract import NAME_CONFIRMED, extract

    found = extract([_line("氏名 長谷川 実 (ハセガワ ミノル)", 0)])

    assert found["name"].score >= NAME_CONFIRMED


@pytest.mark.parametrize(
    ("clean", "read", "meant"),
    [
        ("clean_text", "延命処置は希望しない(家族同意済み}", "延命処置は希望しない(家族同意済み)"),
        ("clean_text", "補聴器使用[左)。", "補聴器使用(左)。"),
        ("clean_text", "| 心肺蘇生を希望 |", "心肺蘇生を希望"),  # ruled-line leftovers
        # The end of a heading's bracket (【アレルギー】) before the value.
        ("clean_text", ")】ヨード造影剤", "ヨード造影剤"),
        ("clean_text", "】 特になし", "特になし"),
        ("clean_text", "義歯あり(上下)", "義歯あり(上下)"),
        # A speck after the last full stop of a written account.
        ("written_text", "ペースメーカー留置中。 だ", "ペースメーカー留置中。"),
        ("written_text", "転倒リスク 高い。 人", "転倒リスク 高い。"),
        ("written_text", "眼鏡使用。 補聴器使用(左)", "眼鏡使用。 補聴器使用(左)"),  # a sentence
        ("written_text", "本日朝より38C台の発熱あり。", "本日朝より38℃台の発熱あり。"),
    ],
)
def test_it_cleans_misread_brackets_line_leftovers_and_specks(
    clean: str, read: str, meant: str
) -> None:
    from transfer.ocr import extract

    assert getattr(extract, clean)(read) == meant


@pytest.mark.parametrize(
    ("line", "relation", "name"),
    [
        ("妹尾伸也 様 TEL0865-59-8446", None, "妹尾伸也"),  # 妹尾 is a family name
        ("夫三宅忠様TEL0867-79-5027", "夫", "三宅忠"),  # 夫三 is no word
        ("長女鈴木 裕子 様 TEL 086-123-4567", "長女", "鈴木裕子"),
    ],
)
def test_it_takes_a_leading_one_kanji_relation_unless_it_begins_a_word(
    line: str, relation: str | None, name: str
) -> None:
    from transfer.ocr.extract import Value, parse_key_person

    found = parse_key_person(Value(line, None, 0.9, [line]))

    assert (found["key_person.relation"].value if relation else None) == relation
    assert "key_person.relation" in found or relation is None
    assert found["key_person.name"].value.replace(" ", "") == name


def test_it_finds_a_letters_physician_line_by_its_shape_when_the_label_was_misread() -> None:
    from transfer.ocr.extract import REPAIRED, extract

    lines = [
        _line("吉備市民病院 担当医 先生 御侍史", 0),  # the addressee: no physician
        _line("導治隊: 水島中央交院長谷川健次先生", 1),
    ]

    found = extract(lines)

    assert found["primary_physician"].value.replace(" ", "") == "長谷川健次"
    assert found["primary_physician"].score <= REPAIRED
    assert found["clinic_name"].score < REPAIRED  # its kind misread: doubtful


def test_an_addressee_line_is_no_physician() -> None:
    from transfer.ocr.extract import extract

    found = extract([_line("備前医療センター 担当医 先生 御侍史", 0)])

    assert "primary_physician" not in found


def test_it_reads_a_drug_list_past_a_speck_read_as_a_line() -> None:
    from transfer.ocr.extract import extract

    # The page's edge, far right on the heading's line, read as "|"; a speck
    # between two drugs read as a line of its own.
    lines = [
        _line("【内服薬】", 0),
        Segment([Char("|", (800, 0, 2, 30), 0.4)], 0),
        _line("1. アムロジン錠5mg 1錠 分1 朝食後", 1),
        Segment([Char("'", (4, 70, 2, 8), 0.3)], 2),
        _line("2. バイアスピリン錠100mg 1錠 分1 朝食後", 3),
    ]

    found = extract(lines)

    assert [m["name"] for m in found["medications"].value] == [
        "アムロジン錠5mg",
        "バイアスピリン錠100mg",
    ]


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("<既社歴>", "diagnoses"),  # one misread kanji inside the marks
        ("【往麻】", "diagnoses"),  # two, and one lost: only 既往歴/既往症 are this close
    ],
)
def test_it_takes_a_misread_heading_in_its_marks_for_the_section(heading: str, field: str) -> None:
    from transfer.ocr.extract import find_labels

    hits = find_labels([_line(heading, 0), _line("白内障・狭心症・貧血", 1)])

    assert [h.field for h in hits] == [field]


def test_it_ends_a_section_at_a_heading_read_with_specks_around_its_mark() -> None:
    from transfer.ocr.extract import extract

    # <キーパーソン> read as "く〈くキーパーソン >": the wish ends before it.
    lines = [
        _line("【本人・家族の意向】", 0),
        _line("DNAR:無。救急搬送・入院治療を希望。", 1),
        _line("く〈くキーパーソン >", 2),
        _line("長男 石井 健一 様 090-1234-5678", 3),
    ]

    found = extract(lines)

    assert found["advance_directive"].value == "救急搬送・入院治療を希望"
    assert found["key_person.relation"].value == "長男"


def test_it_reads_a_heading_whose_brackets_were_read_as_braces() -> None:
    from transfer.ocr.extract import extract

    # 【キーパーソン】 read as "{キーバーソン}" with the name on its line: the
    # wish ends before it and the name is the key person's.
    lines = [
        _line("【本人・家族の意向】", 0),
        _line("DNAR:無。救急搬送・入院治療を希望。", 1),
        _line("{キーバーソン}横山 恵子 様", 2),
    ]

    found = extract(lines)

    assert found["advance_directive"].value == "救急搬送・入院治療を希望"
    assert found["key_person.name"].value.replace(" ", "") == "横山恵子"


def test_it_leaves_a_heading_two_sections_are_as_close_to() -> None:
    from transfer.ocr.extract import find_labels

    # 工住歴: two characters from 既往歴 and from 現病歴 alike.
    assert find_labels([_line("【工住歴】", 0), _line("白内障", 1)]) == []


def test_it_reads_past_a_compound_label_whose_second_part_was_misread() -> None:
    from transfer.ocr.extract import extract

    # 病名・既往歴 in a ruled form's label cell, 歴 read as 礎: 病名 is a label
    # of its own, and what follows it is the rest of the label, not a value.
    label = Segment([Char(ch, (20 * i, 0, 18, 30), 0.9) for i, ch in enumerate("病名・ 既往礎")], 0)
    value = Segment(
        [Char(ch, (300 + 20 * i, 0, 18, 30), 0.9) for i, ch in enumerate("狭心症、便秘症")], 0
    )

    found = extract([label, value])

    assert found["diagnoses"].value == ["狭心症", "便秘症"]


def test_it_stops_counting_edits_past_the_limit() -> None:
    from transfer.ocr.extract import _edit_distance

    assert _edit_distance("既往彦", "既往歴") == 1
    assert _edit_distance("既往彦", "既往歴", 1) == 1
    assert _edit_distance("キーパーソツン", "キーパーソン", 1) == 1
    # Beyond the limit the count stops: any number above it will do.
    assert _edit_distance("高血圧症", "既往歴", 1) == 2
    assert _edit_distance("高血圧症", "既往歴") == 4
    assert _edit_distance("ab", "abcdef", 2) == 3


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("タ方より反応が鈍い", "夕方より反応が鈍い"),
        ("1錠 分2 朝タ食後", "1錠 分2 朝夕食後"),
        ("右上下肢の脱カと構音障害", "右上下肢の脱力と構音障害"),
        ("松本ハ重", "松本八重"),
        ("山田浩ニ", "山田浩二"),
        # Katakana among katakana, and the counter of months, stay.
        ("ビタミンC", "ビタミンC"),
        ("タクシーで来院", "タクシーで来院"),
        ("3カ月前から", "3カ月前から"),
    ],
)
def test_it_reads_a_lone_katakana_among_kanji_as_the_kanji_it_looks_like(
    read: str, meant: str
) -> None:
    from transfer.ocr.extract import clean_text

    assert clean_text(read) == meant


def test_it_finds_the_era_of_a_birth_date_from_the_age_when_no_era_was_read() -> None:
    from transfer.ocr.extract import Found, extract

    def read(age: str) -> dict[str, Found]:
        # 昭和, the circled option, read as 明和 and 大正 lost: no era.
        return extract(
            _cells(["記入日", "令和6年6月11日"], 0, 0)
            + _cells(["生年月日", "明治 (PD明和 15年2月11日"], 1, 2)
            + _cells(["年齢", age], 2, 4)
        )

    found = read("98歳")
    assert found["birth_date"].value == "1926-02-11"  # 大正15年: 98 on 2024-06-11
    assert found["birth_date"].score <= 0.6
    assert "birth_date" not in read("70歳")  # no era gives 70
    assert not any(k.startswith("_") for k in found)


def test_it_reads_a_year_with_a_speck_before_its_kanji() -> None:
    from transfer.ocr import normalise as nz

    assert nz.parse_date("1939q年4月28日") == ("1939-04-28", pytest.approx(0.85))


@pytest.mark.parametrize(
    ("printed", "birth", "age"),
    [
        ("S25.3.1274歳", "1950-03-12", 74),  # the day glued to the age
        ("S25.3.1 2 74歳", "1950-03-12", 74),  # and spaced out
        ("1950/03/1274歳", "1950-03-12", 74),
        ("S25.3.12(74歳)", "1950-03-12", 74),  # apart: as read
    ],
)
def test_it_splits_a_day_glued_to_the_age_where_the_record_date_says(
    printed: str, birth: str, age: int
) -> None:
    from transfer.ocr.extract import extract

    found = extract(_cells(["記入日", "2024年6月11日"], 0, 0) + _cells(["生年月日", printed], 1, 2))

    assert (found["birth_date"].value, found["age"].value) == (birth, age)
    assert not any(k.startswith("_") for k in found)
