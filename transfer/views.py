"""Server-rendered pages for the three roles. Thin: selectors for reads,
services for writes; the live parts re-fetch the panels on each event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from facilities.models import Availability, FacilityKind, Membership
from facilities.selectors import hospitals_for_inquiry, membership_for

from . import services
from .errors import TransferError
from .models import (
    TRANSFER_OPEN_STATUSES,
    DeclineReason,
    Milestone,
    OcrJob,
    OcrStatus,
    Sex,
    Transfer,
    TransferPhoto,
    TransferStatus,
    Urgency,
)
from .selectors import (
    dashboard_lists,
    inquiries_visible,
    last_event_id_for_facility,
    record_fields,
    record_groups,
    transfer_get_for_user,
)
from .services.inquiries import INQUIRY_OPEN_STATUSES
from .services.record import record_editor_membership
from .services.transfers import milestone_allowed


def _membership_or_404(request: HttpRequest) -> Membership:
    membership = membership_for(request.user)
    if membership is None:
        raise Http404("no facility")
    return membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    return render(request, "transfer/dashboard.html", _dashboard_context(membership, request))


@login_required
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    return render(request, "transfer/_transfer_list.html", _dashboard_context(membership, request))


def _dashboard_context(membership: Membership, request: HttpRequest) -> dict[str, object]:
    open_transfers, done_transfers = dashboard_lists(request.user, membership)
    is_hospital = membership.facility.kind == FacilityKind.HOSPITAL
    return {
        "membership": membership,
        "open_transfers": open_transfers,
        "done_transfers": done_transfers,
        "is_hospital": is_hospital,
        "availability_choices": Availability.choices,
        "last_event_id": last_event_id_for_facility(membership.facility_id),
        "hospitals": (
            hospitals_for_inquiry() if membership.facility.kind != FacilityKind.CARE_HOME else []
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def transfer_new(request: HttpRequest) -> HttpResponse:
    membership = _membership_or_404(request)
    if membership.facility.kind != FacilityKind.CARE_HOME:
        raise Http404("only care homes create transfers")
    error = None
    if request.method == "POST":
        birth = request.POST.get("patient_birth_date") or ""
        try:
            birth_date = dt.date.fromisoformat(birth) if birth else None
            transfer = services.transfer_create(
                care_home=membership.facility,
                by=request.user,
                patient_name=request.POST.get("patient_name", ""),
                patient_name_kana=request.POST.get("patient_name_kana", ""),
                patient_birth_date=birth_date,
                patient_sex=request.POST.get("patient_sex", Sex.UNKNOWN),
                chief_complaint=request.POST.get("chief_complaint", ""),
                urgency=request.POST.get("urgency", Urgency.URGENT),
            )
        except ValueError:
            error = "生年月日の形式が正しくありません。"
        except TransferError as e:
            error = e.message
        else:
            return redirect("transfer_detail", transfer_id=transfer.pk)
    return render(
        request,
        "transfer/transfer_new.html",
        {
            "membership": membership,
            "error": error,
            "sexes": Sex.choices,
            "urgencies": Urgency.choices,
            "form": request.POST,
        },
        status=400 if error else 200,
    )


# What the phone says about a photo OCR could not use well (quality codes from
# transfer.ocr, failure codes from OcrFailed). Unknown codes get the generic hint.
RETAKE_HINTS = {
    "blurred": "ピントが合っていません。もう一度撮影してください。",
    "too_small": "文字が小さすぎます。シートに近づいて撮影してください。",
    "page_not_found": "シート全体が写っていません。シート全体が入るように撮影してください。",
    "too_dark": "暗すぎます。明るい場所で撮影してください。",
    "too_large": "画像が大きすぎます。撮り直してください。",
    "unreadable": "画像を読み取れませんでした。もう一度撮影してください。",
    "illegible": (
        "文字をほとんど読み取れませんでした。手ぶれ・ピンぼけのないよう、もう一度撮影してください。"
    ),
}
RETAKE_HINT_DEFAULT = "うまく読み取れませんでした。もう一度撮影してください。"


def retake_hints(codes: list[str]) -> list[str]:
    hints = [RETAKE_HINTS.get(code, RETAKE_HINT_DEFAULT) for code in codes]
    return list(dict.fromkeys(hints))


@dataclass
class PhotoOcr:
    """A page and how its OCR went, as the page shows it."""

    photo: TransferPhoto
    job: OcrJob | None
    hints: list[str]  # retake hints (Japanese)
    reason: str  # why it failed, for people

    @property
    def state(self) -> str:
        return self.job.status if self.job is not None else ""


def _photos_with_ocr(transfer: Transfer) -> list[PhotoOcr]:
    out = []
    for photo in transfer.photos.select_related("ocr_job"):
        job = getattr(photo, "ocr_job", None)
        codes: list[str] = []
        reason = ""
        if job is not None and job.status == OcrStatus.FAILED:
            codes = [job.error_code or "internal"]
            # A technical reason ("internal error: ...") means nothing to the nurse.
            internal = job.error_code in ("", "internal")
            reason = "文字認識中にエラーが発生しました。" if internal else job.error
        elif job is not None:
            codes = list(job.quality or [])
        out.append(PhotoOcr(photo, job, retake_hints(codes), reason))
    return out


def _detail_context(request: HttpRequest, transfer_id: int) -> dict[str, object]:
    membership = _membership_or_404(request)
    transfer = transfer_get_for_user(request.user, transfer_id)
    services.audit_record(user=request.user, transfer=transfer, action="transfer.read")
    inquiries = list(inquiries_visible(transfer, membership))
    photos = _photos_with_ocr(transfer)
    fields = record_fields(transfer)
    open_ = transfer.status in TRANSFER_OPEN_STATUSES
    kind = membership.facility.kind
    asked = {i.hospital_id for i in inquiries}
    my_inquiry = next((i for i in inquiries if i.hospital_id == membership.facility_id), None)
    S = TransferStatus
    ctx: dict[str, object] = {
        "membership": membership,
        "transfer": transfer,
        "photos": photos,
        "ocr_pending": [p for p in photos if p.state in (OcrStatus.QUEUED, OcrStatus.RUNNING)],
        "ocr_failed": [p for p in photos if p.state == OcrStatus.FAILED],
        "record_groups": record_groups(fields),
        "record_filled": sum(not f.empty for f in fields),
        "record_unsure": sum(f.level == "unsure" for f in fields),
        "record_check": sum(f.level == "check" for f in fields),
        "can_edit_record": open_ and record_editor_membership(transfer, request.user) is not None,
        "inquiries": inquiries,
        "my_inquiry": my_inquiry,
        "is_home": kind == FacilityKind.CARE_HOME,
        "is_crew": kind == FacilityKind.FIRE_STATION,
        "is_hospital": kind == FacilityKind.HOSPITAL,
        "decline_reasons": DeclineReason.choices,
        # (code, label, recorded at, can be recorded now): the page offers only
        # the steps the current status allows, so a tap never ends in an error.
        "milestones": [
            (code, label, getattr(transfer, f"{code}_at"), milestone_allowed(transfer, code))
            for code, label in (
                (Milestone.ON_SCENE, "現着（施設到着）"),
                (Milestone.LEFT_SCENE, "現発（施設出発）"),
                (Milestone.ARRIVED, "病院到着"),
                (Milestone.HANDED_OVER, "引継ぎ完了"),
            )
        ],
        "steps": [
            ("送信", transfer.sent_at),
            ("出動", transfer.dispatched_at),
            ("現着", transfer.on_scene_at),
            ("搬送先決定", transfer.destination_chosen_at),
            ("現発", transfer.left_scene_at),
            ("病院着", transfer.arrived_at),
            ("引継ぎ", transfer.handed_over_at),
        ],
        "open": open_,
        "can_cancel": transfer.can_transition(S.CANCELLED)
        and (kind == FacilityKind.CARE_HOME or kind == FacilityKind.FIRE_STATION),
        "last_event_id": last_event_id_for_facility(membership.facility_id),
    }
    if kind == FacilityKind.FIRE_STATION:
        ctx["ambulances"] = membership.facility.ambulances.filter(is_active=True)
        ctx["askable"] = [h for h in hospitals_for_inquiry() if h.pk not in asked]
        ctx["can_inquire"] = transfer.status in INQUIRY_OPEN_STATUSES
        ctx["can_choose"] = transfer.status == S.INQUIRING
    return ctx


@login_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return render(request, "transfer/transfer_detail.html", _detail_context(request, transfer_id))


@login_required
def transfer_panel(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return render(request, "transfer/_transfer_panel.html", _detail_context(request, transfer_id))


@login_required
def photo_file(request: HttpRequest, photo_id: int) -> FileResponse:
    """The only way to a photo: the user's facility must be involved in its transfer."""
    try:
        photo = TransferPhoto.objects.select_related("transfer").get(pk=photo_id)
    except TransferPhoto.DoesNotExist as e:
        raise Http404("photo not found") from e
    transfer = transfer_get_for_user(request.user, photo.transfer_id)
    services.audit_record(
        user=request.user, transfer=transfer, action="photo.read", target=f"photo:{photo.pk}"
    )
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="page-{photo.page}"'
    return response
