"""Writes. Views, API, consumers and tasks call these and nothing else."""

from __future__ import annotations

from .audit import audit_record
from .inquiries import (
    inquiries_create,
    inquiries_expire,
    inquiry_accept,
    inquiry_decline,
    transfer_choose_destination,
)
from .photos import image_check, ocr_job_run, ocr_jobs_expire, photo_attach
from .record import record_apply_ocr, record_field_confirm, record_field_correct
from .transfers import (
    transfer_assign_crew,
    transfer_cancel,
    transfer_close,
    transfer_create,
    transfer_record_milestone,
    transfer_send,
)

__all__ = [
    "audit_record",
    "image_check",
    "inquiries_create",
    "inquiries_expire",
    "inquiry_accept",
    "inquiry_decline",
    "ocr_job_run",
    "ocr_jobs_expire",
    "photo_attach",
    "record_apply_ocr",
    "record_field_confirm",
    "record_field_correct",
    "transfer_assign_crew",
    "transfer_cancel",
    "transfer_choose_destination",
    "transfer_close",
    "transfer_create",
    "transfer_record_milestone",
    "transfer_send",
]
