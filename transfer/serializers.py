from __future__ import annotations

from typing import Any

from rest_framework import serializers

from facilities.models import Availability, Facility, Membership

from .models import (
    DeclineReason,
    Inquiry,
    Milestone,
    OcrJob,
    Patient,
    Sex,
    Transfer,
    TransferPhoto,
    Urgency,
)


class FacilityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "kind", "name", "short_name", "phone"]


class HospitalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "short_name",
            "phone",
            "address",
            "availability",
            "availability_note",
            "availability_updated_at",
        ]


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "name", "name_kana", "birth_date", "sex"]


class OcrJobSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)
    quality = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='Photo problems as machine codes ("blurred", "too_small", ...)',
    )

    class Meta:
        model = OcrJob
        fields = [
            "id",
            "status",
            "progress",
            "raw_text",
            "quality",
            "error",
            "error_code",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
        ]


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    ocr = OcrJobSerializer(source="ocr_job", read_only=True)

    class Meta:
        model = TransferPhoto
        fields = ["id", "page", "content_type", "size_bytes", "width", "height", "url", "ocr"]

    def get_url(self, obj: TransferPhoto) -> str:
        return f"/photos/{obj.pk}/"


class InquirySerializer(serializers.ModelSerializer):
    hospital = FacilityBriefSerializer(read_only=True)

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "hospital",
            "status",
            "decline_reason",
            "note",
            "asked_at",
            "answered_at",
            "closed_at",
        ]


class TransferListSerializer(serializers.ModelSerializer):
    patient = PatientSerializer(read_only=True)
    care_home = FacilityBriefSerializer(read_only=True)
    destination = FacilityBriefSerializer(read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "status",
            "urgency",
            "chief_complaint",
            "patient",
            "care_home",
            "destination",
            "created_at",
            "sent_at",
        ]


class TransferDetailSerializer(TransferListSerializer):
    crew_station = FacilityBriefSerializer(read_only=True)
    ambulance: serializers.StringRelatedField = serializers.StringRelatedField()
    photos = PhotoSerializer(many=True, read_only=True)
    inquiries = serializers.SerializerMethodField()

    class Meta(TransferListSerializer.Meta):
        fields = [
            *TransferListSerializer.Meta.fields,
            "crew_station",
            "ambulance",
            "photos",
            "inquiries",
            "dispatched_at",
            "on_scene_at",
            "destination_chosen_at",
            "left_scene_at",
            "arrived_at",
            "handed_over_at",
            "closed_at",
            "cancelled_at",
            "cancel_reason",
        ]

    def get_inquiries(self, obj: Transfer) -> list[dict[str, Any]]:
        from .selectors import inquiries_visible

        membership: Membership = self.context["membership"]
        return InquirySerializer(inquiries_visible(obj, membership), many=True).data  # type: ignore[return-value]


class TransferCreateSerializer(serializers.Serializer):
    patient_name = serializers.CharField(max_length=100)
    patient_name_kana = serializers.CharField(max_length=100, required=False, allow_blank=True)
    patient_birth_date = serializers.DateField(required=False, allow_null=True)
    patient_sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    chief_complaint = serializers.CharField(max_length=500, required=False, allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.URGENT)


# Ids are 64-bit. A larger number is no id at all, and SQLite cannot even bind
# it in an IN (...) list (OverflowError, a 500): refuse it as bad input.
MAX_ID = 2**63 - 1


class AssignSerializer(serializers.Serializer):
    ambulance_id = serializers.IntegerField(max_value=MAX_ID)


class InquiriesCreateSerializer(serializers.Serializer):
    hospital_ids = serializers.ListField(
        child=serializers.IntegerField(max_value=MAX_ID), min_length=1
    )


class ChooseSerializer(serializers.Serializer):
    hospital_id = serializers.IntegerField(max_value=MAX_ID)


class AcceptSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MilestoneSerializer(serializers.Serializer):
    milestone = serializers.ChoiceField(
        choices=[c for c in Milestone.choices if c[0] != Milestone.DISPATCHED]
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AvailabilitySerializer(serializers.Serializer):
    availability = serializers.ChoiceField(choices=Availability.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RecordFieldSerializer(serializers.Serializer):
    """One field of the patient record with its provenance."""

    path = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    group = serializers.CharField(source="spec.group")
    kind = serializers.CharField(source="spec.kind")
    value = serializers.JSONField(allow_null=True)
    confidence = serializers.FloatField()
    level = serializers.CharField(
        help_text="confirmed | corrected | empty | sure (>= 0.9) | check (>= 0.6) | unsure"
    )
    source = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="ocr | confirmed | corrected"
    )
    by = serializers.CharField(allow_null=True, help_text="who confirmed or corrected it")
    by_facility = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    photo_id = serializers.IntegerField(allow_null=True)
    page = serializers.IntegerField(allow_null=True)
    box = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="x, y, w, h in pixels"
    )
    photo_size = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="w, h of the upright photo"
    )
    ocr_value = serializers.JSONField(allow_null=True, help_text="what OCR read before a person")
    ocr_confidence = serializers.FloatField(allow_null=True)


class RecordSerializer(serializers.Serializer):
    transfer_id = serializers.IntegerField(source="transfer.pk")
    fields = RecordFieldSerializer(many=True)  # type: ignore[assignment]


class RecordCorrectSerializer(serializers.Serializer):
    value = serializers.JSONField(
        allow_null=True,
        help_text="The field's value: ISO dates, numbers, true/false, lists of strings, "
        "medications as [{name, dose}]; null or [] when it is not on the sheet.",
    )
