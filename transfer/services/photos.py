"""Photos of the patient sheet, and the OCR job each one gets."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import traceback
import warnings
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from PIL import Image, UnidentifiedImageError

from facilities.models import Role
from notifications.events import event_emit

from ..errors import Conflict, Invalid
from ..models import TRANSFER_OPEN_STATUSES, OcrJob, OcrStatus, Transfer, TransferPhoto
from .common import actor_membership, lock_transfer, now
from .record import record_apply_ocr

if TYPE_CHECKING:
    from ..ocr import PageResult

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class CheckedImage:
    def __init__(self, data: bytes, content_type: str, width: int, height: int) -> None:
        self.data = data
        self.content_type = content_type
        self.width = width
        self.height = height
        self.sha256 = hashlib.sha256(data).hexdigest()


def _too_large() -> Invalid:
    # Whole MB floored to "0 MB" for any limit under 1 MB (e.g. 512 KB to make
    # phones compress): state the limit in the unit that fits.
    limit = settings.KAKEHASHI_PHOTO_MAX_BYTES
    if limit >= 1024 * 1024:
        label = f"{round(limit / (1024 * 1024), 1):g} MB"
    elif limit >= 1024:
        label = f"{round(limit / 1024, 1):g} KB"
    else:
        label = f"{limit} バイト"
    return Invalid("file_too_large", f"画像が大きすぎます（上限 {label}）。")


def image_check(data: bytes) -> CheckedImage:
    """Refuse anything that is not a whole, reasonably sized JPEG/PNG/WebP.

    Checks the bytes, never the client's file name or declared type.
    """
    if len(data) == 0:
        raise Invalid("empty_file", "ファイルが空です。")
    if len(data) > settings.KAKEHASHI_PHOTO_MAX_BYTES:
        raise _too_large()
    try:
        with warnings.catch_warnings():
            # Pillow warns (not raises) between MAX_IMAGE_PIXELS and twice it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise Invalid("unsupported_type", "JPEG・PNG・WebP の画像を送ってください。")
                if width * height > settings.KAKEHASHI_PHOTO_MAX_PIXELS:
                    raise Invalid("too_many_pixels", "画像の画素数が大きすぎます。")
                probe.verify()
            # verify() does not decode pixel data; a truncated JPEG passes it.
            with Image.open(io.BytesIO(data)) as full:
                full.load()
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise Invalid("too_many_pixels", "画像の画素数が大きすぎます。") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise Invalid(
            "corrupt_image", "画像を読み取れません（壊れているか画像ではありません）。"
        ) from e
    return CheckedImage(data, ALLOWED_FORMATS[fmt], width, height)


def _read_upload(upload: UploadedFile) -> bytes:
    limit = settings.KAKEHASHI_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large()
    return upload.read(limit + 1)


def photo_attach(
    *, transfer: Transfer, upload: UploadedFile, by: Any
) -> tuple[TransferPhoto, bool]:
    """Attach one page. Returns (photo, created).

    Idempotent by content: a phone that retries an upload whose answer it
    never received gets the existing photo back (created=False), not a
    duplicate page. The lookup runs under the transfer lock, so two identical
    uploads at once cannot both miss it.
    """
    checked = image_check(_read_upload(upload))
    return _photo_attach_checked(transfer=transfer, checked=checked, by=by)


@transaction.atomic
def _photo_attach_checked(
    *, transfer: Transfer, checked: CheckedImage, by: Any
) -> tuple[TransferPhoto, bool]:
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.care_home_id, roles={Role.CARE_STAFF})
    existing = TransferPhoto.objects.filter(transfer=transfer, sha256=checked.sha256).first()
    if existing is not None:
        return existing, False
    if transfer.status not in TRANSFER_OPEN_STATUSES:
        raise Conflict("transfer_closed", "終了した搬送には写真を追加できません。")
    page = (transfer.photos.aggregate(m=Max("page"))["m"] or 0) + 1
    photo = TransferPhoto(
        transfer=transfer,
        page=page,
        content_type=checked.content_type,
        size_bytes=len(checked.data),
        width=checked.width,
        height=checked.height,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    photo.image.save("upload", ContentFile(checked.data), save=False)
    try:
        photo.save()
    except Exception:
        photo.image.delete(save=False)
        raise
    job = OcrJob.objects.create(photo=photo)
    event_emit(
        transfer=transfer,
        type="photo.added",
        actor=by,
        facility=membership.facility,
        payload={"photo_id": photo.pk, "page": page},
    )
    _enqueue_ocr(job.pk)
    return photo, True


def _enqueue_ocr(job_id: int) -> None:
    from ..tasks import ocr_photo_task

    # After commit: the worker must find the row.
    transaction.on_commit(lambda: ocr_photo_task.delay(job_id))


def _ocr_emit(job: OcrJob) -> None:
    # Lock order, as in every other writer: the transfer row, then the event
    # lock (event_emit). Emitting without the row lock deadlocked against a
    # page upload on the same transfer: this transaction held the event lock
    # and its event insert waited (foreign-key check) on the transfer row,
    # which the upload held while it waited for the event lock.
    job.photo.transfer = lock_transfer(job.photo.transfer)
    event_emit(
        transfer=job.photo.transfer,
        type="ocr.status",
        actor=None,
        facility=None,
        # Machine codes only: the page turns them into a reason and a retake hint.
        payload={
            "photo_id": job.photo_id,
            "job_id": job.pk,
            "status": job.status,
            "progress": job.progress,
            "problems": list(job.quality),
            "error_code": job.error_code,
        },
    )


def ocr_job_start(*, job_id: int) -> OcrJob | None:
    """Claim a queued job. Returns None if another worker has it or it is finished.

    The conditional UPDATE settles the race between two deliveries of the
    same task (acks_late redelivery): only one sees a row count of 1.
    """
    with transaction.atomic():
        claimed = OcrJob.objects.filter(pk=job_id, status=OcrStatus.QUEUED).update(
            status=OcrStatus.RUNNING, started_at=now(), progress=10
        )
        if not claimed:
            return None
        job = OcrJob.objects.select_related("photo__transfer").get(pk=job_id)
        job.attempts += 1
        job.save(update_fields=["attempts"])
        _ocr_emit(job)
    return job


def ocr_job_finish(
    *,
    job: OcrJob,
    result: PageResult | None = None,
    error: str = "",
    error_code: str = "",
) -> OcrJob:
    """End a running job: done with its result merged into the record (one
    transaction: the job is never done without its fields), or failed."""
    with transaction.atomic():
        job = (
            OcrJob.objects.select_for_update(of=("self",))
            .select_related("photo__transfer")
            .get(pk=job.pk)
        )
        job.finished_at = now()
        job.progress = 100
        if result is None:
            job.status = OcrStatus.FAILED
            job.error = error[:300]
            job.error_code = (error_code or "internal")[:30]
        else:
            job.status = OcrStatus.DONE
            job.raw_text = result.text
            job.quality = list(result.quality.problems)
            job.result = {**result.to_json(), "photo_size": list(result.photo_size)}
        job.save()
        _ocr_emit(job)
        if result is not None:
            record_apply_ocr(transfer=job.photo.transfer, photo=job.photo, result=result)
    return job


def ocr_job_run(*, job_id: int) -> OcrJob | None:
    """Run OCR on one photo: claim, extract, store and merge. One failure path:
    whatever goes wrong ends the job failed with a reason; nothing escapes."""
    from ..ocr import OcrFailed, extract_page

    job = ocr_job_start(job_id=job_id)
    if job is None:
        return None
    try:
        with job.photo.image.open("rb") as f:
            data = f.read()
        return ocr_job_finish(job=job, result=extract_page(data))
    except OcrFailed as e:
        error, code = str(e), e.code
    except Exception as e:
        # Never leave a job running forever; the reason is technical, not
        # personal. Logged: the type and the stack, not the message (it could
        # quote the sheet).
        where = "".join(traceback.format_tb(e.__traceback__))
        logger.error("OCR job %s failed: %s\n%s", job_id, type(e).__name__, where)
        error, code = f"internal error: {type(e).__name__}", "internal"
    return ocr_job_finish(job=job, error=error, error_code=code)


# The task's hard time limit is 180 s; a job still running well after that
# lost its worker (a native crash, an OOM kill, a machine restart).
OCR_STUCK_AFTER = dt.timedelta(minutes=5)


def ocr_jobs_expire(*, at: dt.datetime | None = None) -> int:
    """End jobs whose worker died mid-run as failed, so the phone can offer a
    retake instead of showing "reading" forever. Returns how many ended."""
    cutoff = (at or now()) - OCR_STUCK_AFTER
    ended = 0
    with transaction.atomic():
        # skip_locked: a job a worker is finishing right now keeps its lock
        # and its result; the next sweep looks again.
        stuck = (
            OcrJob.objects.select_for_update(skip_locked=True)
            .filter(status=OcrStatus.RUNNING, started_at__lt=cutoff)
            .order_by("pk")
        )
        for job in stuck:
            ocr_job_finish(
                job=job,
                error="文字認識の処理が途中で止まりました。写真を送り直してください",
                error_code="worker_lost",
            )
            ended += 1
    if ended:
        logger.warning("ended %d OCR jobs whose worker was lost", ended)
    return ended
