"""Server-rendered pages for the three roles. Thin: selectors for reads,
services for writes; the live parts re-fetch the panels on each event."""

from __future__ import annotations

import datetime as dt

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
    Sex,
    TransferPhoto,
    TransferStatus,
    Urgency,
)
from .selectors import (
    dashboard_lists,
    inquiries_visible,
    last_event_id_for_facility,
    transfer_get_for_user,
)
from .services.inquiries import INQUIRY_OPEN_STATUSES
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


def _detail_context(request: HttpRequest, transfer_id: int) -> dict[str, object]:
    membership = _membership_or_404(request)
    transfer = transfer_get_for_user(request.user, transfer_id)
    services.audit_record(user=request.user, transfer=transfer, action="transfer.read")
    inquiries = list(inquiries_visible(transfer, membership))
    kind = membership.facility.kind
    asked = {i.hospital_id for i in inquiries}
    my_inquiry = next((i for i in inquiries if i.hospital_id == membership.facility_id), None)
    S = TransferStatus
    ctx: dict[str, object] = {
        "membership": membership,
        "transfer": transfer,
        "photos": transfer.photos.select_related("ocr_job"),
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
        "open": transfer.status in TRANSFER_OPEN_STATUSES,
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
