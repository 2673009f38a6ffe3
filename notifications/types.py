"""Typed event payloads: machine codes, never sentences (clients render them)."""

from __future__ import annotations

from typing import Literal, TypedDict

EventType = Literal[
    "transfer.created",
    "transfer.status",
    "transfer.milestone",
    "photo.added",
    "ocr.status",
    "record.updated",
    "inquiry.created",
    "inquiry.status",
]


class TransferStatusPayload(TypedDict):
    from_status: str
    to_status: str


class MilestonePayload(TypedDict):
    milestone: str


class PhotoAddedPayload(TypedDict):
    photo_id: int
    page: int


class OcrStatusPayload(TypedDict):
    photo_id: int
    job_id: int
    status: str
    progress: int
    problems: list[str]  # photo quality codes: "blurred", "too_small", ...
    error_code: str  # why it failed (OcrFailed.code or "internal"), else ""


class RecordUpdatedPayload(TypedDict):
    """Which fields of the patient record changed and how; never their values
    (events are stored and replayed): clients refetch the record."""

    paths: list[str]
    source: str  # "ocr" | "confirmed" | "corrected"
    photo_id: int | None  # the page OCR read (source "ocr")


class InquiryPayload(TypedDict):
    inquiry_id: int
    hospital_id: int
    status: str
    decline_reason: str


class EventMessage(TypedDict):
    """What a socket client receives for one event."""

    kind: Literal["event"]
    id: int
    type: str
    transfer_id: int
    at: str
    actor_facility_id: int | None
    payload: dict[str, object]
