"""Hospital inquiries: ask several at once, answer, choose, expire."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from facilities.models import Facility, FacilityKind, Membership, Role
from notifications.events import event_emit

from ..errors import Conflict, Invalid
from ..models import DeclineReason, Inquiry, InquiryStatus, Transfer, TransferStatus
from .common import actor_membership, lock_transfer, now, transition

S = TransferStatus
I = InquiryStatus  # noqa: E741

# Where the crew may (still) ask hospitals: a new round after declines too.
INQUIRY_OPEN_STATUSES = frozenset({S.CREW_ASSIGNED, S.INQUIRING})


def _emit_inquiry(inquiry: Inquiry, *, by: Any, membership: Membership | None) -> None:
    event_emit(
        transfer=inquiry.transfer,
        type="inquiry.status",
        actor=by,
        facility=membership.facility if membership else None,
        payload={
            "inquiry_id": inquiry.pk,
            "hospital_id": inquiry.hospital_id,
            "status": inquiry.status,
            "decline_reason": inquiry.decline_reason,
        },
    )


def inquiry_close(
    *, inquiry: Inquiry, to: InquiryStatus, by: Any, membership: Membership | None
) -> None:
    """Withdraw or expire one inquiry. Caller holds the transfer lock."""
    if not inquiry.can_transition(to):
        raise Conflict("invalid_transition", "この照会は変更できません。")
    inquiry.status = to
    inquiry.closed_at = now()
    inquiry.save(update_fields=["status", "closed_at"])
    _emit_inquiry(inquiry, by=by, membership=membership)


@transaction.atomic
def inquiries_create(
    *, transfer: Transfer, hospitals: Iterable[Facility], by: Any
) -> list[Inquiry]:
    """Ask several hospitals at once (一括受入要請)."""
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.crew_station_id or -1, roles={Role.CREW})
    hospitals = list({h.pk: h for h in hospitals}.values())
    if not hospitals:
        raise Invalid("no_hospitals", "照会先の病院を選んでください。")
    if any(h.kind != FacilityKind.HOSPITAL or not h.is_active for h in hospitals):
        raise Invalid("not_a_hospital", "照会先は病院から選んでください。")
    if transfer.status not in INQUIRY_OPEN_STATUSES:
        raise Conflict(
            "invalid_transition",
            f"現在の状態（{transfer.get_status_display()}）では照会できません。",
        )
    already = set(
        transfer.inquiries.filter(hospital__in=hospitals).values_list("hospital_id", flat=True)
    )
    if already:
        raise Conflict("already_asked", "すでに照会済みの病院が含まれています。")
    if transfer.status == S.CREW_ASSIGNED:
        transition(transfer, S.INQUIRING, by=by, membership=membership)
    created = []
    for hospital in hospitals:
        inquiry = Inquiry.objects.create(transfer=transfer, hospital=hospital, asked_by=by)
        # The inquiry event is the hospital's entry into the transfer: from here
        # on it is in the audience of transfer-wide events.
        event_emit(
            transfer=transfer,
            type="inquiry.created",
            actor=by,
            facility=membership.facility,
            payload={
                "inquiry_id": inquiry.pk,
                "hospital_id": hospital.pk,
                "status": inquiry.status,
                "decline_reason": "",
            },
        )
        created.append(inquiry)
    return created


def _answer(
    *, inquiry: Inquiry, by: Any, to: InquiryStatus, reason: str = "", note: str = ""
) -> Inquiry:
    transfer = lock_transfer(inquiry.transfer)
    membership = actor_membership(by, facility_id=inquiry.hospital_id, roles={Role.CLINICIAN})
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    inquiry.transfer = transfer
    if inquiry.status != I.PENDING:
        raise Conflict(
            "inquiry_closed",
            f"この照会はすでに「{inquiry.get_status_display()}」です。",
        )
    inquiry.status = to
    inquiry.decline_reason = reason
    inquiry.note = note.strip()[:500]
    inquiry.answered_by = by
    inquiry.answered_at = now()
    inquiry.save()
    _emit_inquiry(inquiry, by=by, membership=membership)
    return inquiry


@transaction.atomic
def inquiry_accept(*, inquiry: Inquiry, by: Any, note: str = "") -> Inquiry:
    return _answer(inquiry=inquiry, by=by, to=I.ACCEPTED, note=note)


@transaction.atomic
def inquiry_decline(*, inquiry: Inquiry, by: Any, reason: str, note: str = "") -> Inquiry:
    if reason not in DeclineReason.values:
        raise Invalid("reason_required", "受入不可の理由を選んでください。")
    if reason == DeclineReason.OTHER and not note.strip():
        raise Invalid("note_required", "「その他」の場合は理由を入力してください。")
    return _answer(inquiry=inquiry, by=by, to=I.DECLINED, reason=reason, note=note)


@transaction.atomic
def transfer_choose_destination(*, transfer: Transfer, hospital: Facility, by: Any) -> Transfer:
    """The crew picks one hospital that accepted; every other live inquiry is withdrawn.

    Two crew members choosing at once: both wait on the transfer row lock; the
    second sees status destination_chosen and gets a 409.
    """
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.crew_station_id or -1, roles={Role.CREW})
    if transfer.status != S.INQUIRING:
        raise Conflict(
            "invalid_transition",
            f"現在の状態（{transfer.get_status_display()}）では搬送先を決められません。",
        )
    chosen = (
        transfer.inquiries.select_for_update().filter(hospital=hospital, status=I.ACCEPTED).first()
    )
    if chosen is None:
        raise Conflict("not_accepted", "受入可と回答した病院から選んでください。")
    # Release the others first so that their withdrawal reaches them while
    # they are still in the audience; then the destination event.
    for other in (
        transfer.inquiries.select_for_update()
        .filter(status__in=[I.PENDING, I.ACCEPTED])
        .exclude(pk=chosen.pk)
    ):
        inquiry_close(inquiry=other, to=I.WITHDRAWN, by=by, membership=membership)
    transfer.destination = hospital
    transfer.destination_chosen_at = now()
    transition(transfer, S.DESTINATION_CHOSEN, by=by, membership=membership)
    return transfer


def inquiries_expire(*, at: dt.datetime | None = None) -> int:
    """Expire inquiries left pending past the timeout. Returns how many.

    Each transfer is handled in its own transaction under its lock, so a
    hospital answering at the same moment either wins (answer stands) or
    finds the inquiry expired (409) - never both.
    """
    at = at or now()
    cutoff = at - dt.timedelta(minutes=settings.KAKEHASHI_INQUIRY_TIMEOUT_MINUTES)
    transfer_ids = set(
        Inquiry.objects.filter(status=I.PENDING, asked_at__lt=cutoff).values_list(
            "transfer_id", flat=True
        )
    )
    count = 0
    for transfer_id in sorted(transfer_ids):
        with transaction.atomic():
            transfer = Transfer.objects.select_for_update(no_key=True).get(pk=transfer_id)
            for inquiry in transfer.inquiries.select_for_update().filter(
                status=I.PENDING, asked_at__lt=cutoff
            ):
                inquiry.transfer = transfer
                inquiry_close(inquiry=inquiry, to=I.EXPIRED, by=None, membership=None)
                count += 1
    return count
