"""Reads. Every read of a transfer goes through `transfer_get_for_user` or
`transfers_for_user`, which decide who is involved."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from facilities.models import FacilityKind, Membership
from facilities.selectors import membership_for

from .models import (
    TRANSFER_OPEN_STATUSES,
    Inquiry,
    InquiryStatus,
    Transfer,
    TransferEvent,
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
