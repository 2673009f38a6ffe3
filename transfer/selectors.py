"""Reads. Every read of a transfer goes through `transfer_get_for_user` or
`transfers_for_user`, which decide who is involved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from facilities.models import FacilityKind, Membership
from facilities.selectors import membership_for

from .models import (
    RECORD_FIELD_SPECS,
    RECORD_LIST_KINDS,
    TRANSFER_OPEN_STATUSES,
    Inquiry,
    InquiryStatus,
    OcrJob,
    RecordField,
    RecordFieldSpec,
    RecordSource,
    Transfer,
    TransferEvent,
    TransferPhoto,
    TransferStatus,
)


def involvement_q(membership: Membership) -> Q:
    """Transfers a facility is involved in.

    The care home that created it; the serving station once it was sent (a
    draft is not the crew's business yet); a hospital once it was asked, even
    after it declined or was released (it keeps the history of what it saw).
    """
    facility = membership.facility
    if facility.kind == FacilityKind.CARE_HOME:
        return Q(care_home=facility)
    if facility.kind == FacilityKind.FIRE_STATION:
        return Q(crew_station=facility) & ~Q(status=TransferStatus.DRAFT)
    if facility.kind == FacilityKind.HOSPITAL:
        return Q(inquiries__hospital=facility)
    return Q(pk__in=[])


def transfers_for_user(user: Any) -> QuerySet[Transfer]:
    membership = membership_for(user)
    if membership is None:
        return Transfer.objects.none()
    return (
        Transfer.objects.filter(involvement_q(membership))
        .distinct()
        .select_related("patient", "care_home", "crew_station", "ambulance", "destination")
    )


def transfer_get_for_user(user: Any, pk: int | str) -> Transfer:
    """The transfer if the user's facility is involved, else 404 (never 403:
    another facility must not learn that the transfer exists)."""
    try:
        return transfers_for_user(user).get(pk=pk)
    except (Transfer.DoesNotExist, ValueError) as e:
        raise Http404("transfer not found") from e


def inquiry_get_for_hospital_user(user: Any, pk: int | str) -> Inquiry:
    membership = membership_for(user)
    if membership is None:
        raise Http404("inquiry not found")
    try:
        return Inquiry.objects.select_related("transfer", "hospital").get(
            pk=pk, hospital=membership.facility
        )
    except (Inquiry.DoesNotExist, ValueError) as e:
        raise Http404("inquiry not found") from e


def inquiries_visible(transfer: Transfer, membership: Membership) -> QuerySet[Inquiry]:
    """A hospital sees only its own inquiry; home and crew see them all."""
    qs = transfer.inquiries.select_related("hospital")
    if membership.facility.kind == FacilityKind.HOSPITAL:
        return qs.filter(hospital=membership.facility)
    return qs


def events_for_facility(
    facility_id: int, *, after: int, transfer_id: int | None = None, limit: int = 500
) -> list[TransferEvent]:
    qs = TransferEvent.objects.filter(eventaudience__facility_id=facility_id, id__gt=after)
    if transfer_id is not None:
        qs = qs.filter(transfer_id=transfer_id)
    return list(qs.order_by("id")[:limit])


def last_event_id_for_facility(facility_id: int) -> int:
    last = (
        TransferEvent.objects.filter(eventaudience__facility_id=facility_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0


def dashboard_lists(user: Any, membership: Membership) -> tuple[list[Transfer], list[Transfer]]:
    """(open, finished) transfers for the user's dashboard, newest first.

    A hospital's lists follow its own inquiry, attached as `my_inquiry`: once
    it declined or was released it gets no more updates on the transfer, so
    showing the transfer as "open" there would show a status going stale.
    """
    transfers = transfers_for_user(user).order_by("-created_at")
    open_qs = transfers.filter(status__in=TRANSFER_OPEN_STATUSES)
    done_qs = transfers.exclude(status__in=TRANSFER_OPEN_STATUSES)
    is_hospital = membership.facility.kind == FacilityKind.HOSPITAL
    if is_hospital:
        # One filter() call: the same inquiry row must be this hospital's and live.
        open_qs = open_qs.filter(
            inquiries__hospital=membership.facility,
            inquiries__status__in=[InquiryStatus.PENDING, InquiryStatus.ACCEPTED],
        )
        done_qs = transfers.exclude(pk__in=open_qs.values("pk"))
    open_transfers = list(open_qs[:100])
    done_transfers = list(done_qs[:20])
    if is_hospital:
        shown = open_transfers + done_transfers
        mine = {
            i.transfer_id: i
            for i in Inquiry.objects.filter(
                hospital=membership.facility, transfer_id__in=[t.pk for t in shown]
            )
        }
        for t in shown:
            t.my_inquiry = mine.get(t.pk)  # type: ignore[attr-defined]
    return open_transfers, done_transfers


# --- The patient record -------------------------------------------------------

# Confidence bands of the verification view (calibrated: >= 0.9 is right at
# least 98 % of the time, see transfer.ocr.types.FieldValue).
SURE = 0.9
UNSURE = 0.6
# Largest crop of the photo shown beside a field, in CSS pixels.
CROP_WIDTH = 440
CROP_HEIGHT = 64
CROP_ZOOM = 1.25  # never blow a crop up more than this (blurry, and it eats the screen)


@dataclass
class RecordFieldView:
    """One field of the record as people see it: value, how sure, from where, by whom."""

    spec: RecordFieldSpec
    value: Any
    confidence: float
    source: str | None  # None: never read nor entered
    by: str | None  # display name of the person who confirmed/corrected it
    by_facility: str | None
    at: dt.datetime | None
    photo_id: int | None
    page: int | None
    box: list[int] | None
    photo_size: list[int] | None  # (w, h) of the upright photo the box is in
    ocr_value: Any
    ocr_confidence: float | None

    @property
    def path(self) -> str:
        return self.spec.path

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def empty(self) -> bool:
        """Nothing to show: never read, or read as not there."""
        return (self.value is None or self.value == "" or self.value == []) and not self.says_none

    @property
    def says_none(self) -> bool:
        """An empty list that was read or entered means "none" (アレルギー: なし):
        the sheet's schema writes [] for なし. Never read (confidence 0): unknown."""
        return (
            self.spec.kind in RECORD_LIST_KINDS
            and self.value == []
            and (
                self.confidence > 0
                or self.source in (RecordSource.CONFIRMED, RecordSource.CORRECTED)
            )
        )

    @property
    def level(self) -> str:
        """How the view colours it: confirmed, corrected, empty, sure, check, unsure."""
        if self.source in (RecordSource.CONFIRMED, RecordSource.CORRECTED):
            return str(self.source)
        if self.empty:
            return "empty"
        if self.confidence >= SURE:
            return "sure"
        return "check" if self.confidence >= UNSURE else "unsure"

    @property
    def display(self) -> str:
        return "なし" if self.says_none else value_display(self.spec, self.value)

    @property
    def display_lines(self) -> list[str]:
        """Lists, one line per item (for <ul>)."""
        if self.spec.kind == "medications":
            return [_medication(m) for m in self.value or []]
        if self.spec.kind == "list":
            return list(self.value or [])
        return []

    @property
    def edit_text(self) -> str:
        """The value as the correction input shows it."""
        return value_edit_text(self.spec, self.value)

    @property
    def choice_options(self) -> list[tuple[str, str, bool]]:
        """(option value, label, selected) for a select of choices."""
        current = self.edit_text
        return [
            (value_edit_text(self.spec, c), label, value_edit_text(self.spec, c) == current)
            for c, label in self.spec.choices
        ]

    @property
    def input_kind(self) -> str:
        """How app.js turns the input back into JSON."""
        kind = self.spec.kind
        if kind == "choice":
            first = self.spec.choices[0][0] if self.spec.choices else ""
            return "int" if isinstance(first, int) else "text"
        if kind == "sex":
            return "text"
        return kind

    @property
    def ocr_display(self) -> str:
        return value_display(self.spec, self.ocr_value)

    @property
    def corrected_from_ocr(self) -> bool:
        return self.source == RecordSource.CORRECTED and self.ocr_value not in (None, [], "")

    @property
    def crop_style(self) -> str:
        """CSS that shows just the box of the photo (with a margin) as a
        background: no derived images on the server. With background-size
        W/w and position x/(W-w), the box fills the element exactly."""
        if not self.box or not self.photo_size or not self.photo_id:
            return ""
        width, height = self.photo_size
        x, y, w, h = self.box
        # Some context around the box (the label beside a value helps checking it).
        mx, my = max(8, h), max(4, h // 4)
        x0, y0 = max(0, x - mx), max(0, y - my)
        x1, y1 = min(width, x + w + mx), min(height, y + h + my)
        cw, ch = x1 - x0, y1 - y0
        if cw <= 0 or ch <= 0 or width <= 0 or height <= 0:
            return ""
        pos_x = 100 * x0 / (width - cw) if width > cw else 0
        pos_y = 100 * y0 / (height - ch) if height > ch else 0
        return (
            f"background-image:url('/photos/{self.photo_id}/');"
            f"background-size:{100 * width / cw:.3f}% auto;"
            f"background-position:{pos_x:.3f}% {pos_y:.3f}%;"
            f"aspect-ratio:{cw}/{ch};"
            # At most CROP_HEIGHT px tall (a tall box, a list, gets narrower)
            # and never zoomed past CROP_ZOOM.
            f"width:min(100%,{min(CROP_WIDTH, CROP_HEIGHT * cw / ch, CROP_ZOOM * cw):.0f}px)"
        )


def _medication(m: dict[str, Any]) -> str:
    return " ".join(filter(None, [m.get("name"), m.get("dose")]))


def value_display(spec: RecordFieldSpec, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = spec.kind
    if kind in ("sex", "choice", "bool"):
        for choice, label in spec.choices:
            if type(choice) is type(value) and choice == value:
                return label
        return str(value)
    if kind == "date":
        try:
            d = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
        return f"{d.year}年{d.month}月{d.day}日"
    if kind == "datetime":
        try:
            t = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
        return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"
    if kind == "medications":
        return "、".join(_medication(m) for m in value if m)
    if kind == "list":
        return "、".join(value)
    if kind in ("int", "float"):
        return f"{value:g}{spec.unit}" if isinstance(value, int | float) else str(value)
    return str(value)


def value_edit_text(spec: RecordFieldSpec, value: Any) -> str:
    """Text for the correction input; app.js turns it back into JSON (data-kind)."""
    if value is None or value == [] or value == "":
        return ""
    if spec.kind == "medications":
        return "\n".join(
            f"{m.get('name') or ''} / {m.get('dose')}" if m.get("dose") else m.get("name") or ""
            for m in value
        )
    if spec.kind == "list":
        return "\n".join(value)
    if spec.kind in ("bool", "choice", "int") and not isinstance(value, str):
        return "true" if value is True else "false" if value is False else str(value)
    return str(value)


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return str(user.get_full_name() or user.get_username())


def record_fields(transfer: Transfer) -> list[RecordFieldView]:
    """Every field of the record, in display order; fields never read nor
    entered are present and empty. No access check: callers have the transfer
    from transfer_get_for_user."""
    rows = {
        f.path: f
        for f in RecordField.objects.filter(transfer=transfer).select_related(
            "by", "by_facility", "photo"
        )
    }
    sizes: dict[int, list[int]] = {}
    for photo_id, result in OcrJob.objects.filter(photo__transfer=transfer).values_list(
        "photo_id", "result"
    ):
        size = (result or {}).get("photo_size")
        if size:
            sizes[photo_id] = list(size)
    views = []
    for spec in RECORD_FIELD_SPECS:
        row = rows.get(spec.path)
        if row is None:
            views.append(
                RecordFieldView(
                    spec, [] if spec.kind in RECORD_LIST_KINDS else None, 0.0,
                    None, None, None, None, None, None, None, None, None, None,
                )
            )  # fmt: skip
            continue
        photo: TransferPhoto | None = row.photo
        views.append(
            RecordFieldView(
                spec=spec,
                value=row.value,
                confidence=row.confidence,
                source=row.source,
                by=_person(row.by),
                by_facility=row.by_facility.display_name if row.by_facility else None,
                at=row.at,
                photo_id=row.photo_id,
                page=photo.page if photo else None,
                box=row.box,
                photo_size=(sizes.get(photo.pk, [photo.width, photo.height]) if photo else None),
                ocr_value=row.ocr_value,
                ocr_confidence=row.ocr_confidence,
            )
        )
    return views


def record_groups(fields: list[RecordFieldView]) -> list[tuple[str, list[RecordFieldView]]]:
    groups: dict[str, list[RecordFieldView]] = {}
    for f in fields:
        groups.setdefault(f.spec.group, []).append(f)
    return list(groups.items())


@dataclass
class RecordView:
    transfer: Transfer
    fields: list[RecordFieldView]


def record_for_user(user: Any, pk: int | str) -> RecordView:
    """The transfer's record if the user's facility is involved, else 404.
    The caller audits the read (audit_record), as for every patient-data read."""
    transfer = transfer_get_for_user(user, pk)
    return RecordView(transfer=transfer, fields=record_fields(transfer))
