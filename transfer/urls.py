from __future__ import annotations

from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("panel/", views.dashboard_panel, name="dashboard_panel"),
    path("transfers/new/", views.transfer_new, name="transfer_new"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:transfer_id>/panel/", views.transfer_panel, name="transfer_panel"),
    path("photos/<int:photo_id>/", views.photo_file, name="photo_file"),
]

api_urlpatterns = [
    path("me/", api.MeView.as_view()),
    path("hospitals/", api.HospitalListView.as_view()),
    path("hospitals/me/availability/", api.AvailabilityView.as_view()),
    path("events/", api.EventListView.as_view()),
    path("transfers/", api.TransferListView.as_view()),
    path("transfers/<int:transfer_id>/", api.TransferDetailView.as_view()),
    path("transfers/<int:transfer_id>/send/", api.TransferSendView.as_view()),
    path("transfers/<int:transfer_id>/photos/", api.PhotoUploadView.as_view()),
    path("transfers/<int:transfer_id>/record/", api.RecordView.as_view()),
    path(
        "transfers/<int:transfer_id>/record/<str:path>/confirm/",
        api.RecordFieldConfirmView.as_view(),
    ),
    path(
        "transfers/<int:transfer_id>/record/<str:path>/correct/",
        api.RecordFieldCorrectView.as_view(),
    ),
    path("transfers/<int:transfer_id>/assign/", api.TransferAssignView.as_view()),
    path("transfers/<int:transfer_id>/inquiries/", api.InquiriesCreateView.as_view()),
    path("transfers/<int:transfer_id>/choose/", api.TransferChooseView.as_view()),
    path("transfers/<int:transfer_id>/milestones/", api.TransferMilestoneView.as_view()),
    path("transfers/<int:transfer_id>/close/", api.TransferCloseView.as_view()),
    path("transfers/<int:transfer_id>/cancel/", api.TransferCancelView.as_view()),
    path("inquiries/<int:inquiry_id>/accept/", api.InquiryAcceptView.as_view()),
    path("inquiries/<int:inquiry_id>/decline/", api.InquiryDeclineView.as_view()),
]
