from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from facilities.selectors import membership_for

from ..models import AuditEntry, Transfer

# A page refreshes its panel on every live event; one entry per user, object
# and action per window says "who looked" without one row per event.
READ_DEDUP_WINDOW = dt.timedelta(seconds=60)


def audit_record(*, user: Any, transfer: Transfer | None, action: str, target: str = "") -> None:
    """Append who read or changed which patient data. Called by every view that
    shows a transfer's contents (pages, API, photos)."""
    membership = membership_for(user)
    recent = AuditEntry.objects.filter(
        user=user if user.is_authenticated else None,
        transfer=transfer,
        action=action,
        target=target[:100],
        at__gte=timezone.now() - READ_DEDUP_WINDOW,
    )
    if recent.exists():
        return
    AuditEntry.objects.create(
        user=user if user.is_authenticated else None,
        facility=membership.facility if membership else None,
        transfer=transfer,
        action=action,
        target=target[:100],
    )
