"""End to end in a real browser: five people on three kinds of screen, live.

A real Daphne process serves the test database; Debian's Chromium (through
Playwright's sync API) plays the nurse on a phone, the crew on a tablet and
the hospital clinicians on desktops. Every screen is saved under
docs/screenshots/ on each run (the files are committed: they are the UI's
picture book).

No ORM call happens while Playwright runs: the sync API keeps an event loop
running in this thread, which Django's async-unsafe check would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect, sync_playwright

from .conftest import sheet_png
from .servers import ROOT, asgi_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "docs" / "screenshots"
# ../shared beside the checkout, as on CI and developer machines.
SHEET = ROOT.parent / "shared" / "ocr-dev" / "sheet_00000.jpg"
PASSWORD = "pw-for-tests"

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def shot(page: Page, name: str) -> None:
    """Save the whole page (not just the viewport) as docs/screenshots/NAME.png."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def mark_no_reload(page: Page) -> None:
    """Plant a flag that a reload or navigation would wipe out."""
    page.evaluate("window.__stillSamePage = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__stillSamePage === true"), "the page was reloaded"


def wait_live(page: Page) -> None:
    expect(page.locator("#live")).to_have_text("● ライブ")


def log_in(context: BrowserContext, base: str, username: str, *, screenshot: str = "") -> Page:
    """Log in through the real form; land on the dashboard with the socket open."""
    page = context.new_page()
    page.goto(f"{base}/login/")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/")
    wait_live(page)
    return page


@pytest.fixture
def sheet_image(tmp_path: Path) -> Path:
    """A photographed patient sheet: the real sample if present, else a drawn one."""
    if SHEET.exists():
        return SHEET
    path = tmp_path / "sheet.png"
    path.write_bytes(sheet_png(size=(1200, 1600)))
    return path


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_context(browser: Browser, device: dict[str, Any]) -> BrowserContext:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **device)
    context.set_default_timeout(15_000)
    return context


def test_it_walks_a_transfer_through_four_browsers_live(
    town: Any, sheet_image: Path, browser: Browser
) -> None:
    """Given a nurse (phone), the crew (tablet) and three hospitals' clinicians
    (desktop), each logged in through the login form with the page left open,
    when the nurse creates and sends a transfer with a photo, the crew asks
    three hospitals, two accept and one declines, the crew picks one and
    records each step,
    then every open page shows each change without a reload: the new
    transfer on the crew's and hospitals' lists, the answers on the crew's
    page, the release on the other accepting hospital's page, and the steps
    on the nurse's page."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a separate server process shares the database)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Everything the test needs from the database, read before Playwright runs.
    hospital_ids = {
        "a": town.hospital_a.pk,
        "b": town.hospital_b.pk,
        "c": town.hospital_c.pk,
    }
    expect.set_options(timeout=15_000)

    with asgi_server() as base:
        phone = new_context(browser, PHONE)
        tablet = new_context(browser, TABLET)
        desk_a = new_context(browser, DESKTOP)
        desk_b = new_context(browser, DESKTOP)
        desk_c = new_context(browser, DESKTOP)

        # --- Everyone logs in and leaves their dashboard open.
        nurse = log_in(phone, base, "nurse", screenshot="01-login")
        crew = log_in(tablet, base, "crew")
        doctor = log_in(desk_a, base, "doctor")
        doctor_b = log_in(desk_b, base, "doctor_b")
        # hospital_c's clinician ("outsider" in other tests; asked here).
        doctor_c = log_in(desk_c, base, "outsider_doctor")
        expect(crew.get_by_text("進行中の搬送はありません。")).to_be_visible()
        for page in (crew, doctor, doctor_b, doctor_c):
            mark_no_reload(page)

        # --- The nurse writes the request on her phone.
        shot(nurse, "02-home-dashboard-phone")
        nurse.get_by_role("link", name="新しい搬送依頼").click()
        expect(nurse.get_by_role("heading", name="新しい搬送依頼")).to_be_visible()
        nurse.get_by_label("患者氏名").fill("山田 花子")
        nurse.get_by_label("ふりがな").fill("やまだ はなこ")
        nurse.get_by_label("生年月日").fill("1938-04-12")
        nurse.get_by_label("女", exact=True).check()
        nurse.get_by_label("主訴・状況").fill("意識レベル低下、冷汗あり。血糖 45 mg/dL")
        nurse.get_by_label("緊急（生命の危険）").check()
        shot(nurse, "03-new-transfer-phone")
        nurse.get_by_role("button", name="次へ（写真を撮る）").click()
        expect(nurse.locator("#transfer-status")).to_have_text("下書き")
        transfer_url = nurse.url
        transfer_id = transfer_url.rstrip("/").rsplit("/", 1)[1]

        # The photo: shrunk in the page, uploaded, OCR'd by the server.
        nurse.locator("input[type=file][name=images]").set_input_files(str(sheet_image))
        photo = nurse.locator("figure.photo").first
        # Generous: the first OCR on a cold machine loads the jpn model.
        expect(photo.locator("img")).to_be_visible(timeout=60_000)
        expect(photo).to_contain_text("1枚目")
        expect(photo.locator(".ocr")).to_have_text("完了", timeout=45_000)
        assert (
            nurse.evaluate("() => document.querySelector('figure.photo img').naturalWidth") > 0
        ), "the photo does not load"
        shot(nurse, "04-transfer-with-photo-phone")
        nurse.get_by_role("button", name="救急隊へ送信").click()
        expect(nurse.locator("#transfer-status")).to_have_text("送信済み")
        mark_no_reload(nurse)
        shot(nurse, "04b-transfer-sent-phone")

        # --- The crew's open dashboard shows it, live.
        row = crew.locator(f"li[data-transfer-id='{transfer_id}']")
        expect(row).to_contain_text("山田 花子")
        expect(row).to_contain_text("送信済み")
        assert_not_reloaded(crew)
        shot(crew, "05-crew-dashboard-tablet")
        row.get_by_role("link").click()
        expect(crew.locator("#transfer-status")).to_have_text("送信済み")
        expect(crew.locator("figure.photo img")).to_be_visible()
        shot(crew, "05b-crew-transfer-sent-tablet")
        crew.get_by_role("button", name="出動する").click()
        expect(crew.locator("#transfer-status")).to_have_text("救急隊出動")
        expect(nurse.locator("#transfer-status")).to_have_text("救急隊出動")
        # Ticks survive the live refresh that another action (on scene) causes.
        hospital_boxes = [
            crew.locator("label.choice.hospital", has_text=name).locator("input")
            for name in ("中央病院", "北部病院", "南部病院")
        ]
        hospital_boxes[0].check()
        hospital_boxes[1].check()
        crew.get_by_role("button", name="現着（施設到着）を記録").click()
        expect(crew.locator(".milestone.done")).to_contain_text(["現着（施設到着）"])
        expect(nurse.locator(".steps li.done", has_text="現着")).to_be_visible()
        expect(hospital_boxes[0]).to_be_checked()
        expect(hospital_boxes[1]).to_be_checked()
        hospital_boxes[2].check()
        shot(crew, "05c-crew-choose-hospitals-tablet")
        crew.get_by_role("button", name="一括照会を送信").click()
        expect(crew.locator("#transfer-status")).to_have_text("病院照会中")
        expect(crew.locator(".inq-row")).to_have_count(3)
        expect(crew.locator(".inq-row .badge")).to_have_text(["回答待ち"] * 3)
        mark_no_reload(crew)
        shot(crew, "06-crew-transfer-inquiring-tablet")

        # --- Each hospital's open dashboard shows the inquiry, live.
        for page in (doctor, doctor_b, doctor_c):
            item = page.locator(f"li[data-transfer-id='{transfer_id}']")
            expect(item).to_contain_text("山田 花子")
            expect(item).to_contain_text("回答してください")
            assert_not_reloaded(page)
        shot(doctor, "07a-hospital-dashboard-desktop")
        for page in (doctor, doctor_b, doctor_c):
            page.locator(f"li[data-transfer-id='{transfer_id}'] a").click()
            expect(page.locator("#my-inquiry-status")).to_have_text("回答待ち")
            mark_no_reload(page)
        # The clinician sees the sheet and whether its text was read.
        expect(doctor.locator("figure.photo img")).to_be_visible()
        expect(doctor.locator("figure.photo .ocr")).to_have_text("完了")
        assert doctor.evaluate("() => document.querySelector('figure.photo img').naturalWidth") > 0
        shot(doctor, "07-hospital-inquiry-desktop")

        # Hospital A accepts with a note, B accepts, C declines with a reason.
        doctor.get_by_label("コメント（任意）").fill("ER で受入。到着 5 分前に連絡を")
        doctor.get_by_role("button", name="受入可", exact=True).click()
        expect(doctor.locator("#my-inquiry-status")).to_have_text("受入可")
        doctor_b.get_by_role("button", name="受入可", exact=True).click()
        expect(doctor_b.locator("#my-inquiry-status")).to_have_text("受入可")
        # "Other" needs a note: the refusal shows as a banner that a live
        # refresh does not wipe; the form keeps the chosen reason.
        doctor_c.get_by_label("受入不可の理由").select_option(label="その他")
        doctor_c.get_by_role("button", name="受入不可", exact=True).click()
        toast = doctor_c.locator("#action-error")
        expect(toast).to_contain_text("「その他」の場合は理由を入力してください。")
        expect(doctor_c.get_by_label("受入不可の理由")).to_have_value("other")
        shot(doctor_c, "07b-hospital-decline-error-desktop")
        toast.click()
        expect(toast).to_be_hidden()
        doctor_c.get_by_label("受入不可の理由").select_option(label="満床")
        doctor_c.get_by_role("button", name="受入不可", exact=True).click()
        expect(doctor_c.locator("#my-inquiry-status")).to_have_text("受入不可")
        expect(doctor_c.locator("#my-inquiry")).to_contain_text("満床")
        shot(doctor_c, "07c-hospital-declined-desktop")

        # --- The crew's open page shows all three answers, live.
        def inquiry_row(key: str) -> Any:
            return crew.locator(f".inq-row[data-hospital-id='{hospital_ids[key]}']")

        expect(inquiry_row("a")).to_contain_text("受入可")
        expect(inquiry_row("a")).to_contain_text("ER で受入")
        expect(inquiry_row("b")).to_contain_text("受入可")
        expect(inquiry_row("c")).to_contain_text("受入不可")
        expect(inquiry_row("c")).to_contain_text("満床")
        expect(inquiry_row("c").get_by_role("button")).to_have_count(0)
        assert_not_reloaded(crew)
        shot(crew, "08-crew-answers-tablet")

        # The crew picks hospital A (after a confirmation dialog).
        dialogs: list[str] = []

        def confirm(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.accept()

        crew.once("dialog", confirm)
        inquiry_row("a").get_by_role("button", name="搬送先に決定").click()
        expect(crew.locator("#transfer-status")).to_have_text("搬送先決定")
        assert dialogs and "中央病院" in dialogs[0]
        expect(inquiry_row("b")).to_contain_text("取下げ")

        # --- Hospital B, which had accepted, is released on its open page.
        expect(doctor_b.locator("#my-inquiry-status")).to_have_text("取下げ")
        expect(doctor_b.get_by_text("この照会は取り下げられました")).to_be_visible()
        assert_not_reloaded(doctor_b)
        shot(doctor_b, "09-hospital-released-desktop")
        doctor_b.get_by_role("link", name="一覧へ").click()
        expect(doctor_b.locator("ul.transfers.done")).to_contain_text("取下げ")
        expect(doctor_b.get_by_text("回答待ちの照会はありません。")).to_be_visible()
        shot(doctor_b, "09c-hospital-dashboard-after-release-desktop")
        # Hospital A sees it is the destination.
        expect(doctor.locator("#transfer-status")).to_have_text("搬送先決定")
        assert_not_reloaded(doctor)
        shot(doctor, "09b-hospital-destination-desktop")

        # --- The crew records each step; the nurse's page follows, live.
        expect(nurse.locator("#transfer-status")).to_have_text("搬送先決定")
        steps = [
            ("現発（施設出発）", "現発", "搬送中"),
            ("病院到着", "病院着", "病院到着"),
            ("引継ぎ完了", "引継ぎ", "引継ぎ完了"),
        ]
        for button, step, status in steps:
            crew.get_by_role("button", name=f"{button}を記録").click()
            expect(crew.locator(".milestones")).to_contain_text(button)
            expect(nurse.locator(".steps li.done", has_text=step)).to_be_visible()
            expect(nurse.locator("#transfer-status")).to_have_text(status)
            if step == "現発":
                shot(nurse, "10a-nurse-en-route-phone")
        expect(nurse.locator(".steps li.done")).to_have_count(7)
        assert_not_reloaded(nurse)
        shot(nurse, "10-nurse-progress-phone")
        expect(doctor.locator("#transfer-status")).to_have_text("引継ぎ完了")
        shot(crew, "10b-crew-handed-over-tablet")

        crew.get_by_role("button", name="搬送を完了する").click()
        expect(crew.locator("#transfer-status")).to_have_text("完了")
        expect(nurse.locator("#transfer-status")).to_have_text("完了")
        nurse.get_by_role("link", name="一覧へ").click()
        expect(nurse.locator("ul.transfers.done")).to_contain_text("山田 花子")
        shot(nurse, "10c-nurse-dashboard-done-phone")

        # --- The API documentation (Swagger UI from the sidecar, no CDN).
        docs = desk_a.new_page()
        docs.goto(f"{base}/api/docs/")
        expect(docs.get_by_text("Kakehashi API").first).to_be_visible()
        expect(docs.locator(".opblock").first).to_be_visible()
        shot(docs, "11-api-docs")

        for context in (phone, tablet, desk_a, desk_b, desk_c):
            context.close()


@pytest.fixture
def draft(town: Any) -> Any:
    """A draft transfer of the nurse's, made before Playwright starts its loop."""
    from transfer.services import transfer_create

    return transfer_create(care_home=town.home_a, by=town.nurse, patient_name="電波 途切")


def in_thread(fn: Any) -> Any:
    """Run ORM code off the thread where Playwright's event loop runs."""

    def run() -> Any:
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_it_keeps_a_photo_taken_offline_and_sends_it_when_the_network_returns(
    draft: Any, sheet_image: Path, browser: Browser
) -> None:
    """Given the nurse's phone loses its signal on a draft transfer,
    when she photographs the sheet and even closes the page,
    then the photo waits in the phone's outbox and is sent by the next page
    once the network is back: one page, nothing lost."""
    from transfer.models import TransferPhoto

    transfer = draft
    with asgi_server() as base:
        nurse = new_context(browser, PHONE)
        page = log_in(nurse, base, "nurse")
        page.goto(f"{base}/transfers/{transfer.pk}/")
        wait_live(page)
        nurse.set_offline(True)
        page.locator("form[data-upload] input[type=file]").set_input_files(str(sheet_image))
        expect(page.locator("#outbox")).to_contain_text("未送信の写真が 1 枚")
        shot(page, "12-photo-outbox-offline-phone")
        page.close()

        nurse.set_offline(False)
        again = nurse.new_page()
        again.goto(f"{base}/transfers/{transfer.pk}/")
        expect(again.locator("figure.photo")).to_have_count(1)
        expect(again.locator("#outbox")).to_be_hidden()
        nurse.close()
    assert in_thread(lambda: TransferPhoto.objects.filter(transfer=transfer).count()) == 1


# Where each value is printed on the sample sheet (x, y, w, h in its pixels),
# so that the screenshots show real crops.
SHEET_BOXES: dict[str, tuple[int, int, int, int]] = {
    "written_date": (985, 272, 200, 30),
    "name_kana": (366, 300, 170, 36),
    "sex": (758, 302, 56, 34),
    "name": (372, 360, 116, 38),
    "birth_date": (798, 360, 330, 38),
    "age": (798, 360, 330, 38),
    "address": (376, 428, 510, 32),
    "facility_name": (376, 488, 300, 36),
    "facility_phone": (770, 488, 250, 36),
    "primary_physician": (376, 548, 112, 36),
    "clinic_name": (800, 548, 140, 36),
    "diagnoses": (385, 604, 365, 42),
    "current_illness": (388, 664, 360, 42),
    "medications": (392, 716, 420, 92),
    "allergies": (394, 846, 96, 30),
    "vitals.temperature_c": (400, 894, 90, 30),
    "vitals.bp_systolic": (496, 892, 176, 30),
    "vitals.bp_diastolic": (496, 892, 176, 30),
    "vitals.heart_rate": (680, 890, 112, 30),
    "vitals.spo2": (798, 886, 132, 32),
    "vitals.resp_rate": (936, 880, 112, 36),
    "vitals.jcs": (400, 924, 68, 28),
    "onset_time": (404, 976, 340, 36),
    "care_level": (408, 1050, 86, 32),
    "dementia_level": (868, 1036, 24, 26),
    "adl": (408, 1102, 164, 32),
    "insurance_number": (866, 1090, 110, 28),
    "dnar": (410, 1148, 220, 32),
    "advance_directive": (410, 1148, 600, 32),
    "key_person.name": (414, 1220, 90, 28),
    "key_person.relation": (500, 1220, 62, 28),
    "key_person.phone": (570, 1212, 260, 30),
    "notes": (416, 1262, 560, 42),
}
# What the extractor is sure of (the rest 0.95): some need a look, some a person.
SHEET_CONFIDENCE = {
    "medications": 0.82,
    "dementia_level": 0.7,
    "vitals.spo2": 0.55,
    "vitals.jcs": 0.45,
    "insurance_number": 0.62,
}


def sheet_page(photo_size: tuple[int, int]) -> Any:
    """The sample sheet's ground truth as if OCR had read it, with boxes."""
    import json

    from transfer.ocr import FieldValue, PageResult, Quality
    from transfer.ocr.types import flat_from_record

    truth = json.loads(SHEET.with_suffix(".json").read_text(encoding="utf-8"))["record"]
    flat = flat_from_record(truth)
    fields = {
        path: FieldValue(value, SHEET_CONFIDENCE.get(path, 0.95), SHEET_BOXES.get(path))
        for path, value in flat.items()
    }
    return PageResult(fields=fields, quality=Quality(page_found=True), photo_size=photo_size)


@pytest.fixture
def sheet_read(town: Any) -> Any:
    """A transfer asked of hospital_a whose sheet photo was read.

    The photo goes through the real upload service and the real OCR task; the
    record is then filled by applying a hand-built PageResult (the sample
    sheet's ground truth with boxes) through record_apply_ocr, because the
    extractor is still a placeholder that reads nothing. Same photo: the
    hand-built page replaces whatever the task read from it."""
    if not SHEET.exists():
        pytest.skip("needs the sample sheet (../shared/ocr-dev)")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from transfer import services

    t = services.transfer_create(
        care_home=town.home_a,
        by=town.nurse,
        patient_name="平松 静子",
        chief_complaint="冷汗・意識低下、血糖 45 mg/dL",
        urgency="critical",
    )
    upload = SimpleUploadedFile("sheet.jpg", SHEET.read_bytes(), content_type="image/jpeg")
    photo, _ = services.photo_attach(transfer=t, upload=upload, by=town.nurse)
    services.transfer_send(transfer=t, by=town.nurse)
    services.transfer_assign_crew(transfer=t, ambulance=town.ambulance, by=town.crew)
    services.inquiries_create(transfer=t, hospitals=[town.hospital_a], by=town.crew)
    services.record_apply_ocr(transfer=t, photo=photo, result=sheet_page((1412, 1883)))
    return t


def test_it_shows_the_record_to_verify_and_pushes_a_correction_live(
    sheet_read: Any, browser: Browser
) -> None:
    """Given the nurse (phone) and the asked hospital's clinician (desktop)
    on the transfer page, each field shows its value, how sure OCR is, and
    the crop of the photo it was read from;
    when the clinician corrects SpO2 and the nurse confirms the name,
    then each change appears on the other screen without a reload, with who
    did it, and a correction the nurse is typing survives the refresh."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    transfer_id = sheet_read.pk
    expect.set_options(timeout=15_000)

    with asgi_server() as base:
        phone = new_context(browser, PHONE)
        desk = new_context(browser, DESKTOP)
        nurse = log_in(phone, base, "nurse")
        doctor = log_in(desk, base, "doctor")
        for page in (nurse, doctor):
            page.goto(f"{base}/transfers/{transfer_id}/")
            wait_live(page)
            mark_no_reload(page)

        def row(page: Page, path: str) -> Any:
            return page.locator(f"details.rf[data-path='{path}']")

        # Every field, coloured by certainty, with its crop of the photo.
        expect(row(doctor, "name")).to_contain_text("平松 静子")
        expect(row(doctor, "name").locator(".rf-badge")).to_have_text("確認不要")
        expect(row(doctor, "vitals.spo2")).to_contain_text("92%")
        expect(row(doctor, "vitals.spo2").locator(".rf-badge")).to_have_text("要確認")
        expect(row(doctor, "medications").locator(".rf-badge")).to_have_text("念のため確認")
        expect(row(doctor, "medications").locator("li")).to_have_count(3)
        expect(row(doctor, "dnar")).to_contain_text("蘇生を希望（DNARなし）")
        expect(row(doctor, "allergies").locator(".rf-value")).to_have_text("なし")
        expect(row(doctor, "vitals.gcs").locator(".rf-badge")).to_have_text("未入力")
        summary = doctor.locator(".record-summary")
        expect(summary).to_contain_text("要確認 2 項目・念のため確認 3 項目・読み取り 34 項目")
        crop = row(doctor, "name").locator(".rf-crop")
        expect(crop).to_be_visible()
        # The crop's image is set once the page's script has run: wait for it
        # (asserting at once failed when the machine was busy).
        doctor.wait_for_function(
            "e => getComputedStyle(e).backgroundImage.includes('/photos/')",
            arg=crop.element_handle(),
        )
        shot(doctor, "13-record-verification-desktop")
        shot(nurse, "13-record-verification-phone")

        # The nurse starts correcting the key person's phone (and leaves it open).
        row(nurse, "key_person.phone").locator("summary").click()
        phone_input = row(nurse, "key_person.phone").locator("input[name=value]")
        phone_input.fill("086-452-0999")

        # The clinician taps SpO2: the crop, 確認 and 修正 appear; corrects it.
        spo2 = row(doctor, "vitals.spo2")
        spo2.locator("summary").click()
        expect(spo2.get_by_role("button", name="確認（この値で正しい）")).to_be_visible()
        spo2.locator("input[name=value]").fill("90")
        shot(doctor, "13-record-verification-edit-desktop")
        spo2.get_by_role("button", name="修正を保存").click()
        expect(spo2.locator(".rf-badge")).to_have_text("✎ 修正済み")
        expect(spo2.locator(".rf-value")).to_have_text("90%")
        expect(spo2).to_contain_text("中央病院 doctor")
        expect(spo2).not_to_have_attribute("open", "")

        # ... and the nurse's phone shows it live; her typing is kept.
        nurse_spo2 = row(nurse, "vitals.spo2")
        expect(nurse_spo2.locator(".rf-value")).to_have_text("90%")
        expect(nurse_spo2.locator(".rf-badge")).to_have_text("✎ 修正済み")
        expect(row(nurse, "key_person.phone")).to_have_attribute("open", "")
        expect(phone_input).to_have_value("086-452-0999")
        assert_not_reloaded(nurse)

        # The nurse confirms the name; the clinician's screen follows.
        row(nurse, "name").locator("summary").click()
        row(nurse, "name").get_by_role("button", name="確認（この値で正しい）").click()
        expect(row(nurse, "name").locator(".rf-badge")).to_have_text("✓ 確認済み")
        expect(row(doctor, "name").locator(".rf-badge")).to_have_text("✓ 確認済み")
        expect(row(doctor, "name")).to_contain_text("吉備の里 nurse")
        expect(summary).to_contain_text("要確認 1 項目・念のため確認 3 項目")
        assert_not_reloaded(doctor)
        shot(nurse, "13-record-verification-live-phone")

        # A wrong value is refused with the reason; nothing changes.
        row(nurse, "vitals.spo2").locator("summary").click()
        row(nurse, "vitals.spo2").locator("input[name=value]").fill("150")
        row(nurse, "vitals.spo2").get_by_role("button", name="修正を保存").click()
        # The browser's own range check stops it before the server.
        expect(row(nurse, "vitals.spo2").locator(".rf-value")).to_have_text("90%")

        for context in (phone, desk):
            context.close()
