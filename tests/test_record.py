"""The structured patient record: OCR pages merged into it, people confirming
and correcting it, who may, what is kept (provenance) and who is told."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from transfer import services
from transfer.models import (
    RECORD_FIELDS,
    AuditEntry,
    EventAudience,
    OcrJob,
    RecordField,
    RecordFieldChange,
    Transfer,
    TransferEvent,
    TransferPhoto,
)
from transfer.ocr import FIELD_PATHS, FieldValue, OcrFailed, PageResult, Quality
from transfer.services.record import Reading, readings_merge

from . import flows
from .conftest import sheet_png
from .test_live import drain, socket_for
from .test_ocr import sheet_bytes

PATIENT = "平松 静子"
SIZE = (1412, 1883)


def page(fields: dict[str, tuple[Any, float, tuple[int, int, int, int] | None]]) -> PageResult:
    """A hand-built OCR result: the given fields, every other one empty."""
    values = {
        p: FieldValue([] if p in ("diagnoses", "medications", "allergies") else None, 0.0)
        for p in FIELD_PATHS
    }
    for path, (value, confidence, box) in fields.items():
        values[path] = FieldValue(value, confidence, box)
    return PageResult(fields=values, quality=Quality(page_found=True), photo_size=SIZE)


def attach(transfer: Transfer, by: Any, size: tuple[int, int] = (400, 120)) -> TransferPhoto:
    """A photo whose OCR job stays queued (on-commit tasks do not run inside
    the test's transaction)."""
    upload = SimpleUploadedFile("p.png", sheet_png(size=size), content_type="image/png")
    photo, _ = services.photo_attach(transfer=transfer, upload=upload, by=by)
    return photo


@pytest.fixture
def asked(town: Any) -> Transfer:
    """Sent, taken by the crew, asked of hospital_a and hospital_b."""
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name=PATIENT)
    services.transfer_send(transfer=t, by=town.nurse)
    services.transfer_assign_crew(transfer=t, ambulance=town.ambulance, by=town.crew)
    services.inquiries_create(
        transfer=t, hospitals=[town.hospital_a, town.hospital_b], by=town.crew
    )
    return t


@pytest.fixture
def read(asked: Transfer, town: Any) -> tuple[TransferPhoto, TransferPhoto]:
    """Two pages; the first read by OCR with a name, SpO2 and medications."""
    one = attach(asked, town.nurse, (400, 120))
    two = attach(asked, town.nurse, (420, 120))
    services.record_apply_ocr(
        transfer=asked,
        photo=one,
        result=page(
            {
                "name": (PATIENT, 0.95, (100, 20, 200, 40)),
                "vitals.spo2": (92, 0.7, (400, 900, 80, 30)),
                "medications": ([{"name": "アムロジピン錠5mg", "dose": "1錠 分1"}], 0.8, None),
            }
        ),
    )
    return one, two


def field(transfer: Transfer, path: str) -> RecordField:
    return RecordField.objects.get(transfer=transfer, path=path)


def record_events(transfer: Transfer) -> list[TransferEvent]:
    return list(TransferEvent.objects.filter(transfer=transfer, type="record.updated"))


# --- Merging OCR pages ----------------------------------------------------------


def test_it_knows_every_field_the_ocr_extracts() -> None:
    assert list(RECORD_FIELDS) == sorted(RECORD_FIELDS, key=list(RECORD_FIELDS).index)
    assert set(RECORD_FIELDS) == set(FIELD_PATHS)


def r(value: Any, confidence: float, photo: int) -> Reading:
    return Reading(value, confidence, photo, [photo, 0, 10, 10])


def test_it_raises_confidence_when_two_pages_agree() -> None:
    merged = readings_merge(r("山田 花子", 0.8, 1), r("山田花子", 0.7, 2))
    assert merged.value == "山田 花子"  # spacing aside they agree; the surer reading stays
    assert merged.confidence == pytest.approx(1 - 0.2 * 0.3)
    assert merged.photo_id == 1
    # Never certain from OCR alone.
    assert readings_merge(r(92, 0.98, 1), r(92, 0.97, 2)).confidence == 0.99


def test_it_keeps_the_surer_value_but_lowers_it_when_pages_disagree() -> None:
    merged = readings_merge(r(92, 0.6, 1), r(97, 0.9, 2))
    assert (merged.value, merged.photo_id) == (97, 2)
    assert merged.confidence == pytest.approx(0.9 * (1 - 0.6))
    # A tie keeps what is stored.
    assert readings_merge(r(92, 0.5, 1), r(97, 0.5, 2)).value == 92


def test_it_never_replaces_a_value_with_an_empty_reading() -> None:
    stored = r("要介護4", 0.4, 1)
    assert readings_merge(stored, r(None, 0.99, 2)) == stored
    assert readings_merge(r(None, 0.0, 1), r("要介護4", 0.4, 2)).value == "要介護4"
    assert readings_merge(None, r(None, 0.0, 2)).value is None
    # An allergy listed on one page stands against another page's "なし".
    assert readings_merge(r(["ペニシリン"], 0.6, 1), r([], 0.95, 2)).value == ["ペニシリン"]
    assert readings_merge(r([], 0.0, 1), r([], 0.9, 2)).confidence == 0.9
    # The same photo read again (a re-run) replaces its own reading, even with nothing.
    assert readings_merge(stored, r(None, 0.0, 1)).value is None


def test_it_keeps_the_surer_list_as_a_whole_rather_than_a_union() -> None:
    a = r(["高血圧症", "糖尿病"], 0.9, 1)
    b = r(["高血圧症", "糖尿病", "骨粗しよう症"], 0.5, 2)
    merged = readings_merge(a, b)
    assert merged.value == ["高血圧症", "糖尿病"]
    assert merged.confidence == pytest.approx(0.9 * 0.5)


def test_it_merges_a_hand_built_page_into_the_record_with_provenance(
    asked: Transfer, read: tuple[TransferPhoto, TransferPhoto]
) -> None:
    one, two = read
    name = field(asked, "name")
    assert (name.value, name.confidence, name.source) == (PATIENT, 0.95, "ocr")
    assert (name.photo_id, name.box, name.by_id) == (one.pk, [100, 20, 200, 40], None)
    assert field(asked, "medications").value == [{"name": "アムロジピン錠5mg", "dose": "1錠 分1"}]
    # Every field has a row; the unread ones are empty.
    assert RecordField.objects.filter(transfer=asked).count() == len(FIELD_PATHS)
    assert field(asked, "allergies").value == []
    assert field(asked, "birth_date").value is None
    changes = RecordFieldChange.objects.filter(transfer=asked)
    assert sorted(changes.values_list("path", "source", "photo_id")) == [
        ("medications", "ocr", one.pk),
        ("name", "ocr", one.pk),
        ("vitals.spo2", "ocr", one.pk),
    ]
    [event] = record_events(asked)
    assert event.payload == {
        "paths": ["name", "medications", "vitals.spo2"],
        "source": "ocr",
        "photo_id": one.pk,
    }

    # The second page agrees on the name, disagrees on SpO2, misses the rest.
    changed = services.record_apply_ocr(
        transfer=asked,
        photo=two,
        result=page({"name": (PATIENT, 0.9, (90, 210, 300, 40)), "vitals.spo2": (97, 0.5, None)}),
    )

    assert sorted(changed) == ["name", "vitals.spo2"]
    name = field(asked, "name")
    assert (name.value, name.photo_id) == (PATIENT, one.pk)
    assert name.confidence == pytest.approx(0.99)
    spo2 = field(asked, "vitals.spo2")
    assert (spo2.value, spo2.photo_id) == (92, one.pk)
    assert spo2.confidence == pytest.approx(0.7 * 0.5)
    assert field(asked, "medications").confidence == 0.8  # untouched by an empty reading
    assert len(record_events(asked)) == 2


def test_it_never_lets_later_ocr_overwrite_what_a_person_confirmed_or_corrected(
    town: Any, asked: Transfer, read: tuple[TransferPhoto, TransferPhoto]
) -> None:
    _, two = read
    services.record_field_confirm(transfer=asked, path="name", by=town.crew)
    services.record_field_correct(transfer=asked, path="vitals.spo2", value=88, by=town.doctor)

    changed = services.record_apply_ocr(
        transfer=asked,
        photo=two,
        result=page({"name": ("平松 静香", 0.99, None), "vitals.spo2": (92, 0.99, None)}),
    )

    assert changed == []
    assert (field(asked, "name").value, field(asked, "name").source) == (PATIENT, "confirmed")
    assert (field(asked, "vitals.spo2").value, field(asked, "vitals.spo2").source) == (
        88,
        "corrected",
    )


def test_it_ignores_a_value_the_record_cannot_hold(asked: Transfer, town: Any) -> None:
    photo = attach(asked, town.nurse)
    services.record_apply_ocr(
        transfer=asked, photo=photo, result=page({"vitals.spo2": (190, 0.9, None)})
    )
    assert field(asked, "vitals.spo2").value is None
    assert record_events(asked) == []


# --- People confirm and correct -------------------------------------------------


def url(transfer: Transfer, path: str, action: str = "") -> str:
    return f"/api/transfers/{transfer.pk}/record/{path}/{action + '/' if action else ''}"


def correct(client: Client, transfer: Transfer, path: str, value: Any) -> Any:
    return client.post(
        url(transfer, path, "correct"), {"value": value}, content_type="application/json"
    )


@pytest.mark.parametrize("persona", ["nurse", "crew", "doctor", "doctor_b"])
def test_it_lets_every_involved_party_confirm_and_correct_and_keeps_who_did_what(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
    persona: str,
) -> None:
    client = clients[persona]
    user = getattr(town, persona)
    facility = user.membership.facility

    confirmed = flows.ok(client.post(url(asked, "name", "confirm")))
    corrected = flows.ok(correct(client, asked, "vitals.spo2", 95))

    by_path = {f["path"]: f for f in corrected["fields"]}
    assert confirmed["transfer_id"] == asked.pk
    name, spo2 = by_path["name"], by_path["vitals.spo2"]
    assert (name["value"], name["source"], name["by"], name["level"]) == (
        PATIENT,
        "confirmed",
        persona,
        "confirmed",
    )
    assert (spo2["value"], spo2["source"], spo2["confidence"]) == (95, "corrected", 1.0)
    assert (spo2["ocr_value"], spo2["ocr_confidence"]) == (92, 0.7)  # what the machine said
    assert spo2["by_facility"] == facility.display_name
    row = field(asked, "vitals.spo2")
    assert (row.by_id, row.by_facility_id, row.ocr_value) == (user.pk, facility.pk, 92)

    history = RecordFieldChange.objects.filter(transfer=asked).exclude(source="ocr")
    assert list(
        history.values_list("path", "source", "value", "previous_value", "by_id", "facility_id")
    ) == [
        ("name", "confirmed", PATIENT, PATIENT, user.pk, facility.pk),
        ("vitals.spo2", "corrected", 95, 92, user.pk, facility.pk),
    ]
    events = record_events(asked)[1:]
    assert [(e.payload, e.actor_id, e.facility_id) for e in events] == [
        ({"paths": ["name"], "source": "confirmed", "photo_id": None}, user.pk, facility.pk),
        ({"paths": ["vitals.spo2"], "source": "corrected", "photo_id": None}, user.pk, facility.pk),
    ]


def test_it_corrects_lists_and_medications_and_clears_a_field(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    crew = clients["crew"]
    meds = [{"name": " エリキュース錠2.5mg ", "dose": "2錠 分2"}, {"name": "ラシックス錠20mg"}]
    flows.ok(correct(crew, asked, "medications", meds))
    flows.ok(correct(crew, asked, "diagnoses", ["慢性腎臓病", " ", "貧血"]))
    flows.ok(correct(crew, asked, "dnar", True))
    flows.ok(correct(crew, asked, "key_person.phone", "０８６−４５２−０９０７"))
    flows.ok(correct(crew, asked, "onset_time", "2024-02-12T17:10"))
    flows.ok(correct(crew, asked, "vitals.jcs", 100))
    flows.ok(correct(crew, asked, "name", None))

    assert field(asked, "medications").value == [
        {"name": "エリキュース錠2.5mg", "dose": "2錠 分2"},
        {"name": "ラシックス錠20mg", "dose": None},
    ]
    assert field(asked, "diagnoses").value == ["慢性腎臓病", "貧血"]
    assert field(asked, "dnar").value is True
    assert field(asked, "key_person.phone").value == "086-452-0907"
    assert field(asked, "onset_time").value == "2024-02-12T17:10"
    assert field(asked, "vitals.jcs").value == 100
    name = field(asked, "name")
    assert (name.value, name.source, name.ocr_value) == (None, "corrected", PATIENT)


def test_it_counts_a_correction_to_the_same_value_as_a_confirmation(
    asked: Transfer, read: tuple[TransferPhoto, TransferPhoto], clients: dict[str, Client]
) -> None:
    flows.ok(correct(clients["doctor"], asked, "vitals.spo2", 92))
    assert field(asked, "vitals.spo2").source == "confirmed"


INVALID = [
    ("birth_date", "1938/04/12"),
    ("birth_date", "1938-02-30"),
    ("birth_date", 19380412),
    ("written_date", "yesterday"),
    ("onset_time", "17時10分"),
    ("age", 131),
    ("age", -1),
    ("age", "88"),
    ("age", 88.5),
    ("vitals.spo2", 101),
    ("vitals.heart_rate", True),
    ("vitals.temperature_c", 50),
    ("vitals.jcs", 15),
    ("vitals.jcs", "Ⅲ-100"),
    ("vitals.gcs", "E5V5M6"),
    ("sex", "男"),
    ("sex", "unknown"),
    ("dnar", "true"),
    ("dnar", 1),
    ("care_level", "要介護6"),
    ("diagnoses", "高血圧症"),
    ("allergies", ["ペニシリン", 3]),
    ("medications", ["アムロジピン"]),
    ("medications", [{"dose": "1錠"}]),
    ("medications", [{"name": "アムロジピン", "route": "経口"}]),
    ("insurance_number", "12345"),
    ("postal_code", "7117780"),
    ("name", "あ" * 201),
    ("name", 42),
]


@pytest.mark.parametrize(("path", "value"), INVALID)
def test_it_refuses_a_value_of_the_wrong_type_and_changes_nothing(
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
    path: str,
    value: Any,
) -> None:
    before = list(RecordField.objects.filter(transfer=asked).values().order_by("path"))

    response = correct(clients["crew"], asked, path, value)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_value"
    assert body["detail"].startswith(RECORD_FIELDS[path].label + "：")
    assert list(RecordField.objects.filter(transfer=asked).values().order_by("path")) == before
    assert len(record_events(asked)) == 1


def test_it_answers_400_for_a_field_that_does_not_exist_and_for_a_missing_value(
    asked: Transfer, read: tuple[TransferPhoto, TransferPhoto], clients: dict[str, Client]
) -> None:
    crew = clients["crew"]
    for response in (
        crew.post(url(asked, "blood_type", "confirm")),
        correct(crew, asked, "vitals", 1),
        correct(crew, asked, "__proto__", 1),
    ):
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_field"
    missing = crew.post(url(asked, "name", "correct"), {}, content_type="application/json")
    assert missing.status_code == 400


def test_it_refuses_to_confirm_an_empty_field(
    asked: Transfer, read: tuple[TransferPhoto, TransferPhoto], clients: dict[str, Client]
) -> None:
    response = clients["crew"].post(url(asked, "allergies", "confirm"))
    assert response.status_code == 409
    assert response.json()["code"] == "nothing_to_confirm"


@pytest.mark.parametrize("persona", ["other_nurse", "outsider_doctor", "anonymous"])
def test_it_hides_the_record_from_facilities_that_are_not_involved(
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
    persona: str,
) -> None:
    client = clients[persona]
    before = list(RecordField.objects.filter(transfer=asked).values().order_by("path"))
    audits = AuditEntry.objects.count()
    responses = [
        client.get(f"/api/transfers/{asked.pk}/record/"),
        client.post(url(asked, "name", "confirm")),
        correct(client, asked, "name", "別人 太郎"),
    ]
    for response in responses:
        expected = 403 if persona == "anonymous" else 404
        assert response.status_code == expected, response.content
        assert PATIENT not in response.content.decode()
    assert list(RecordField.objects.filter(transfer=asked).values().order_by("path")) == before
    assert len(record_events(asked)) == 1
    assert AuditEntry.objects.count() == audits


def test_it_lets_a_hospital_that_declined_read_but_not_change_the_record(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    inquiry = asked.inquiries.get(hospital=town.hospital_b)
    services.inquiry_decline(inquiry=inquiry, by=town.doctor_b, reason="beds_full")
    doctor_b = clients["doctor_b"]

    assert flows.ok(doctor_b.get(f"/api/transfers/{asked.pk}/record/"))["transfer_id"] == asked.pk
    response = correct(doctor_b, asked, "name", "別人 太郎")

    assert response.status_code == 403
    assert response.json()["code"] == "not_involved"
    assert field(asked, "name").value == PATIENT


def test_it_refuses_changes_once_the_transfer_is_over(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    services.transfer_cancel(transfer=asked, by=town.crew, reason="誤報")
    response = clients["crew"].post(url(asked, "name", "confirm"))
    assert response.status_code == 409
    assert response.json()["code"] == "transfer_closed"


def test_it_serves_the_record_with_provenance_and_audits_the_read(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    one, _ = read
    record = flows.ok(clients["doctor"].get(f"/api/transfers/{asked.pk}/record/"))

    assert [f["path"] for f in record["fields"]][:3] == ["name", "name_kana", "sex"]
    assert {f["path"] for f in record["fields"]} == set(FIELD_PATHS)
    name = next(f for f in record["fields"] if f["path"] == "name")
    assert name == {
        "path": "name",
        "label": "氏名",
        "group": "基本情報",
        "kind": "text",
        "value": PATIENT,
        "confidence": 0.95,
        "level": "sure",
        "source": "ocr",
        "by": None,
        "by_facility": None,
        "at": name["at"],
        "photo_id": one.pk,
        "page": 1,
        "box": [100, 20, 200, 40],
        "photo_size": [400, 120],  # no OCR job finished: the stored size
        "ocr_value": None,
        "ocr_confidence": None,
    }
    levels = {f["path"]: f["level"] for f in record["fields"]}
    assert (levels["vitals.spo2"], levels["medications"], levels["allergies"]) == (
        "check",
        "check",
        "empty",
    )
    assert AuditEntry.objects.filter(
        user=town.doctor, transfer=asked, action="record.read"
    ).exists()


# --- Events ----------------------------------------------------------------------


def test_it_tells_the_parties_that_follow_the_transfer_and_no_one_else(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    inquiry = asked.inquiries.get(hospital=town.hospital_b)
    services.inquiry_decline(inquiry=inquiry, by=town.doctor_b, reason="beds_full")

    flows.ok(correct(clients["nurse"], asked, "name", "平松 静香"))

    event = record_events(asked)[-1]
    audience = set(EventAudience.objects.filter(event=event).values_list("facility_id", flat=True))
    assert audience == {town.home_a.pk, town.station.pk, town.hospital_a.pk}
    # Events are stored and replayed: they name fields, never their values.
    assert "静" not in json.dumps(event.payload, ensure_ascii=False)


@pytest.mark.django_db(transaction=True)
async def test_it_pushes_a_correction_live_to_every_open_screen_of_the_transfer(
    town: Any, personas: dict[str, Client]
) -> None:
    """Given sockets for everyone, when the crew corrects a field, then the
    home, the crew and the asked hospitals get one record.updated event each
    (paths and source, no values); outsiders get nothing."""
    from asgiref.sync import sync_to_async

    t = await sync_to_async(flows.to_inquiring)(personas, town, [town.hospital_a, town.hospital_b])
    names = ["nurse", "crew", "doctor", "doctor_b", "other_nurse", "outsider_doctor"]
    sockets = {n: socket_for(personas[n], last_id=None) for n in names}
    for ws in sockets.values():
        assert (await ws.connect())[0]

    response = await sync_to_async(correct)(
        personas["crew"], Transfer(pk=t["id"]), "vitals.spo2", 88
    )
    assert response.status_code == 200

    received = {
        n: [e for e in await drain(ws) if e.get("kind") == "event"] for n, ws in sockets.items()
    }
    for ws in sockets.values():
        await ws.disconnect()
    for name in ("nurse", "crew", "doctor", "doctor_b"):
        [event] = received[name]
        assert event["type"] == "record.updated"
        assert event["payload"] == {
            "paths": ["vitals.spo2"],
            "source": "corrected",
            "photo_id": None,
        }
        assert event["actor_facility_id"] == town.station.pk
    assert received["other_nurse"] == received["outsider_doctor"] == []


# --- OCR jobs feed the record ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_real_upload_through_ocr_into_the_record(
    town: Any, clients: dict[str, Client]
) -> None:
    """The upload commits, the Celery task runs (eagerly) the real pipeline,
    and the job ends done with its result, in the same transaction as the
    record's rows. Holds for the placeholder extractor (all empty) and the
    real one (values, each from this photo)."""
    nurse = clients["nurse"]
    t = flows.create(nurse)
    upload = SimpleUploadedFile("sheet.jpg", sheet_bytes(), content_type="image/jpeg")

    photo = flows.ok(nurse.post(f"/api/transfers/{t['id']}/photos/", {"images": [upload]}), 201)[0]

    job = OcrJob.objects.get(photo_id=photo["id"])
    assert job.status == "done", job.error
    assert (job.progress, job.error, job.error_code) == (100, "", "")
    assert set(job.result) >= {"record", "confidence", "boxes", "timing_ms", "quality"}
    assert job.result["photo_size"] == [1412, 1883]
    assert set(job.result["record"]) >= {"name", "vitals", "key_person", "medications"}
    assert job.quality == job.result["quality"]["problems"]
    rows = RecordField.objects.filter(transfer_id=t["id"])
    assert {r.path for r in rows} == set(FIELD_PATHS)
    filled = [r for r in rows if r.value not in (None, [])]
    assert all(r.source == "ocr" and r.photo_id == photo["id"] for r in rows)
    assert all(0 <= r.confidence <= 1 for r in rows)
    changes = RecordFieldChange.objects.filter(transfer_id=t["id"])
    assert sorted(changes.values_list("path", flat=True)) == sorted(r.path for r in filled)
    ocr_events = TransferEvent.objects.filter(transfer_id=t["id"], type="ocr.status")
    assert [(e.payload["status"], e.payload["progress"]) for e in ocr_events.order_by("id")] == [
        ("running", 10),
        ("done", 100),
    ]
    assert ocr_events.last().payload["problems"] == job.quality  # type: ignore[union-attr]
    updates = record_events(Transfer(pk=t["id"]))
    assert len(updates) == (1 if filled else 0)
    record = flows.ok(nurse.get(f"/api/transfers/{t['id']}/record/"))
    assert len(record["fields"]) == len(FIELD_PATHS)


@pytest.fixture
def queued(asked: Transfer, town: Any) -> OcrJob:
    return OcrJob.objects.get(photo=attach(asked, town.nurse))


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("blurred", "ピントが合っていません。もう一度撮影してください。"),
        ("illegible", "文字をほとんど読み取れませんでした。"),
    ],
)
def test_it_stores_quality_problems_and_shows_a_retake_hint(
    queued: OcrJob,
    monkeypatch: pytest.MonkeyPatch,
    clients: dict[str, Client],
    code: str,
    hint: str,
) -> None:
    result = page({"name": (PATIENT, 0.3, None)})
    result.quality = Quality(ok=False, problems=[code])
    monkeypatch.setattr("transfer.ocr.extract_page", lambda data: result)

    job = services.ocr_job_run(job_id=queued.pk)

    assert job is not None and job.status == "done"
    assert job.quality == [code]
    done = TransferEvent.objects.filter(type="ocr.status").order_by("id").last()
    assert done is not None
    assert (done.payload["status"], done.payload["problems"]) == ("done", [code])
    assert field(queued.photo.transfer, "name").confidence == 0.3
    html = clients["nurse"].get(f"/transfers/{queued.photo.transfer_id}/").content.decode()
    assert hint in html
    assert "要確認 1 項目" in html


@pytest.mark.parametrize(
    ("error", "message", "code"),
    [
        (
            OcrFailed("シートが見つかりません", code="page_not_found"),
            "シートが見つかりません",
            "page_not_found",
        ),
        (KeyError("平松"), "internal error: KeyError", "internal"),
    ],
)
def test_it_ends_a_job_failed_with_a_reason_whatever_goes_wrong(
    queued: OcrJob,
    monkeypatch: pytest.MonkeyPatch,
    clients: dict[str, Client],
    error: Exception,
    message: str,
    code: str,
) -> None:
    def boom(data: bytes) -> PageResult:
        raise error

    monkeypatch.setattr("transfer.ocr.extract_page", boom)

    job = services.ocr_job_run(job_id=queued.pk)

    assert job is not None
    assert (job.status, job.error, job.error_code, job.progress) == ("failed", message, code, 100)
    failed = TransferEvent.objects.filter(type="ocr.status").order_by("id").last()
    assert failed is not None
    assert (failed.payload["status"], failed.payload["error_code"]) == ("failed", code)
    assert not RecordField.objects.filter(transfer_id=queued.photo.transfer_id).exists()
    html = clients["nurse"].get(f"/transfers/{queued.photo.transfer_id}/").content.decode()
    assert "1枚目を読み取れませんでした" in html
    assert "撮影してください" in html  # the retake hint


def test_it_ends_the_job_failed_when_storing_the_result_fails(
    queued: OcrJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One failure path: a result the record cannot take (a bug) fails the
    job rather than leaving it running, and nothing of it is kept."""
    monkeypatch.setattr("transfer.ocr.extract_page", lambda data: page({}))

    def broken(**kwargs: Any) -> list[str]:
        raise RuntimeError("bug")

    monkeypatch.setattr("transfer.services.photos.record_apply_ocr", broken)

    job = services.ocr_job_run(job_id=queued.pk)

    assert job is not None
    assert (job.status, job.error_code, job.result) == ("failed", "internal", {})
    statuses = TransferEvent.objects.filter(type="ocr.status").order_by("id")
    assert [e.payload["status"] for e in statuses] == ["running", "failed"]


def test_it_shows_the_record_on_the_transfer_page_with_who_checked_what(
    town: Any,
    asked: Transfer,
    read: tuple[TransferPhoto, TransferPhoto],
    clients: dict[str, Client],
) -> None:
    services.record_field_correct(transfer=asked, path="vitals.spo2", value=95, by=town.doctor)
    one, _ = read

    html = clients["crew"].get(f"/transfers/{asked.pk}/panel/").content.decode()

    assert 'data-path="name"' in html and "rf-sure" in html
    assert "確認不要" in html and "✎ 修正済み" in html
    assert town.hospital_a.display_name in html  # who corrected SpO2
    assert "OCRの読み取り：92%" in html
    assert f"background-image:url(&#x27;/photos/{one.pk}/&#x27;)" in html
    assert f'data-api="/api/transfers/{asked.pk}/record/name/confirm/"' in html


def test_it_reads_an_empty_list_from_the_sheet_as_none_that_can_be_confirmed(
    town: Any, asked: Transfer, clients: dict[str, Client]
) -> None:
    """The sheet's schema writes [] for アレルギー「なし」: read with confidence,
    it is a value (なし) to confirm; never read, it is unknown."""
    photo = attach(asked, town.nurse)
    services.record_apply_ocr(
        transfer=asked, photo=photo, result=page({"allergies": ([], 0.9, (10, 10, 50, 20))})
    )

    record = flows.ok(clients["crew"].post(url(asked, "allergies", "confirm")))

    allergies = next(f for f in record["fields"] if f["path"] == "allergies")
    assert (allergies["value"], allergies["source"]) == ([], "confirmed")
    html = clients["crew"].get(f"/transfers/{asked.pk}/panel/").content.decode()
    assert 'data-path="allergies"' in html
    assert "なし" in html.split('data-path="allergies"')[1].split("</summary>")[0]
