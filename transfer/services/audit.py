from __future__ import annotations

from typing import Any

from facilities.selectors import membership_for

from ..models import AuditEntry, Transfer


def audit_record(*, user: Any, transfer: Transfer | None, action: str, target: str = "") -> None:
    """Append who read or changed which patient data. Called by every view that
    shows a transfer's contents (pages, API, photos)."""
    membership = membership_for(user)
    AuditEntry.objects.create(
        user=user if user.is_authenticated else None,
        facility=membership.facility if membership else None,
        transfer=transfer,
        action=action,
        target=target[:100],
    )
