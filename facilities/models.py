"""Care homes, hospitals and fire stations, and who works where.

The town's network (10 homes, 6 hospitals, 1 station) is configuration: rows
here, never code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FacilityKind(models.TextChoices):
    CARE_HOME = "care_home", "介護施設"
    HOSPITAL = "hospital", "病院"
    FIRE_STATION = "fire_station", "消防署"


class Availability(models.TextChoices):
    # EDXL-HAVE's normal / advisory / closed, as the prefectural systems show them.
    ACCEPTING = "accepting", "受入可"
    LIMITED = "limited", "条件付き"
    CLOSED = "closed", "受入不可"


class Facility(models.Model):
    kind = models.CharField(max_length=20, choices=FacilityKind.choices)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=60, blank=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # For care homes: the fire station whose crews serve this home. A sent
    # transfer goes to that station's crews.
    served_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="served_facilities",
        limit_choices_to={"kind": FacilityKind.FIRE_STATION},
    )
    # For hospitals: current availability, kept fresh by the hospital.
    availability = models.CharField(
        max_length=20, choices=Availability.choices, default=Availability.ACCEPTING
    )
    availability_note = models.CharField(max_length=200, blank=True)
    availability_updated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = "施設"
        verbose_name_plural = "施設"

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Department(models.Model):
    hospital = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="departments",
        limit_choices_to={"kind": FacilityKind.HOSPITAL},
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["hospital", "name"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "name"], name="department_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class AmbulanceUnit(models.Model):
    station = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="ambulances",
        limit_choices_to={"kind": FacilityKind.FIRE_STATION},
    )
    call_sign = models.CharField(max_length=50)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["station", "call_sign"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "call_sign"], name="ambulance_unique_call_sign"
            )
        ]

    def __str__(self) -> str:
        return self.call_sign


class Role(models.TextChoices):
    CARE_STAFF = "care_staff", "施設職員"
    CREW = "crew", "救急隊員"
    CLINICIAN = "clinician", "病院医療者"
    FACILITY_ADMIN = "facility_admin", "施設管理者"


class Membership(models.Model):
    """A user works at exactly one facility, with one role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "所属"
        verbose_name_plural = "所属"

    def __str__(self) -> str:
        return f"{self.user} @ {self.facility} ({self.get_role_display()})"
