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
