"""REST API. Thin: parse, look up with access checks (404 for others), call a
service, serialise. Domain errors become {code, detail} with their status."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from facilities.models import AmbulanceUnit, Facility, FacilityKind, Membership
from facilities.selectors import hospitals_for_inquiry, membership_for
from facilities.services import FacilityError, hospital_availability_update
from notifications.events import serialize

from . import serializers as s
from . import services
from .errors import Forbidden, Invalid, TransferError
from .models import Transfer
from .selectors import (
    events_for_facility,
    inquiry_get_for_hospital_user,
    record_for_user,
    transfer_get_for_user,
    transfers_for_user,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TransferError):
        return Response({"code": exc.code, "detail": exc.message}, status=exc.status)
    if isinstance(exc, Http404):
        exc = NotFound("見つかりません。")
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        response.data["code"] = getattr(exc, "default_code", "error")
    return response


def _membership(request: Request) -> Membership:
    membership = membership_for(request.user)
    if membership is None:
        raise Forbidden("no_facility", "所属施設が設定されていません。")
    return membership


def _detail(request: Request, transfer_id: int, *, code: int = 200) -> Response:
    membership = _membership(request)
    transfer = transfer_get_for_user(request.user, transfer_id)
    services.audit_record(user=request.user, transfer=transfer, action="transfer.read")
    prefetch_related_objects([transfer], "photos__ocr_job")
    data = s.TransferDetailSerializer(transfer, context={"membership": membership}).data
    return Response(data, status=code)


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "role": serializers.CharField(),
                "facility": s.FacilityBriefSerializer(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        membership = _membership(request)
        ambulances = []
        if membership.facility.kind == FacilityKind.FIRE_STATION:
            ambulances = [
                {"id": a.pk, "call_sign": a.call_sign}
                for a in membership.facility.ambulances.filter(is_active=True)
            ]
        return Response(
            {
                "username": request.user.get_username(),
                "role": membership.role,
                "facility": s.FacilityBriefSerializer(membership.facility).data,
                "ambulances": ambulances,
            }
        )


class TransferListView(APIView):
    @extend_schema(responses=s.TransferListSerializer(many=True))
    def get(self, request: Request) -> Response:
        _membership(request)
        qs = transfers_for_user(request.user).order_by("-created_at")[:200]
        return Response(s.TransferListSerializer(qs, many=True).data)

    @extend_schema(request=s.TransferCreateSerializer, responses={201: s.TransferDetailSerializer})
    def post(self, request: Request) -> Response:
        membership = _membership(request)
        ser = s.TransferCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        transfer = services.transfer_create(
            care_home=membership.facility, by=request.user, **ser.validated_data
        )
        return _detail(request, transfer.pk, code=status.HTTP_201_CREATED)


class TransferDetailView(APIView):
    @extend_schema(responses=s.TransferDetailSerializer)
    def get(self, request: Request, transfer_id: int) -> Response:
        return _detail(request, transfer_id)


def _validated(serializer_class: type[serializers.Serializer] | None, request: Request) -> Any:
    if serializer_class is None:
        return {}
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


# POST /api/transfers/<id>/<action>/: look the transfer up for this user (404
# for others), validate the body, call one service, answer the detail. (A
# comment, not a docstring: docstrings become every endpoint's description.)
class TransferAction(APIView):
    body: type[serializers.Serializer] | None = None
    success_status: int = status.HTTP_200_OK

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        raise NotImplementedError

    def post(self, request: Request, transfer_id: int) -> Response:
        transfer = transfer_get_for_user(request.user, transfer_id)
        self.act(transfer, request.user, _validated(self.body, request))
        return _detail(request, transfer_id, code=self.success_status)


def _hospital(pk: int, message: str) -> Facility:
    hospital = Facility.objects.filter(pk=pk, kind=FacilityKind.HOSPITAL).first()
    if hospital is None:
        raise Invalid("not_a_hospital", message)
    return hospital


@extend_schema(request=None, responses=s.TransferDetailSerializer)
class TransferSendView(TransferAction):
    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        services.transfer_send(transfer=transfer, by=by)


@extend_schema(request=s.AssignSerializer, responses=s.TransferDetailSerializer)
class TransferAssignView(TransferAction):
    body = s.AssignSerializer

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        ambulance = AmbulanceUnit.objects.filter(pk=data["ambulance_id"]).first()
        if ambulance is None:
            raise Invalid("bad_ambulance", "この署の救急車を選んでください。")
        services.transfer_assign_crew(transfer=transfer, ambulance=ambulance, by=by)


@extend_schema(request=s.InquiriesCreateSerializer, responses={201: s.TransferDetailSerializer})
class InquiriesCreateView(TransferAction):
    body = s.InquiriesCreateSerializer
    success_status = status.HTTP_201_CREATED

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        ids = set(data["hospital_ids"])
        hospitals = list(Facility.objects.filter(pk__in=ids, kind=FacilityKind.HOSPITAL))
        if len(hospitals) != len(ids):
            raise Invalid("not_a_hospital", "照会先は病院から選んでください。")
        services.inquiries_create(transfer=transfer, hospitals=hospitals, by=by)


@extend_schema(request=s.ChooseSerializer, responses=s.TransferDetailSerializer)
class TransferChooseView(TransferAction):
    body = s.ChooseSerializer

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        hospital = _hospital(data["hospital_id"], "受入可と回答した病院から選んでください。")
        services.transfer_choose_destination(transfer=transfer, hospital=hospital, by=by)


@extend_schema(request=s.MilestoneSerializer, responses=s.TransferDetailSerializer)
class TransferMilestoneView(TransferAction):
    body = s.MilestoneSerializer

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        services.transfer_record_milestone(transfer=transfer, milestone=data["milestone"], by=by)


@extend_schema(request=None, responses=s.TransferDetailSerializer)
class TransferCloseView(TransferAction):
    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        services.transfer_close(transfer=transfer, by=by)


@extend_schema(request=s.CancelSerializer, responses=s.TransferDetailSerializer)
class TransferCancelView(TransferAction):
    body = s.CancelSerializer

    def act(self, transfer: Transfer, by: Any, data: Any) -> None:
        services.transfer_cancel(transfer=transfer, by=by, reason=data["reason"])


def _record(request: Request, transfer_id: int) -> Response:
    _membership(request)
    record = record_for_user(request.user, transfer_id)
    services.audit_record(user=request.user, transfer=record.transfer, action="record.read")
    return Response(s.RecordSerializer(record).data)


class RecordView(APIView):
    @extend_schema(responses=s.RecordSerializer)
    def get(self, request: Request, transfer_id: int) -> Response:
        return _record(request, transfer_id)


# POST /api/transfers/<id>/record/<path>/<action>/: as TransferAction, for one
# field of the patient record; answers the whole record (fields depend on
# each other on screen: a page re-renders it as one).
class RecordFieldAction(APIView):
    body: type[serializers.Serializer] | None = None

    def act(self, transfer: Transfer, path: str, by: Any, data: Any) -> None:
        raise NotImplementedError

    def post(self, request: Request, transfer_id: int, path: str) -> Response:
        transfer = transfer_get_for_user(request.user, transfer_id)
        self.act(transfer, path, request.user, _validated(self.body, request))
        return _record(request, transfer_id)


@extend_schema(request=None, responses=s.RecordSerializer)
class RecordFieldConfirmView(RecordFieldAction):
    def act(self, transfer: Transfer, path: str, by: Any, data: Any) -> None:
        services.record_field_confirm(transfer=transfer, path=path, by=by)


@extend_schema(request=s.RecordCorrectSerializer, responses=s.RecordSerializer)
class RecordFieldCorrectView(RecordFieldAction):
    body = s.RecordCorrectSerializer

    def act(self, transfer: Transfer, path: str, by: Any, data: Any) -> None:
        services.record_field_correct(transfer=transfer, path=path, value=data["value"], by=by)


class PhotoUploadView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "PhotoUpload", {"images": serializers.ListField(child=serializers.ImageField())}
            )
        },
        responses={201: s.PhotoSerializer(many=True)},
    )
    def post(self, request: Request, transfer_id: int) -> Response:
        transfer = transfer_get_for_user(request.user, transfer_id)
        files = request.FILES.getlist("images") or request.FILES.getlist("image")
        if not files:
            raise Invalid("no_file", "画像ファイルを選んでください。")
        results = []
        any_created = False
        # Each page is its own transaction: a bad second page must not lose the
        # first one on a weak connection.
        for upload in files:
            photo, created = services.photo_attach(
                transfer=transfer, upload=upload, by=request.user
            )
            any_created = any_created or created
            results.append(photo)
        data = s.PhotoSerializer(results, many=True).data
        return Response(data, status=status.HTTP_201_CREATED if any_created else status.HTTP_200_OK)


@extend_schema(request=s.AcceptSerializer, responses=s.InquirySerializer)
class InquiryAcceptView(APIView):
    def post(self, request: Request, inquiry_id: int) -> Response:
        inquiry = inquiry_get_for_hospital_user(request.user, inquiry_id)
        data = _validated(s.AcceptSerializer, request)
        inquiry = services.inquiry_accept(inquiry=inquiry, by=request.user, **data)
        return Response(s.InquirySerializer(inquiry).data)


@extend_schema(request=s.DeclineSerializer, responses=s.InquirySerializer)
class InquiryDeclineView(APIView):
    def post(self, request: Request, inquiry_id: int) -> Response:
        inquiry = inquiry_get_for_hospital_user(request.user, inquiry_id)
        data = _validated(s.DeclineSerializer, request)
        inquiry = services.inquiry_decline(inquiry=inquiry, by=request.user, **data)
        return Response(s.InquirySerializer(inquiry).data)


_after = OpenApiParameter("after", int, description="Return events with a larger id")


class EventListView(APIView):
    """Events the user's facility may see, after a given id (resume / gap fill)."""

    @extend_schema(
        parameters=[_after],
        responses=inline_serializer("Events", {"events": serializers.ListField()}),
    )
    def get(self, request: Request) -> Response:
        membership = _membership(request)
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError as e:
            raise Invalid("bad_after", "after は整数で指定してください。") from e
        # str.isdigit() accepts "²", which int() refuses (a 500); and an id past
        # 64 bits overflows SQLite. Parse strictly, like `after`.
        raw_transfer = request.query_params.get("transfer") or ""
        try:
            transfer_id = int(raw_transfer) if raw_transfer else None
        except ValueError as e:
            raise Invalid("bad_transfer", "transfer は整数で指定してください。") from e
        if transfer_id is not None and not 0 < transfer_id <= s.MAX_ID:
            raise Invalid("bad_transfer", "transfer は整数で指定してください。")
        events = events_for_facility(membership.facility_id, after=after, transfer_id=transfer_id)
        return Response({"events": [serialize(e) for e in events]})


class HospitalListView(APIView):
    @extend_schema(responses=s.HospitalSerializer(many=True))
    def get(self, request: Request) -> Response:
        _membership(request)
        return Response(s.HospitalSerializer(hospitals_for_inquiry(), many=True).data)


class AvailabilityView(APIView):
    @extend_schema(request=s.AvailabilitySerializer, responses=s.HospitalSerializer)
    def post(self, request: Request) -> Response:
        membership = _membership(request)
        ser = s.AvailabilitySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            hospital = hospital_availability_update(
                hospital=membership.facility, **ser.validated_data
            )
        except FacilityError as e:
            raise Forbidden("not_a_hospital", "病院の職員のみ更新できます。") from e
        return Response(s.HospitalSerializer(hospital).data)
