from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Availability, Facility, FacilityKind


class FacilityError(Exception):
    pass


@transaction.atomic
def hospital_availability_update(
    *, hospital: Facility, availability: Availability | str, note: str = ""
) -> Facility:
    if hospital.kind != FacilityKind.HOSPITAL:
        raise FacilityError("only hospitals publish availability")
    hospital.availability = Availability(availability)
    hospital.availability_note = note[:200]
    hospital.availability_updated_at = timezone.now()
    hospital.save(update_fields=["availability", "availability_note", "availability_updated_at"])
    return hospital
