from __future__ import annotations

from typing import Any

from django.utils import timezone

from facilities.models import Membership, Role
from facilities.selectors import membership_for
from notifications.events import event_emit

from ..errors import Conflict, Forbidden
from ..models import Transfer, TransferStatus


def actor_membership(by: Any, *, facility_id: int, roles: set[str]) -> Membership:
    """The actor's membership if it works at `facility_id` in one of `roles`.

    Facility admins may do what their facility's staff may do.
    """
    membership = membership_for(by)
    if membership is None or membership.facility_id != facility_id:
        raise Forbidden("not_your_facility", "この操作は担当施設の職員のみ行えます。")
    if membership.role not in roles and membership.role != Role.FACILITY_ADMIN:
        raise Forbidden("role_not_allowed", "この操作を行う権限がありません。")
    return membership


def lock_transfer(transfer: Transfer) -> Transfer:
    """Re-read the transfer under a row lock.

    Why: every write to a transfer or its inquiries takes this lock first, so
    concurrent actions on one transfer are serialised and always lock in the
    same order (transfer, then inquiries) - no deadlocks, and checks such as
    "already chosen" see the committed state.

    NO KEY UPDATE, not UPDATE: writers still exclude each other, but inserts
    of rows that point at the transfer (events, audit entries, photos) take
    only a KEY SHARE lock for their foreign-key check and need not wait.
    """
    return Transfer.objects.select_for_update(no_key=True).get(pk=transfer.pk)


def transition(
    transfer: Transfer, to: TransferStatus, *, by: Any, membership: Membership | None
) -> None:
    if not transfer.can_transition(to):
        raise Conflict(
            "invalid_transition",
            f"現在の状態（{transfer.get_status_display()}）からは"
            f"「{TransferStatus(to).label}」にできません。",
        )
    previous = transfer.status
    transfer.status = to
    transfer.save()
    event_emit(
        transfer=transfer,
        type="transfer.status",
        actor=by,
        facility=membership.facility if membership else None,
        payload={"from_status": previous, "to_status": str(to)},
    )


def now() -> Any:
    return timezone.now()
