"""Transfers, their photos, OCR jobs, hospital inquiries and the event log.

State machines live here as data (allowed transitions); the services in
transfer/services/ are the only writers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

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
    # PageResult.to_json() plus the upright photo size (for crops); holds
    # patient values, so it stays in the database and out of logs and events.
    result = models.JSONField(default=dict, blank=True)
    # Machine codes of photo problems ("blurred", "too_small", ...): the phone
    # turns them into a retake hint.
    quality = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Machine code of the failure (OcrFailed.code, or "internal").
    error_code = models.CharField(max_length=30, blank=True)
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


# --- The structured patient record (from OCR, verified by people) -------------


@dataclass(frozen=True)
class RecordFieldSpec:
    """One field of the patient record: how it is labelled, grouped and checked.

    `kind` decides validation (services.record) and the input offered
    (templates): text, longtext, date, datetime, int, float, sex, bool,
    choice, pattern, list (of strings), medications (list of {name, dose}).
    """

    path: str
    label: str
    group: str
    kind: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[tuple[Any, str], ...] = ()
    pattern: str = ""
    hint: str = ""


CARE_LEVELS = (
    "要支援1",
    "要支援2",
    "要介護1",
    "要介護2",
    "要介護3",
    "要介護4",
    "要介護5",
    "非該当",
    "申請中",
)
JCS_LEVELS: tuple[tuple[int, str], ...] = (
    (0, "0（清明）"),
    (1, "Ⅰ-1"),
    (2, "Ⅰ-2"),
    (3, "Ⅰ-3"),
    (10, "Ⅱ-10"),
    (20, "Ⅱ-20"),
    (30, "Ⅱ-30"),
    (100, "Ⅲ-100"),
    (200, "Ⅲ-200"),
    (300, "Ⅲ-300"),
)

_F = RecordFieldSpec
# In display order: who, how they are now, what they want, history, whom to call.
# The paths are transfer.ocr.types.FIELD_PATHS (a test keeps them equal; this
# module does not import the OCR package, which loads OpenCV).
RECORD_FIELD_SPECS: tuple[RecordFieldSpec, ...] = (
    _F("name", "氏名", "基本情報", "text"),
    _F("name_kana", "フリガナ", "基本情報", "text"),
    _F("sex", "性別", "基本情報", "sex", choices=(("male", "男"), ("female", "女"))),
    _F("birth_date", "生年月日", "基本情報", "date"),
    _F("age", "年齢", "基本情報", "int", unit="歳", min=0, max=130),
    _F("written_date", "記入日", "基本情報", "date"),
    _F("vitals.temperature_c", "体温", "バイタル", "float", unit="℃", min=30, max=45),
    _F("vitals.bp_systolic", "血圧(上)", "バイタル", "int", unit="mmHg", min=30, max=300),
    _F("vitals.bp_diastolic", "血圧(下)", "バイタル", "int", unit="mmHg", min=10, max=250),
    _F("vitals.heart_rate", "脈拍", "バイタル", "int", unit="回/分", min=10, max=300),
    _F("vitals.spo2", "SpO2", "バイタル", "int", unit="%", min=30, max=100),
    _F("vitals.resp_rate", "呼吸数", "バイタル", "int", unit="回/分", min=0, max=80),
    _F("vitals.jcs", "JCS", "バイタル", "choice", choices=JCS_LEVELS),
    _F("vitals.gcs", "GCS", "バイタル", "pattern", pattern=r"E[1-4]V[1-5]M[1-6]", hint="E4V5M6"),
    _F("onset_time", "発症時刻", "状態・意向", "datetime"),
    _F("current_illness", "現病歴", "状態・意向", "longtext"),
    _F(
        "dnar",
        "DNAR",
        "状態・意向",
        "bool",
        choices=((True, "DNAR（心肺蘇生を希望しない）"), (False, "蘇生を希望（DNARなし）")),
    ),
    _F("advance_directive", "急変時の意向", "状態・意向", "longtext"),
    _F(
        "care_level",
        "要介護度",
        "状態・意向",
        "choice",
        choices=tuple((c, c) for c in CARE_LEVELS),
    ),
    _F("dementia_level", "認知症自立度", "状態・意向", "text"),
    _F("adl", "ADL", "状態・意向", "text"),
    _F("notes", "特記事項", "状態・意向", "longtext"),
    _F("diagnoses", "既往歴・病名", "既往歴・内服", "list"),
    _F("medications", "内服薬", "既往歴・内服", "medications"),
    _F("allergies", "アレルギー", "既往歴・内服", "list"),
    _F("key_person.name", "キーパーソン氏名", "連絡先", "text"),
    _F("key_person.relation", "キーパーソン続柄", "連絡先", "text"),
    _F("key_person.phone", "キーパーソン電話", "連絡先", "pattern", pattern=r"[0-9+][0-9-]{5,15}"),
    _F("primary_physician", "かかりつけ医", "連絡先", "text"),
    _F("clinic_name", "医療機関", "連絡先", "text"),
    _F("facility_name", "施設名", "連絡先", "text"),
    _F("facility_phone", "施設電話", "連絡先", "pattern", pattern=r"[0-9+][0-9-]{5,15}"),
    _F("address", "住所", "連絡先", "longtext"),
    _F("postal_code", "郵便番号", "連絡先", "pattern", pattern=r"\d{3}-\d{4}", hint="123-4567"),
    _F("insurance_number", "被保険者番号", "連絡先", "pattern", pattern=r"[0-9]{10}"),
)
RECORD_FIELDS: dict[str, RecordFieldSpec] = {f.path: f for f in RECORD_FIELD_SPECS}
RECORD_LIST_KINDS = frozenset({"list", "medications"})


class RecordSource(models.TextChoices):
    OCR = "ocr", "OCR"
    CONFIRMED = "confirmed", "確認済み"
    CORRECTED = "corrected", "修正済み"


class RecordField(models.Model):
    """The current value of one field of a transfer's patient record.

    Written only by transfer.services.record: OCR merges pages into it;
    a person confirms or corrects it, after which OCR never touches it again.
    `ocr_value`/`ocr_confidence` keep what the machine said before a person
    acted, so misreadings can be measured.
    """

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="record_fields")
    path = models.CharField(max_length=50)
    value = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(default=0.0)
    source = models.CharField(max_length=10, choices=RecordSource.choices, default=RecordSource.OCR)
    # Where the value was read: the photo and the box (x, y, w, h) in pixels
    # of the upright photo.
    photo = models.ForeignKey(
        TransferPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    box = models.JSONField(null=True, blank=True)
    # Who confirmed or corrected it (null for OCR), from which facility, when.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    ocr_value = models.JSONField(null=True, blank=True)
    ocr_confidence = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["transfer", "path"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "path"], name="record_field_unique_path")
        ]
        verbose_name = "記録項目"
        verbose_name_plural = "記録項目"

    def __str__(self) -> str:
        # Never the value: str() ends up in logs and admin history.
        return f"RecordField {self.path} of transfer {self.transfer_id} ({self.source})"


class RecordFieldChange(models.Model):
    """Append-only history of the record: every value a field took, from OCR
    or from a person, who and when (provenance)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="record_changes")
    path = models.CharField(max_length=50)
    source = models.CharField(max_length=10, choices=RecordSource.choices)
    value = models.JSONField(null=True, blank=True)
    previous_value = models.JSONField(null=True, blank=True)
    confidence = models.FloatField()
    photo = models.ForeignKey(
        TransferPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["transfer", "path"])]

    def __str__(self) -> str:
        return f"RecordFieldChange #{self.pk} {self.path} ({self.source})"
