from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from .models import Facility, FacilityKind, Membership


def membership_for(user: Any) -> Membership | None:
    """The user's facility membership, or None (anonymous, or not attached)."""
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("facility").get(user=user)
    except Membership.DoesNotExist:
        return None


def hospitals_for_inquiry() -> QuerySet[Facility]:
    """Active hospitals, freshest availability first (rewards keeping it current)."""
    return Facility.objects.filter(kind=FacilityKind.HOSPITAL, is_active=True).order_by(
        F("availability_updated_at").desc(nulls_last=True), "name"
    )
