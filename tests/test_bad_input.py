"""Bad uploads, workflow conflicts and malformed requests.

Each is refused with a 4xx carrying a machine `code` and (for domain errors) a
Japanese `detail`, and leaves nothing behind: no photo row, no file, no state
change, no event. Never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from transfer import services
from transfer.models import Inquiry, Transfer, TransferEvent, TransferPhoto

from . import flows
from .conftest import sheet_png
from .sheets import shared_dir

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- helpers -----------------------------------------------------------------


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def snapshot(transfer_id: int) -> dict[str, Any]:
    return {
        "transfer": Transfer.objects.filter(pk=transfer_id).values().get(),
        "inquiries": list(
            Inquiry.objects.filter(transfer_id=transfer_id)
            .order_by("pk")
            .values_list("hospital_id", "status", "decline_reason", "note", "answered_by_id")
        ),
        "photos": list(
            TransferPhoto.objects.filter(transfer_id=transfer_id).values_list("pk", "page")
        ),
        "events": list(
            TransferEvent.objects.filter(transfer_id=transfer_id).values_list("pk", flat=True)
        ),
    }


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == code, body
    assert JAPANESE.search(body["detail"]), body
    return body


def upload(nurse: Client, transfer_id: int, data: bytes, name: str = "p.jpg") -> Any:
    f = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return nurse.post(f"/api/transfers/{transfer_id}/photos/", {"images": [f]})


def png(size: tuple[int, int], mode: str = "L", noise: bool = False) -> bytes:
    if noise:  # random pixels do not compress: the PNG is about w x h bytes
        img = Image.frombytes("L", size, os.urandom(size[0] * size[1]))
    else:
        img = Image.new(mode, size, 255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@functools.cache
def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of width x height (400 M pixels) in ~50 KB: all zeros
    compress to almost nothing. Built by hand so the test never holds the
    pixels in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row * 1000) for _ in range(height // 1000)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = (shared_dir() / "ocr-dev" / "sheet_00000.jpg").read_bytes()
    return data[: len(data) // 2]


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 0, 0)).save(buf, format="GIF")
    return buf.getvalue()


@pytest.fixture
def draft(town: Any, clients: dict[str, Client]) -> dict[str, Any]:
    return flows.create(clients["nurse"])


@pytest.fixture
def inquiring(town: Any, clients: dict[str, Client]) -> dict[str, Any]:
    """Asked of hospital_a and hospital_b, nobody answered yet; as the crew
    sees it through the API. (Built through the services: faster, and the API
    steps are covered by test_api_flow.)"""
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name="山田 花子")
    services.transfer_send(transfer=t, by=town.nurse)
    services.transfer_assign_crew(transfer=t, ambulance=town.ambulance, by=town.crew)
    services.inquiries_create(
        transfer=t, hospitals=[town.hospital_a, town.hospital_b], by=town.crew
    )
    return flows.ok(clients["crew"].get(f"/api/transfers/{t.pk}/"))


# --- uploads -----------------------------------------------------------------


BAD_UPLOADS = [
    # (what, bytes, code)
    ("an empty file", lambda: b"", "empty_file"),
    ("text named .jpg", lambda: "患者：山田 花子\n".encode() * 50, "corrupt_image"),
    ("a truncated JPEG", truncated_jpeg, "corrupt_image"),
    ("a decompression bomb", png_bomb, "too_many_pixels"),
    ("a GIF", gif, "unsupported_type"),
]


def test_it_refuses_an_upload_that_is_not_a_whole_supported_image_and_stores_nothing(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    before = snapshot(draft["id"])

    for what, make, code in BAD_UPLOADS:
        response = upload(clients["nurse"], draft["id"], make())
        assert response.status_code == 400, (what, response.content)
        refused(response, 400, code)

    assert snapshot(draft["id"]) == before
    assert not TransferPhoto.objects.exists()
    assert media_files() == []


def test_it_refuses_an_image_over_the_pixel_limit_even_below_pillows_own_limit(
    draft: dict[str, Any], clients: dict[str, Client], settings: Any
) -> None:
    settings.KAKEHASHI_PHOTO_MAX_PIXELS = 10_000

    refused(upload(clients["nurse"], draft["id"], png((200, 100))), 400, "too_many_pixels")

    assert not TransferPhoto.objects.exists()
    assert media_files() == []


def test_it_refuses_a_file_over_the_byte_limit_and_states_the_limit(
    draft: dict[str, Any], clients: dict[str, Client], settings: Any
) -> None:
    settings.KAKEHASHI_PHOTO_MAX_BYTES = 2048
    data = png((100, 100), noise=True)
    assert len(data) > 2048

    body = refused(upload(clients["nurse"], draft["id"], data), 400, "file_too_large")

    assert body["detail"] == "画像が大きすぎます（上限 2 KB）。"
    assert not TransferPhoto.objects.exists()
    assert media_files() == []


def test_it_states_the_byte_limit_in_megabytes_when_it_is_that_large(
    draft: dict[str, Any], clients: dict[str, Client], settings: Any
) -> None:
    settings.KAKEHASHI_PHOTO_MAX_BYTES = 1024 * 1024
    data = png((1100, 1000), noise=True)
    assert len(data) > 1024 * 1024

    body = refused(upload(clients["nurse"], draft["id"], data), 400, "file_too_large")

    assert body["detail"] == "画像が大きすぎます（上限 1 MB）。"


def test_it_refuses_a_request_without_any_file(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    response = clients["nurse"].post(f"/api/transfers/{draft['id']}/photos/", {"note": "x"})
    refused(response, 400, "no_file")


def test_it_keeps_the_good_first_page_when_the_second_page_of_one_request_is_bad(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    good = SimpleUploadedFile("1.png", sheet_png(), content_type="image/png")
    bad = SimpleUploadedFile("2.png", b"not an image", content_type="image/png")

    response = clients["nurse"].post(
        f"/api/transfers/{draft['id']}/photos/", {"images": [good, bad]}
    )

    refused(response, 400, "corrupt_image")
    assert list(TransferPhoto.objects.values_list("page", flat=True)) == [1]
    assert len(media_files()) == 1


def test_it_returns_the_same_photo_for_a_repeated_upload_and_a_new_page_for_a_new_image(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    nurse = clients["nurse"]
    first = flows.ok(flows.upload(nurse, draft["id"], sheet_png()), 201)[0]
    events = TransferEvent.objects.filter(type="photo.added").count()

    again = flows.ok(flows.upload(nurse, draft["id"], sheet_png()), 200)[0]

    assert again["id"] == first["id"] and again["page"] == 1
    assert TransferPhoto.objects.count() == 1
    assert len(media_files()) == 1
    assert TransferEvent.objects.filter(type="photo.added").count() == events

    second = flows.ok(flows.upload(nurse, draft["id"], sheet_png(size=(420, 140))), 201)[0]
    assert second["page"] == 2 and second["id"] != first["id"]
    assert len(media_files()) == 2


def test_it_refuses_a_photo_for_a_cancelled_transfer(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    nurse = clients["nurse"]
    flows.ok(
        nurse.post(f"/api/transfers/{draft['id']}/cancel/", {}, content_type="application/json")
    )
    before = snapshot(draft["id"])

    refused(upload(nurse, draft["id"], sheet_png(), name="p.png"), 409, "transfer_closed")

    assert snapshot(draft["id"]) == before
    assert media_files() == []


# --- workflow conflicts ------------------------------------------------------


def conflict(response: Any, code: str, before: dict[str, Any], transfer_id: int) -> None:
    refused(response, 409, code)
    assert set(response.json()) == {"code", "detail"}
    assert snapshot(transfer_id) == before


def test_it_refuses_to_answer_an_inquiry_twice(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    doctor, tid = clients["doctor"], inquiring["id"]
    inquiry = flows.inquiry_id(inquiring, town.hospital_a.pk)
    flows.ok(flows.accept(doctor, inquiry))
    before = snapshot(tid)

    conflict(flows.accept(doctor, inquiry), "inquiry_closed", before, tid)
    conflict(flows.decline(doctor, inquiry), "inquiry_closed", before, tid)


def test_it_refuses_an_answer_to_an_inquiry_withdrawn_when_the_crew_chose_another_hospital(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid = inquiring["id"]
    flows.ok(flows.accept(clients["doctor"], flows.inquiry_id(inquiring, town.hospital_a.pk)))
    flows.ok(flows.choose(clients["crew"], tid, town.hospital_a.pk))
    late = flows.inquiry_id(inquiring, town.hospital_b.pk)
    assert Inquiry.objects.get(pk=late).status == "withdrawn"
    before = snapshot(tid)

    conflict(flows.accept(clients["doctor_b"], late), "inquiry_closed", before, tid)
    conflict(flows.decline(clients["doctor_b"], late), "inquiry_closed", before, tid)
    assert "取下げ" in flows.accept(clients["doctor_b"], late).json()["detail"]


def test_it_refuses_to_choose_a_destination_twice(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid, crew = inquiring["id"], clients["crew"]
    flows.ok(flows.accept(clients["doctor"], flows.inquiry_id(inquiring, town.hospital_a.pk)))
    flows.ok(flows.accept(clients["doctor_b"], flows.inquiry_id(inquiring, town.hospital_b.pk)))
    flows.ok(flows.choose(crew, tid, town.hospital_a.pk))
    before = snapshot(tid)

    conflict(flows.choose(crew, tid, town.hospital_a.pk), "invalid_transition", before, tid)
    conflict(flows.choose(crew, tid, town.hospital_b.pk), "invalid_transition", before, tid)
    assert Transfer.objects.get(pk=tid).destination_id == town.hospital_a.pk


def test_it_refuses_to_choose_a_hospital_that_has_not_accepted(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid = inquiring["id"]
    flows.ok(flows.decline(clients["doctor_b"], flows.inquiry_id(inquiring, town.hospital_b.pk)))
    before = snapshot(tid)

    # hospital_b declined, hospital_a has not answered, hospital_c was never asked.
    for hospital in (town.hospital_b, town.hospital_a, town.hospital_c):
        conflict(flows.choose(clients["crew"], tid, hospital.pk), "not_accepted", before, tid)


def test_it_refuses_to_ask_a_hospital_twice_and_asks_none_of_the_batch(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid = inquiring["id"]
    before = snapshot(tid)
    response = clients["crew"].post(
        f"/api/transfers/{tid}/inquiries/",
        {"hospital_ids": [town.hospital_c.pk, town.hospital_a.pk]},
        content_type="application/json",
    )
    conflict(response, "already_asked", before, tid)
    assert not Inquiry.objects.filter(hospital=town.hospital_c).exists()


def test_it_refuses_to_send_a_transfer_twice(
    draft: dict[str, Any], clients: dict[str, Client]
) -> None:
    nurse, tid = clients["nurse"], draft["id"]
    flows.send(nurse, tid)
    before = snapshot(tid)

    conflict(nurse.post(f"/api/transfers/{tid}/send/"), "invalid_transition", before, tid)


def test_it_refuses_to_record_a_milestone_twice(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid, crew = inquiring["id"], clients["crew"]
    flows.ok(flows.milestone(crew, tid, "on_scene"))
    before = snapshot(tid)

    conflict(flows.milestone(crew, tid, "on_scene"), "milestone_recorded", before, tid)


def test_it_refuses_to_leave_the_scene_or_arrive_before_a_destination_is_chosen(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid = inquiring["id"]
    before = snapshot(tid)

    for step in ("left_scene", "arrived", "handed_over"):
        conflict(flows.milestone(clients["crew"], tid, step), "invalid_transition", before, tid)

    transfer = Transfer.objects.get(pk=tid)
    assert transfer.status == "inquiring"
    assert transfer.left_scene_at is None and transfer.arrived_at is None
    assert not TransferEvent.objects.filter(transfer_id=tid, type="transfer.milestone").exists()


def test_it_refuses_to_cancel_a_closed_transfer(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid, crew = inquiring["id"], clients["crew"]
    flows.ok(flows.accept(clients["doctor"], flows.inquiry_id(inquiring, town.hospital_a.pk)))
    flows.ok(flows.choose(crew, tid, town.hospital_a.pk))
    for step in ("on_scene", "left_scene", "arrived", "handed_over"):
        flows.ok(flows.milestone(crew, tid, step))
    flows.ok(crew.post(f"/api/transfers/{tid}/close/"))
    before = snapshot(tid)

    for persona in ("nurse", "crew"):
        response = clients[persona].post(
            f"/api/transfers/{tid}/cancel/", {"reason": "誤報"}, content_type="application/json"
        )
        conflict(response, "invalid_transition", before, tid)
    conflict(crew.post(f"/api/transfers/{tid}/close/"), "invalid_transition", before, tid)


# --- declines ----------------------------------------------------------------


UNUSABLE_DECLINES = [
    ({}, "invalid"),  # no reason
    ({"reason": ""}, "invalid"),
    ({"reason": "busy"}, "invalid"),  # not a reason code
    ({"reason": "other"}, "note_required"),
    ({"reason": "other", "note": "   "}, "note_required"),
]


def test_it_refuses_a_decline_without_a_usable_reason(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    inquiry = flows.inquiry_id(inquiring, town.hospital_a.pk)
    before = snapshot(inquiring["id"])

    for body, code in UNUSABLE_DECLINES:
        response = clients["doctor"].post(
            f"/api/inquiries/{inquiry}/decline/", body, content_type="application/json"
        )
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == code, body
        if code == "note_required":
            assert response.json()["detail"] == "「その他」の場合は理由を入力してください。"

    assert snapshot(inquiring["id"]) == before


def test_it_records_a_decline_for_other_with_its_note(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    inquiry = flows.inquiry_id(inquiring, town.hospital_a.pk)
    answer = flows.ok(flows.decline(clients["doctor"], inquiry, "other", "  透析設備なし "))
    assert (answer["status"], answer["decline_reason"], answer["note"]) == (
        "declined",
        "other",
        "透析設備なし",
    )


# --- expiry ------------------------------------------------------------------


def test_it_expires_pending_inquiries_after_the_timeout_and_refuses_a_late_answer(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    tid = inquiring["id"]
    flows.ok(flows.accept(clients["doctor"], flows.inquiry_id(inquiring, town.hospital_a.pk)))
    late = flows.inquiry_id(inquiring, town.hospital_b.pk)
    timeout = dt.timedelta(minutes=django_settings.KAKEHASHI_INQUIRY_TIMEOUT_MINUTES)

    assert services.inquiries_expire(at=timezone.now() + timeout - dt.timedelta(minutes=1)) == 0
    assert Inquiry.objects.get(pk=late).status == "pending"

    assert services.inquiries_expire(at=timezone.now() + timeout + dt.timedelta(minutes=1)) == 1

    statuses = dict(Inquiry.objects.filter(transfer_id=tid).values_list("hospital_id", "status"))
    assert statuses == {town.hospital_a.pk: "accepted", town.hospital_b.pk: "expired"}
    assert Inquiry.objects.get(pk=late).closed_at is not None
    expired_event = TransferEvent.objects.filter(
        transfer_id=tid, type="inquiry.status", payload__status="expired"
    ).get()
    assert expired_event.payload["hospital_id"] == town.hospital_b.pk
    assert (
        Transfer.objects.get(pk=tid).status == "inquiring"
    )  # the crew may still choose hospital_a

    before = snapshot(tid)
    conflict(flows.accept(clients["doctor_b"], late), "inquiry_closed", before, tid)
    assert "期限切れ" in flows.accept(clients["doctor_b"], late).json()["detail"]
    assert services.inquiries_expire(at=timezone.now() + 2 * timeout) == 0  # nothing left
    flows.ok(flows.choose(clients["crew"], tid, town.hospital_a.pk))


# --- malformed requests ------------------------------------------------------

MALFORMED = [
    ("choose", "{not json", "broken-json"),
    ("choose", "", "an-empty-json-body"),
    ("choose", "[1, 2]", "a-json-list"),
    ("choose", '"hospital"', "a-json-string"),
    ("choose", '{"hospital_id": "abc"}', "a-word-for-an-id"),
    ("choose", '{"hospital_id": null}', "a-null-id"),
    ("choose", '{"hospital_id": 1e400}', "an-infinite-id"),
    ("choose", '{"hospital_id": 100000000000000000000}', "an-id-past-64-bits"),
    ("inquiries", '{"hospital_ids": "1,2"}', "a-string-for-a-list"),
    ("inquiries", '{"hospital_ids": []}', "an-empty-list"),
    ("inquiries", '{"hospital_ids": [{"id": 1}]}', "objects-in-the-list"),
    ("inquiries", '{"hospital_ids": [100000000000000000000]}', "a-listed-id-past-64-bits"),
    ("assign", '{"ambulance_id": [1]}', "a-list-for-an-id"),
    ("assign", '{"ambulance_id": 100000000000000000000}', "an-ambulance-past-64-bits"),
    ("milestones", '{"milestone": 5}', "a-number-for-a-milestone"),
    ("milestones", '{"milestone": "dispatched"}', "a-milestone-the-crew-cannot-record"),
    ("cancel", '{"reason": ["a"]}', "a-list-for-a-reason"),
    ("cancel", '{"reason": "' + "長" * 201 + '"}', "a-reason-too-long"),
]


def test_it_answers_400_to_a_malformed_request_and_changes_nothing(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    """One transfer for all cases (each is refused, so none changes it)."""
    tid = inquiring["id"]
    before = snapshot(tid)

    for action, raw, case in MALFORMED:
        response = clients["crew"].post(
            f"/api/transfers/{tid}/{action}/", raw, content_type="application/json"
        )
        assert response.status_code == 400, (case, response.status_code, response.content)
        assert response.json()["code"] in {"parse_error", "invalid", "not_a_hospital"}, case

    assert snapshot(tid) == before


MALFORMED_NEW_TRANSFERS = [
    '{"patient_name": ""}',
    '{"patient_name": "   "}',
    '{"patient_name": ["山田"]}',
    '{"patient_name": "山田", "patient_birth_date": "昭和10年"}',
    '{"patient_name": "山田", "urgency": "very"}',
    '{"patient_name": "山田", "patient_sex": 1}',
    '{"patient_name": "' + "長" * 101 + '"}',
    "{",
]


def test_it_answers_400_to_a_malformed_new_transfer_and_creates_nothing(
    town: Any, clients: dict[str, Client]
) -> None:
    for raw in MALFORMED_NEW_TRANSFERS:
        response = clients["nurse"].post("/api/transfers/", raw, content_type="application/json")
        assert response.status_code == 400, (raw, response.content)
        assert "code" in response.json(), raw

    assert not Transfer.objects.exists()


def test_it_answers_400_to_a_malformed_event_query(town: Any, clients: dict[str, Client]) -> None:
    for query, code in [
        ("after=abc", "bad_after"),
        ("after=1.5", "bad_after"),
        ("after=0&transfer=abc", "bad_transfer"),
        ("after=0&transfer=%C2%B2", "bad_transfer"),  # "²": isdigit() yet not an int
        ("after=0&transfer=100000000000000000000", "bad_transfer"),  # past 64 bits
    ]:
        refused(clients["nurse"].get(f"/api/events/?{query}"), 400, code)


def test_it_filters_events_by_transfer_when_asked_properly(
    town: Any, clients: dict[str, Client]
) -> None:
    nurse = clients["nurse"]
    first, second = flows.create(nurse), flows.create(nurse)
    events = flows.ok(nurse.get(f"/api/events/?after=0&transfer={second['id']}"))["events"]
    assert {e["transfer_id"] for e in events} == {second["id"]} != {first["id"]}
    beyond = flows.ok(nurse.get("/api/events/?after=100000000000000000000"))["events"]
    assert beyond == []


def test_it_answers_400_to_an_answer_with_the_wrong_types(
    town: Any, inquiring: dict[str, Any], clients: dict[str, Client]
) -> None:
    inquiry = flows.inquiry_id(inquiring, town.hospital_a.pk)
    before = snapshot(inquiring["id"])
    for url, raw in (
        (f"/api/inquiries/{inquiry}/accept/", '{"note": {"a": 1}}'),
        (f"/api/inquiries/{inquiry}/accept/", "{oops"),
        (f"/api/inquiries/{inquiry}/decline/", '{"reason": ["beds_full"]}'),
    ):
        response = clients["doctor"].post(url, raw, content_type="application/json")
        assert response.status_code == 400, (url, raw, response.content)
    assert snapshot(inquiring["id"]) == before
