"""The one place events are written and broadcast.

Rules (after Zulip): services call `event_emit` inside their transaction; the
row is the truth; the broadcast happens only after commit, through the channel
layer, which is at-most-once. Clients that miss a broadcast get the event from
the log when they resume from their last id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from facilities.models import Facility
from transfer.models import EventAudience, InquiryStatus, Transfer, TransferEvent

from .types import EventMessage, EventType

logger = logging.getLogger(__name__)

# Arbitrary constant key for the advisory lock that orders event ids.
_EVENT_SEQUENCE_LOCK = 0x6B616B65  # "kake"

ACTIVE_INQUIRY = (InquiryStatus.PENDING, InquiryStatus.ACCEPTED)


def facility_group(facility_id: int) -> str:
    return f"facility.{facility_id}"


def recipients_for(transfer: Transfer, event_type: EventType, payload: dict[str, Any]) -> set[int]:
    """Facilities that may see this event. Decided here and nowhere else.

    - A draft is the care home's own business.
    - After sending, the care home and the serving station see everything.
    - A hospital sees its own inquiry's events, and transfer-wide events only
      while its inquiry is live (pending or accepted) or it is the destination:
      a hospital that declined or was released stops receiving the patient's
      updates. Hospitals never see each other's answers.
    """
    ids: set[int] = {transfer.care_home_id}
    if transfer.crew_station_id is not None:
        ids.add(transfer.crew_station_id)
    if event_type.startswith("inquiry."):
        ids.add(int(payload["hospital_id"]))
        return ids
    if transfer.destination_id is not None:
        ids.add(transfer.destination_id)
    else:
        ids.update(
            transfer.inquiries.filter(status__in=ACTIVE_INQUIRY).values_list(
                "hospital_id", flat=True
            )
        )
    return ids


def serialize(event: TransferEvent) -> EventMessage:
    return {
        "kind": "event",
        "id": event.pk,
        "type": event.type,
        "transfer_id": event.transfer_id,
        "at": event.created_at.isoformat(),
        "actor_facility_id": event.facility_id,
        "payload": event.payload,
    }


def event_emit(
    *,
    transfer: Transfer,
    type: EventType,
    actor: Any | None,
    facility: Facility | None,
    payload: dict[str, Any],
) -> TransferEvent:
    """Append an event and broadcast it after commit. Call inside the service's transaction.

    Locking contract: on PostgreSQL this takes a transaction-level advisory
    lock before inserting, held until commit. Why: a sequence hands out ids at
    insert time, so without it a transaction holding id 11 could commit after
    one holding id 12; a client that saw 12 and resumes "after 12" would never
    get 11. Serialising the (short) tail of event-writing transactions makes
    id order equal commit order. SQLite already serialises writers.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("event_emit must run inside the service's transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_EVENT_SEQUENCE_LOCK])
    event = TransferEvent.objects.create(
        transfer=transfer, type=type, actor=actor, facility=facility, payload=payload
    )
    audience = recipients_for(transfer, type, payload)
    EventAudience.objects.bulk_create(
        [EventAudience(event=event, facility_id=fid) for fid in sorted(audience)]
    )
    message = serialize(event)
    transaction.on_commit(lambda: broadcast(message, audience))
    return event


def broadcast(message: EventMessage, audience: Iterable[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    groups = [facility_group(fid) for fid in audience]

    async def send_all() -> None:
        # One event loop for all recipients: each async_to_sync call starts a
        # loop and channels_redis keeps its connections per loop.
        await asyncio.gather(
            *(layer.group_send(g, {"type": "event.message", "event": message}) for g in groups)
        )

    try:
        async_to_sync(send_all)()
    except Exception:
        # The log row is committed; clients catch up on resume/sync.
        logger.exception("broadcast of event %s failed", message["id"])
