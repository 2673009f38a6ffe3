"""Steps of a transfer through the HTTP API, for tests that need one at a given stage."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .conftest import sheet_png


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def create(nurse: Client, **extra: Any) -> dict[str, Any]:
    body = {
        "patient_name": "山田 花子",
        "chief_complaint": "意識レベル低下",
        "urgency": "critical",
        **extra,
    }
    return ok(nurse.post("/api/transfers/", body, content_type="application/json"), 201)


def upload(nurse: Client, transfer_id: int, data: bytes | None = None, name: str = "p.png") -> Any:
    f = SimpleUploadedFile(name, data or sheet_png(), content_type="image/png")
    return nurse.post(f"/api/transfers/{transfer_id}/photos/", {"images": [f]})


def send(nurse: Client, transfer_id: int) -> dict[str, Any]:
    return ok(nurse.post(f"/api/transfers/{transfer_id}/send/"))


def assign(crew: Client, transfer_id: int, ambulance_id: int) -> dict[str, Any]:
    return ok(
        crew.post(
            f"/api/transfers/{transfer_id}/assign/",
            {"ambulance_id": ambulance_id},
            content_type="application/json",
        )
    )


def inquire(crew: Client, transfer_id: int, hospital_ids: list[int]) -> dict[str, Any]:
    return ok(
        crew.post(
            f"/api/transfers/{transfer_id}/inquiries/",
            {"hospital_ids": hospital_ids},
            content_type="application/json",
        ),
        201,
    )


def inquiry_id(transfer: dict[str, Any], hospital_id: int) -> int:
    return next(i["id"] for i in transfer["inquiries"] if i["hospital"]["id"] == hospital_id)


def accept(doctor: Client, inquiry: int, note: str = "") -> Any:
    return doctor.post(
        f"/api/inquiries/{inquiry}/accept/", {"note": note}, content_type="application/json"
    )


def decline(doctor: Client, inquiry: int, reason: str = "beds_full", note: str = "") -> Any:
    return doctor.post(
        f"/api/inquiries/{inquiry}/decline/",
        {"reason": reason, "note": note},
        content_type="application/json",
    )


def choose(crew: Client, transfer_id: int, hospital_id: int) -> Any:
    return crew.post(
        f"/api/transfers/{transfer_id}/choose/",
        {"hospital_id": hospital_id},
        content_type="application/json",
    )


def milestone(crew: Client, transfer_id: int, name: str) -> Any:
    return crew.post(
        f"/api/transfers/{transfer_id}/milestones/",
        {"milestone": name},
        content_type="application/json",
    )


def to_inquiring(clients: dict[str, Client], town: Any, hospitals: list[Any]) -> dict[str, Any]:
    """A transfer sent by the nurse, taken by the crew, asked of `hospitals`."""
    t = create(clients["nurse"])
    send(clients["nurse"], t["id"])
    assign(clients["crew"], t["id"], town.ambulance.pk)
    return inquire(clients["crew"], t["id"], [h.pk for h in hospitals])
