"""Transfer lifecycle: create, send, crew, milestones, close, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from facilities.models import AmbulanceUnit, Facility, FacilityKind, Role
from facilities.selectors import membership_for
from notifications.events import event_emit

from ..errors import Conflict, Invalid
from ..models import (
    InquiryStatus,
    Milestone,
    Patient,
    Sex,
    Transfer,
    TransferStatus,
    Urgency,
)
from .common import actor_membership, lock_transfer, now, transition

S = TransferStatus


@transaction.atomic
def transfer_create(
    *,
    care_home: Facility,
    by: Any,
    patient_name: str,
    patient_name_kana: str = "",
    patient_birth_date: dt.date | None = None,
    patient_sex: str = Sex.UNKNOWN,
    chief_complaint: str = "",
    urgency: str = Urgency.URGENT,
) -> Transfer:
    membership = actor_membership(by, facility_id=care_home.pk, roles={Role.CARE_STAFF})
    if care_home.kind != FacilityKind.CARE_HOME:
        raise Invalid("not_a_care_home", "搬送は介護施設から作成します。")
    if not patient_name.strip():
        raise Invalid("patient_name_required", "患者氏名を入力してください。")
    if urgency not in Urgency.values:
        raise Invalid("bad_urgency", "緊急度の値が不正です。")
    if patient_sex not in Sex.values:
        raise Invalid("bad_sex", "性別の値が不正です。")
    patient = Patient.objects.create(
        name=patient_name.strip(),
        name_kana=patient_name_kana.strip(),
        birth_date=patient_birth_date,
        sex=patient_sex,
    )
    transfer = Transfer.objects.create(
        care_home=care_home,
        patient=patient,
        chief_complaint=chief_complaint.strip(),
        urgency=urgency,
        created_by=by,
    )
    event_emit(
        transfer=transfer,
        type="transfer.created",
        actor=by,
        facility=membership.facility,
        payload={"status": transfer.status},
    )
    return transfer


@transaction.atomic
def transfer_send(*, transfer: Transfer, by: Any) -> Transfer:
    """Send a draft: from now on the serving station's crews see it."""
    membership = actor_membership(by, facility_id=transfer.care_home_id, roles={Role.CARE_STAFF})
    transfer = lock_transfer(transfer)
    station_id = transfer.care_home.served_by_id
    if station_id is None:
        raise Conflict("no_station", "この施設を担当する消防署が設定されていません。")
    if transfer.status == S.DRAFT:
        # Set before the status event so that recipients include the crew.
        transfer.crew_station_id = station_id
        transfer.sent_at = now()
    transition(transfer, S.SENT, by=by, membership=membership)
    return transfer


@transaction.atomic
def transfer_assign_crew(*, transfer: Transfer, ambulance: AmbulanceUnit, by: Any) -> Transfer:
    """The crew takes the transfer with one of its station's units (dispatch)."""
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.crew_station_id or -1, roles={Role.CREW})
    if ambulance.station_id != transfer.crew_station_id or not ambulance.is_active:
        raise Invalid("bad_ambulance", "この署の救急車を選んでください。")
    transfer.ambulance = ambulance
    transfer.dispatched_at = now()
    transition(transfer, S.CREW_ASSIGNED, by=by, membership=membership)
    return transfer


# Milestones the crew records; the ones that move the status say where to.
_MILESTONE_STATUS: dict[str, TransferStatus | None] = {
    Milestone.ON_SCENE: None,
    Milestone.LEFT_SCENE: S.EN_ROUTE,
    Milestone.ARRIVED: S.ARRIVED,
    Milestone.HANDED_OVER: S.HANDED_OVER,
}
_MILESTONE_FIELD: dict[str, str] = {
    Milestone.ON_SCENE: "on_scene_at",
    Milestone.LEFT_SCENE: "left_scene_at",
    Milestone.ARRIVED: "arrived_at",
    Milestone.HANDED_OVER: "handed_over_at",
}
# On scene moves no status; the crew may arrive before, while or after asking.
ON_SCENE_STATUSES = frozenset({S.CREW_ASSIGNED, S.INQUIRING, S.DESTINATION_CHOSEN})


def milestone_allowed(transfer: Transfer, milestone: str) -> bool:
    """May the crew record `milestone` now? The rule the service enforces,
    also used by the page to offer only the steps that will succeed."""
    if getattr(transfer, _MILESTONE_FIELD[milestone]) is not None:
        return False
    target = _MILESTONE_STATUS[milestone]
    if target is None:
        return transfer.status in ON_SCENE_STATUSES
    return transfer.can_transition(target)


@transaction.atomic
def transfer_record_milestone(*, transfer: Transfer, milestone: str, by: Any) -> Transfer:
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.crew_station_id or -1, roles={Role.CREW})
    if milestone not in _MILESTONE_FIELD:
        raise Invalid("bad_milestone", "記録できない項目です。")
    field = _MILESTONE_FIELD[milestone]
    if getattr(transfer, field) is not None:
        raise Conflict("milestone_recorded", "この時刻はすでに記録されています。")
    if milestone == Milestone.ON_SCENE and transfer.status not in ON_SCENE_STATUSES:
        raise Conflict("invalid_transition", "出動中の搬送でのみ現着を記録できます。")
    setattr(transfer, field, now())
    target = _MILESTONE_STATUS[milestone]
    event_emit(
        transfer=transfer,
        type="transfer.milestone",
        actor=by,
        facility=membership.facility,
        payload={"milestone": milestone},
    )
    if target is None:
        transfer.save()
    else:
        transition(transfer, target, by=by, membership=membership)
    return transfer


@transaction.atomic
def transfer_close(*, transfer: Transfer, by: Any) -> Transfer:
    transfer = lock_transfer(transfer)
    membership = actor_membership(by, facility_id=transfer.crew_station_id or -1, roles={Role.CREW})
    transfer.closed_at = now()
    transition(transfer, S.CLOSED, by=by, membership=membership)
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by: Any, reason: str = "") -> Transfer:
    """The care home or the crew calls it off before hand-over.

    Live inquiries are withdrawn so that hospitals stop holding a bed.
    """
    from .inquiries import inquiry_close  # local import: inquiries imports common helpers

    transfer = lock_transfer(transfer)
    mine = membership_for(by)
    facility_id = transfer.care_home_id
    roles: set[str] = {Role.CARE_STAFF}
    if mine is not None and mine.facility_id == transfer.crew_station_id:
        facility_id, roles = transfer.crew_station_id, {Role.CREW}
    membership = actor_membership(by, facility_id=facility_id, roles=roles)
    if not transfer.can_transition(S.CANCELLED):
        raise Conflict("invalid_transition", "この搬送はもう取り消せません。")
    for inquiry in transfer.inquiries.select_for_update().filter(
        status__in=[InquiryStatus.PENDING, InquiryStatus.ACCEPTED]
    ):
        inquiry_close(inquiry=inquiry, to=InquiryStatus.WITHDRAWN, by=by, membership=membership)
    transfer.cancelled_at = now()
    transfer.cancel_reason = reason.strip()[:200]
    transition(transfer, S.CANCELLED, by=by, membership=membership)
    return transfer
