"""OCR of the patient sheet with the real Tesseract (jpn), and the job around it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from transfer import services
from transfer.models import OcrJob, TransferEvent, TransferPhoto
from transfer.ocr import extract_page

from . import flows
from .conftest import sheet_png
from .sheets import shared_dir

KANA_OR_KANJI = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u4e00-\u9fff]")


SHEET = "sheet_00000"


def sheet_bytes() -> bytes:
    return (shared_dir() / "ocr-dev" / f"{SHEET}.jpg").read_bytes()


def sheet_labels() -> list[str]:
    """The printed labels of the sheet: the first word of each line of the ground truth."""
    truth = json.loads((shared_dir() / "ocr-dev" / f"{SHEET}.json").read_text(encoding="utf-8"))
    labels = []
    for line in truth["text"].splitlines():
        words = line.split()
        if words and len(words[0]) >= 2 and all(KANA_OR_KANJI.match(c) for c in words[0]):
            labels.append(words[0])
    return labels


def without_spaces(text: str) -> str:
    # Tesseract's jpn model puts spaces between characters now and then.
    return re.sub(r"\s+", "", text)


def test_it_reads_japanese_labels_from_a_photographed_sheet() -> None:
    labels = sheet_labels()
    assert len(labels) >= 10, labels  # the ground truth is what we think it is

    text = extract_page(sheet_bytes()).text

    assert len(KANA_OR_KANJI.findall(text)) >= 50, text
    found = [label for label in labels if label in without_spaces(text)]
    assert found, (labels, text)


@pytest.mark.django_db(transaction=True)
def test_it_runs_ocr_after_an_upload_and_reports_it_as_an_event(
    town: Any, clients: dict[str, Client]
) -> None:
    """The upload commits, the task runs (eagerly here, on commit) against real
    Tesseract, and the job ends done with its text and times."""
    nurse = clients["nurse"]
    t = flows.create(nurse)
    upload = SimpleUploadedFile("sheet.jpg", sheet_bytes(), content_type="image/jpeg")

    response = nurse.post(f"/api/transfers/{t['id']}/photos/", {"images": [upload]})

    assert response.status_code == 201, response.content
    photo = TransferPhoto.objects.get(pk=response.json()[0]["id"])
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 1412, 1883)
    job = OcrJob.objects.get(photo=photo)
    assert job.status == "done", job.error
    assert KANA_OR_KANJI.search(job.raw_text)
    assert job.started_at is not None and job.finished_at is not None
    assert job.started_at <= job.finished_at
    assert (job.progress, job.attempts, job.error) == (100, 1, "")
    ocr_events = TransferEvent.objects.filter(transfer_id=t["id"], type="ocr.status").order_by("id")
    assert [e.payload["status"] for e in ocr_events] == ["running", "done"]
    assert ocr_events.last().payload == {  # type: ignore[union-attr]
        "photo_id": photo.pk,
        "job_id": job.pk,
        "status": "done",
        "progress": 100,
        "error_code": "",
        "problems": [],
    }
    detail = flows.ok(nurse.get(f"/api/transfers/{t['id']}/"))
    assert detail["photos"][0]["ocr"]["status"] == "done"
    assert detail["photos"][0]["ocr"]["raw_text"] == job.raw_text

    # A second delivery of the same task finds the job finished and does nothing.
    before = OcrJob.objects.filter(pk=job.pk).values().get()
    assert services.ocr_job_run(job_id=job.pk) is None
    assert OcrJob.objects.filter(pk=job.pk).values().get() == before
    assert TransferEvent.objects.filter(transfer_id=t["id"], type="ocr.status").count() == 2


@pytest.fixture
def queued_job(town: Any, clients: dict[str, Client]) -> OcrJob:
    """A small photo just uploaded: its job is queued (the on-commit task does
    not run inside this test's transaction)."""
    t = flows.create(clients["nurse"])
    photo = flows.ok(flows.upload(clients["nurse"], t["id"], sheet_png()), 201)[0]
    job = OcrJob.objects.select_related("photo").get(photo_id=photo["id"])
    assert job.status == "queued"
    return job


def test_a_job_whose_stored_file_was_corrupted_ends_failed_and_does_not_raise(
    queued_job: OcrJob,
) -> None:
    Path(queued_job.photo.image.path).write_bytes(b"\x00garbage, not an image" * 100)

    job = services.ocr_job_run(job_id=queued_job.pk)

    assert job is not None
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("画像として読み取れませんでした")
    assert job.raw_text == ""
    assert job.started_at is not None and job.finished_at is not None
    assert (job.progress, job.attempts) == (100, 1)
    statuses = TransferEvent.objects.filter(type="ocr.status").order_by("id")
    assert [e.payload["status"] for e in statuses] == ["running", "failed"]


def test_a_job_whose_stored_file_is_gone_ends_failed_with_a_technical_reason(
    queued_job: OcrJob,
) -> None:
    Path(queued_job.photo.image.path).unlink()

    job = services.ocr_job_run(job_id=queued_job.pk)

    assert job is not None and job.status == "failed"
    assert job.error == "internal error: FileNotFoundError"


def test_running_a_job_again_after_it_failed_does_nothing(queued_job: OcrJob) -> None:
    Path(queued_job.photo.image.path).write_bytes(b"garbage")
    assert services.ocr_job_run(job_id=queued_job.pk) is not None
    before = OcrJob.objects.filter(pk=queued_job.pk).values().get()
    events = TransferEvent.objects.count()

    assert services.ocr_job_run(job_id=queued_job.pk) is None

    assert OcrJob.objects.filter(pk=queued_job.pk).values().get() == before
    assert TransferEvent.objects.count() == events
    assert (before["status"], before["attempts"]) == ("failed", 1)


def test_running_a_job_that_is_already_running_does_nothing(queued_job: OcrJob) -> None:
    """A redelivered task while the first delivery still works on the job."""
    OcrJob.objects.filter(pk=queued_job.pk).update(status="running")

    assert services.ocr_job_run(job_id=queued_job.pk) is None

    assert OcrJob.objects.get(pk=queued_job.pk).attempts == 0


def test_running_a_job_that_does_not_exist_does_nothing(db: None) -> None:
    assert services.ocr_job_run(job_id=987_654) is None


def test_a_job_whose_worker_died_mid_run_ends_failed_after_a_while(queued_job: OcrJob) -> None:
    """A native crash kills the worker process: no exception handler runs, so
    the sweep ends the job and tells everyone watching."""
    import datetime as dt

    from django.utils import timezone

    # The claim a dead worker made:
    OcrJob.objects.filter(pk=queued_job.pk).update(
        status="running", started_at=timezone.now() - dt.timedelta(minutes=6)
    )

    assert services.ocr_jobs_expire() == 1

    job = OcrJob.objects.get(pk=queued_job.pk)
    assert (job.status, job.error_code) == ("failed", "worker_lost")
    assert job.error.startswith("文字認識の処理が途中で止まりました")
    last = TransferEvent.objects.filter(type="ocr.status").order_by("id").last()
    assert last is not None and last.payload["status"] == "failed"


def test_a_job_running_for_a_short_while_is_left_alone(queued_job: OcrJob) -> None:
    import datetime as dt

    from django.utils import timezone

    OcrJob.objects.filter(pk=queued_job.pk).update(
        status="running", started_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert services.ocr_jobs_expire() == 0

    assert OcrJob.objects.get(pk=queued_job.pk).status == "running"
