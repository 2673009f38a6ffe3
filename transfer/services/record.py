"""The structured patient record: OCR merges pages in, people confirm or correct.

Provenance: every field says where its value came from (OCR of which photo
and where on it, or which person confirmed or corrected it, when), and every
change is appended to RecordFieldChange. Events carry paths and sources,
never values: clients refetch the record over HTTP (Zulip-style).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.db import transaction

from facilities.models import FacilityKind, Membership
from facilities.selectors import membership_for
from notifications.events import event_emit

from ..errors import Conflict, Forbidden, Invalid
from ..models import (
    RECORD_FIELDS,
    RECORD_LIST_KINDS,
    TRANSFER_OPEN_STATUSES,
    InquiryStatus,
    RecordField,
    RecordFieldChange,
    RecordFieldSpec,
    RecordSource,
    Transfer,
    TransferPhoto,
    TransferStatus,
)
from .common import lock_transfer, now

if TYPE_CHECKING:
    from ..ocr import PageResult

# Confidence of a value that two pages agree on never reaches certainty: only
# a person makes a field 1.0.
AGREEMENT_CAP = 0.99
HUMAN_CONFIDENCE = 1.0


# --- Values ---------------------------------------------------------------------


def spec_for(path: str) -> RecordFieldSpec:
    spec = RECORD_FIELDS.get(path)
    if spec is None:
        raise Invalid("unknown_field", "記録にその項目はありません。")
    return spec


def empty_value(spec: RecordFieldSpec) -> Any:
    return [] if spec.kind in RECORD_LIST_KINDS else None


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _bad(spec: RecordFieldSpec, why: str) -> Invalid:
    return Invalid("invalid_value", f"{spec.label}：{why}")


def _text(value: Any, spec: RecordFieldSpec, *, max_length: int) -> str | None:
    if not isinstance(value, str):
        raise _bad(spec, "文字で入力してください。")
    value = value.strip()
    if len(value) > max_length:
        raise _bad(spec, f"{max_length}文字以内で入力してください。")
    return value or None


def value_clean(spec: RecordFieldSpec, value: Any) -> Any:
    """The canonical form of `value` for this field, or Invalid (400).

    Empty input (None, "", []) is allowed everywhere: it records that the
    field is not on the sheet. Strings are trimmed; digits in patterns are
    NFKC-normalised (full-width digits from a Japanese keyboard).
    """
    if is_empty(value):
        return empty_value(spec)
    kind = spec.kind
    if kind in ("text", "longtext"):
        return _text(value, spec, max_length=1000 if kind == "longtext" else 200)
    if kind == "pattern":
        text = _text(value, spec, max_length=50)
        if text is None:
            return None
        # Dashes a Japanese keyboard or OCR may give for "-".
        text = re.sub(r"[ー−‐–—]", "-", unicodedata.normalize("NFKC", text))
        if not re.fullmatch(spec.pattern, text):
            example = f"（例：{spec.hint}）" if spec.hint else ""
            raise _bad(spec, f"形式が正しくありません{example}。")
        return text
    if kind == "date":
        if not isinstance(value, str):
            raise _bad(spec, "日付は YYYY-MM-DD で入力してください。")
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError as e:
            raise _bad(spec, "日付は YYYY-MM-DD で入力してください。") from e
        if not 1880 <= day.year <= 2200:
            raise _bad(spec, "日付が範囲外です。")
        return day.isoformat()
    if kind == "datetime":
        if not isinstance(value, str):
            raise _bad(spec, "日時は YYYY-MM-DDTHH:MM で入力してください。")
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError as e:
            raise _bad(spec, "日時は YYYY-MM-DDTHH:MM で入力してください。") from e
        if moment.tzinfo is not None or not 1880 <= moment.year <= 2200:
            raise _bad(spec, "日時は YYYY-MM-DDTHH:MM で入力してください。")
        return moment.strftime("%Y-%m-%dT%H:%M")
    if kind in ("int", "float"):
        # bool is an int in Python; "37" is text. Both are refused.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(spec, "数値で入力してください。")
        if kind == "int" and not (isinstance(value, int) or float(value).is_integer()):
            raise _bad(spec, "整数で入力してください。")
        if not math.isfinite(value):
            raise _bad(spec, "数値で入力してください。")
        low, high = spec.min, spec.max
        if (low is not None and value < low) or (high is not None and value > high):
            raise _bad(spec, f"{low:g}〜{high:g}{spec.unit} の範囲で入力してください。")
        return int(value) if kind == "int" else round(float(value), 1)
    if kind in ("sex", "choice", "bool"):
        allowed = [c for c, _ in spec.choices]
        # True == 1 in Python: compare types too, so JCS 1 is not DNAR true.
        for choice in allowed:
            if type(choice) is type(value) and choice == value:
                return choice
        raise _bad(spec, "選択肢から選んでください。")
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(spec, "1行に1つずつ入力してください。")
        items = [v.strip() for v in value if v.strip()]
        if len(items) > 50 or any(len(v) > 200 for v in items):
            raise _bad(spec, "項目が多すぎるか長すぎます。")
        return items
    if kind == "medications":
        if not isinstance(value, list) or len(value) > 50:
            raise _bad(spec, "1行に1剤ずつ入力してください。")
        meds = []
        for item in value:
            if not isinstance(item, dict) or set(item) - {"name", "dose"}:
                raise _bad(spec, "薬は {name, dose} で指定してください。")
            name, dose = item.get("name"), item.get("dose")
            if not isinstance(name, str) or (dose is not None and not isinstance(dose, str)):
                raise _bad(spec, "薬名と用法は文字で入力してください。")
            name, dose = name.strip(), (dose or "").strip()
            if not name and not dose:
                continue
            if not name:
                raise _bad(spec, "薬名を入力してください。")
            if len(name) > 200 or len(dose) > 200:
                raise _bad(spec, "薬名・用法は200文字以内で入力してください。")
            meds.append({"name": name, "dose": dose or None})
        return meds
    raise AssertionError(f"unknown field kind {kind}")


def _key(value: Any) -> Any:
    """What two readings are compared by: NFKC, no whitespace (OCR spacing varies)."""
    if isinstance(value, str):
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if isinstance(value, list):
        return [_key(v) for v in value]
    if isinstance(value, dict):
        return {k: _key(v) for k, v in sorted(value.items())}
    return value


# --- Merging pages --------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One field as read from one photo."""

    value: Any
    confidence: float
    photo_id: int | None
    box: list[int] | None


def readings_merge(current: Reading | None, new: Reading) -> Reading:
    """The best-supported reading of a field from what is stored and a new page.

    - The same photo read again replaces its own earlier reading.
    - An empty reading never replaces a non-empty one (of two empty ones,
      the surer stays: an empty list read with confidence means "なし").
    - Two pages that agree: keep it, more sure: 1 - (1-c1)(1-c2), capped
      below certainty (the photo and box of the surer page are kept).
    - Two pages that disagree: keep the surer one, but less sure than it was,
      by the other's confidence: c_win * (1 - c_lose). A strong contradiction
      ends near 0 and the field asks a person to check it.

    Lists (diagnoses, medications, allergies) follow the same rules as a
    whole, never as a union: a person confirms a list against one photo (its
    box), and two photos of one sheet (a retake) that read an item slightly
    differently would otherwise list it twice ("アムロジピン5mg" and
    "アムロジピン 5mg"), while a misread item from a blurred page would slip
    in beside the good list with nothing to tell it apart.
    """
    if current is None or current.photo_id == new.photo_id:
        return new
    c1, c2 = current.confidence, new.confidence
    if is_empty(current.value) or is_empty(new.value):
        if not is_empty(current.value):
            return current
        if not is_empty(new.value):
            return new
        # Both empty: the surer one (an empty list read with confidence is "なし").
        return new if c2 > c1 else current
    surer = current if c1 >= c2 else new
    if _key(current.value) == _key(new.value):
        combined = min(AGREEMENT_CAP, 1 - (1 - c1) * (1 - c2))
        return replace(surer, confidence=max(combined, surer.confidence))
    other = new if surer is current else current
    return replace(surer, confidence=surer.confidence * (1 - other.confidence))


def _reading_from_ocr(spec: RecordFieldSpec, field: Any, photo_id: int) -> Reading:
    try:
        value = value_clean(spec, field.value)
    except Invalid:
        # The extractor produced something the record cannot hold (SpO2 150):
        # as good as unread.
        value = empty_value(spec)
    confidence = float(field.confidence) if math.isfinite(field.confidence) else 0.0
    confidence = min(1.0, max(0.0, confidence))
    box = [int(v) for v in field.box] if field.box else None
    return Reading(value, confidence, photo_id, box)


@transaction.atomic
def record_apply_ocr(*, transfer: Transfer, photo: TransferPhoto, result: PageResult) -> list[str]:
    """Merge one page's OCR into the transfer's record. Returns the changed paths.

    Never touches a field a person confirmed or corrected. Rows are created
    for every field the page reports (empty ones too), so the record shows
    what was looked for; only visible changes (value or confidence) are
    logged and announced, with one `record.updated` event.
    """
    transfer = lock_transfer(transfer)
    if photo.transfer_id != transfer.pk:
        raise ValueError("photo of another transfer")
    rows = {f.path: f for f in RecordField.objects.filter(transfer=transfer)}
    at = now()
    changed: list[str] = []
    history: list[RecordFieldChange] = []
    for path, field in result.fields.items():
        spec = RECORD_FIELDS.get(path)
        if spec is None:
            continue
        row = rows.get(path)
        if row is not None and row.source != RecordSource.OCR:
            continue
        current = (
            Reading(row.value, row.confidence, row.photo_id, row.box) if row is not None else None
        )
        new = _reading_from_ocr(spec, field, photo.pk)
        best = readings_merge(current, new)
        before = (row.value, row.confidence) if row else (empty_value(spec), 0.0)
        # A confidence on an empty field is nothing anyone sees.
        visible = best.value != before[0] or (
            not is_empty(best.value) and round(best.confidence, 4) != round(before[1], 4)
        )
        if row is None:
            row = RecordField(transfer=transfer, path=path, at=at)
        elif best == current:
            continue
        row.value, row.confidence = best.value, best.confidence
        row.photo_id, row.box, row.at = best.photo_id, best.box, at
        row.save()
        if visible:
            changed.append(path)
            history.append(
                RecordFieldChange(
                    transfer=transfer,
                    path=path,
                    source=RecordSource.OCR,
                    value=best.value,
                    previous_value=before[0],
                    confidence=best.confidence,
                    photo_id=best.photo_id,
                )
            )
    RecordFieldChange.objects.bulk_create(history)
    if changed:
        event_emit(
            transfer=transfer,
            type="record.updated",
            actor=None,
            facility=None,
            payload={"paths": changed, "source": RecordSource.OCR.value, "photo_id": photo.pk},
        )
    return changed


# --- People confirm and correct -----------------------------------------------------

LIVE_INQUIRY = (InquiryStatus.PENDING, InquiryStatus.ACCEPTED)


def record_editor_membership(transfer: Transfer, user: Any) -> Membership | None:
    """The user's membership if it may confirm or correct this transfer's record.

    The parties that receive the transfer's live updates (notifications.events
    .recipients_for): the care home; the serving station once it was sent; a
    hospital while its inquiry is live, or as the destination. A hospital
    that declined or was released still reads what it saw, but no longer
    edits a record it no longer follows.
    """
    membership = membership_for(user)
    if membership is None:
        return None
    facility = membership.facility
    if facility.kind == FacilityKind.CARE_HOME:
        ok = transfer.care_home_id == facility.pk
    elif facility.kind == FacilityKind.FIRE_STATION:
        ok = transfer.crew_station_id == facility.pk and transfer.status != TransferStatus.DRAFT
    elif facility.kind == FacilityKind.HOSPITAL:
        ok = transfer.destination_id == facility.pk or (
            transfer.destination_id is None
            and transfer.inquiries.filter(hospital=facility, status__in=LIVE_INQUIRY).exists()
        )
    else:
        ok = False
    return membership if ok else None


def _editable(transfer: Transfer, by: Any) -> Membership:
    membership = record_editor_membership(transfer, by)
    if membership is None:
        raise Forbidden("not_involved", "この搬送の記録を変更する権限がありません。")
    if transfer.status not in TRANSFER_OPEN_STATUSES:
        raise Conflict("transfer_closed", "終了した搬送の記録は変更できません。")
    return membership


def _human_write(
    *,
    transfer: Transfer,
    spec: RecordFieldSpec,
    row: RecordField | None,
    value: Any,
    source: RecordSource,
    by: Any,
    membership: Membership,
) -> RecordField:
    previous = row.value if row is not None else empty_value(spec)
    if row is None:
        row = RecordField(transfer=transfer, path=spec.path, at=now())
    elif row.source == RecordSource.OCR:
        # What the machine said, kept once: later people do not overwrite it.
        row.ocr_value, row.ocr_confidence = row.value, row.confidence
    row.value = value
    row.confidence = HUMAN_CONFIDENCE
    row.source = source
    row.by = by
    row.by_facility = membership.facility
    row.at = now()
    row.save()
    RecordFieldChange.objects.create(
        transfer=transfer,
        path=spec.path,
        source=source,
        value=value,
        previous_value=previous,
        confidence=HUMAN_CONFIDENCE,
        photo_id=row.photo_id,
        by=by,
        facility=membership.facility,
    )
    event_emit(
        transfer=transfer,
        type="record.updated",
        actor=by,
        facility=membership.facility,
        payload={"paths": [spec.path], "source": source.value, "photo_id": None},
    )
    return row


@transaction.atomic
def record_field_confirm(*, transfer: Transfer, path: str, by: Any) -> RecordField:
    """A person checked the value against the photo: it stands as it is."""
    transfer = lock_transfer(transfer)
    spec = spec_for(path)
    membership = _editable(transfer, by)
    row = RecordField.objects.filter(transfer=transfer, path=path).first()
    # An empty list read from the sheet is its "なし" (the schema writes [] for
    # it) and can be confirmed. Anything else empty was not read: confirming
    # "nothing" would read as "no allergies"; say it with 修正.
    read_as_none = row is not None and row.value == [] and row.confidence > 0
    if row is None or (is_empty(row.value) and not read_as_none):
        raise Conflict(
            "nothing_to_confirm", "確認する値がありません。「修正」から入力してください。"
        )
    return _human_write(
        transfer=transfer,
        spec=spec,
        row=row,
        value=row.value,
        source=RecordSource.CONFIRMED,
        by=by,
        membership=membership,
    )


@transaction.atomic
def record_field_correct(*, transfer: Transfer, path: str, value: Any, by: Any) -> RecordField:
    """A person sets the value (an empty value: not on the sheet).

    The same value as stored counts as a confirmation.
    """
    transfer = lock_transfer(transfer)
    spec = spec_for(path)
    membership = _editable(transfer, by)
    cleaned = value_clean(spec, value)
    row = RecordField.objects.filter(transfer=transfer, path=path).first()
    same = row is not None and not is_empty(cleaned) and row.value == cleaned
    return _human_write(
        transfer=transfer,
        spec=spec,
        row=row,
        value=cleaned,
        source=RecordSource.CONFIRMED if same else RecordSource.CORRECTED,
        by=by,
        membership=membership,
    )
