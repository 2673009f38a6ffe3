"""Transfers, their photos, OCR jobs, hospital inquiries and the event log.

State machines live here as data (allowed transitions); the services in
transfer/services/ are the only writers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from facilities.models import AmbulanceUnit, Facility


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "unknown", "不明"


class Patient(models.Model):
    """Minimal identity for now; the structured record comes with OCR."""

    name = models.CharField(max_length=100)
    name_kana = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "患者"
        verbose_name_plural = "患者"

    def __str__(self) -> str:
        # Deliberately not the name: str() ends up in logs and admin history.
        return f"Patient #{self.pk}"


class Urgency(models.TextChoices):
    CRITICAL = "critical", "緊急（生命の危険）"
    URGENT = "urgent", "準緊急"
    NON_URGENT = "non_urgent", "非緊急"


class TransferStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    SENT = "sent", "送信済み"
    CREW_ASSIGNED = "crew_assigned", "救急隊出動"
    INQUIRING = "inquiring", "病院照会中"
    DESTINATION_CHOSEN = "destination_chosen", "搬送先決定"
    EN_ROUTE = "en_route", "搬送中"
    ARRIVED = "arrived", "病院到着"
    HANDED_OVER = "handed_over", "引継ぎ完了"
    CLOSED = "closed", "完了"
    CANCELLED = "cancelled", "取消"


S = TransferStatus
TRANSFER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.CREW_ASSIGNED, S.CANCELLED}),
    # The crew may ask hospitals more than once (a new round after declines).
    S.CREW_ASSIGNED: frozenset({S.INQUIRING, S.CANCELLED}),
    S.INQUIRING: frozenset({S.DESTINATION_CHOSEN, S.CANCELLED}),
    S.DESTINATION_CHOSEN: frozenset({S.EN_ROUTE, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ARRIVED, S.CANCELLED}),
    S.ARRIVED: frozenset({S.HANDED_OVER, S.CANCELLED}),
    S.HANDED_OVER: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
TRANSFER_OPEN_STATUSES = frozenset(s for s in TransferStatus if s not in {S.CLOSED, S.CANCELLED})


class Transfer(models.Model):
    care_home = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="transfers")
    chief_complaint = models.CharField(max_length=500, blank=True)
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.URGENT)
    status = models.CharField(
        max_length=30, choices=TransferStatus.choices, default=TransferStatus.DRAFT
    )
    # Set when sent: the station whose crews serve the home.
    crew_station = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ambulance = models.ForeignKey(
        AmbulanceUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Step times (NEMSIS-style). The event log is the source; these copies make
    # lists and KPIs cheap to query.
    sent_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    destination_chosen_at = models.DateTimeField(null=True, blank=True)
    left_scene_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "搬送"
        verbose_name_plural = "搬送"
        indexes = [
            models.Index(fields=["care_home", "status"]),
            models.Index(fields=["crew_station", "status"]),
        ]

    def __str__(self) -> str:
        return f"Transfer #{self.pk} ({self.status})"

    def can_transition(self, to: str) -> bool:
        return to in TRANSFER_TRANSITIONS[self.status]


def photo_upload_to(instance: TransferPhoto, filename: str) -> str:
    # Unguessable and free of the client's file name (which may hold a
    # patient's name). Served only through an access-checked view.
    return f"photos/{instance.transfer_id}/{uuid.uuid4().hex}"


class TransferPhoto(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="photos")
    page = models.PositiveSmallIntegerField()
    image = models.FileField(upload_to=photo_upload_to, max_length=200)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["transfer", "page"]
        constraints = [
            # A retried upload of the same bytes must not create a second page.
            models.UniqueConstraint(fields=["transfer", "sha256"], name="photo_unique_content"),
            models.UniqueConstraint(fields=["transfer", "page"], name="photo_unique_page"),
        ]

    def __str__(self) -> str:
        return f"Photo #{self.pk} (transfer {self.transfer_id} p{self.page})"


class OcrStatus(models.TextChoices):
    QUEUED = "queued", "待機中"
    RUNNING = "running", "処理中"
    DONE = "done", "完了"
    FAILED = "failed", "失敗"


class OcrJob(models.Model):
    photo = models.OneToOneField(TransferPhoto, on_delete=models.CASCADE, related_name="ocr_job")
    status = models.CharField(max_length=10, choices=OcrStatus.choices, default=OcrStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    raw_text = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["queued_at"],
                name="ocrjob_unfinished",
                condition=models.Q(status__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"OcrJob #{self.pk} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class InquiryStatus(models.TextChoices):
    PENDING = "pending", "回答待ち"
    ACCEPTED = "accepted", "受入可"
    DECLINED = "declined", "受入不可"
    WITHDRAWN = "withdrawn", "取下げ"
    EXPIRED = "expired", "期限切れ"


I = InquiryStatus  # noqa: E741
INQUIRY_TRANSITIONS: dict[str, frozenset[str]] = {
    I.PENDING: frozenset({I.ACCEPTED, I.DECLINED, I.WITHDRAWN, I.EXPIRED}),
    # An accepted hospital is released when another destination is chosen or
    # the transfer is cancelled.
    I.ACCEPTED: frozenset({I.WITHDRAWN}),
    I.DECLINED: frozenset(),
    I.WITHDRAWN: frozenset(),
    I.EXPIRED: frozenset(),
}


class DeclineReason(models.TextChoices):
    # Machine codes, so refusals can be analysed (as the prefectural systems do).
    BEDS_FULL = "beds_full", "満床"
    NO_SPECIALIST = "no_specialist", "専門医不在"
    IN_SURGERY = "in_surgery", "手術・処置中"
    TREATING_OTHERS = "treating_others", "他患者対応中"
    OUT_OF_SCOPE = "out_of_scope", "対応困難な病態"
    OTHER = "other", "その他"


class Inquiry(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="inquiries")
    hospital = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.PENDING
    )
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["transfer", "asked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "hospital"], name="inquiry_one_per_hospital"
            )
        ]
        indexes = [
            models.Index(
                fields=["asked_at"],
                name="inquiry_pending",
                condition=models.Q(status="pending"),
            )
        ]
        verbose_name = "照会"
        verbose_name_plural = "照会"

    def __str__(self) -> str:
        return f"Inquiry #{self.pk} ({self.status})"

    def can_transition(self, to: str) -> bool:
        return to in INQUIRY_TRANSITIONS[self.status]


class Milestone(models.TextChoices):
    DISPATCHED = "dispatched", "出動"
    ON_SCENE = "on_scene", "現着"
    LEFT_SCENE = "left_scene", "現発"
    ARRIVED = "arrived", "病院着"
    HANDED_OVER = "handed_over", "引継ぎ"


class TransferEvent(models.Model):
    """Append-only log of everything that happened to a transfer.

    The id is the global event sequence number clients resume from. Services
    write events inside their transaction; see notifications.events for why
    ids are assigned in commit order.
    """

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)
    # Who may see this event, fixed when it happened: recipients are chosen
    # once (notifications.events.recipients_for) and replay uses the same set.
    audience = models.ManyToManyField(Facility, related_name="+", through="EventAudience")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Event #{self.pk} {self.type}"


class EventAudience(models.Model):
    event = models.ForeignKey(TransferEvent, on_delete=models.CASCADE)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "event"], name="event_audience_unique")
        ]

    def __str__(self) -> str:
        return f"Event #{self.event_id} -> facility {self.facility_id}"


class AuditEntry(models.Model):
    """Who read or changed which patient data, when. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(Facility, null=True, on_delete=models.PROTECT, related_name="+")
    transfer = models.ForeignKey(
        Transfer, null=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["transfer", "at"])]

    def __str__(self) -> str:
        return f"{self.action} by user {self.user_id} at {self.at:%Y-%m-%d %H:%M:%S}"
