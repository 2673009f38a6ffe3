from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from transfer.models import AuditEntry, TransferEvent

from . import flows


@pytest.mark.django_db(transaction=True)
def test_it_walks_a_transfer_from_draft_to_closed(town: Any, clients: dict[str, Client]) -> None:
    """Given a nurse, the crew and two hospitals, when the whole workflow runs
    through the API, then each step changes state and leaves an event."""
    nurse, crew, doctor, doctor_b = (clients[k] for k in ("nurse", "crew", "doctor", "doctor_b"))
    t = flows.create(nurse)
    assert t["status"] == "draft"
    photos = flows.ok(flows.upload(nurse, t["id"]), 201)
    assert photos[0]["page"] == 1
    assert photos[0]["ocr"]["status"] == "queued"  # serialised before the on-commit task ran
    t = flows.send(nurse, t["id"])
    assert t["status"] == "sent"
    assert t["photos"][0]["ocr"]["status"] in {"done", "failed"}
    t = flows.assign(crew, t["id"], town.ambulance.pk)
    assert t["status"] == "crew_assigned" and t["dispatched_at"]
    t = flows.inquire(crew, t["id"], [town.hospital_a.pk, town.hospital_b.pk])
    assert t["status"] == "inquiring"
    assert {i["status"] for i in t["inquiries"]} == {"pending"}
    inq_a = flows.inquiry_id(t, town.hospital_a.pk)
    inq_b = flows.inquiry_id(t, town.hospital_b.pk)
    assert flows.ok(flows.accept(doctor, inq_a, "ERで受入"))["status"] == "accepted"
    assert flows.ok(flows.accept(doctor_b, inq_b))["status"] == "accepted"
    t = flows.ok(flows.choose(crew, t["id"], town.hospital_a.pk))
    assert t["status"] == "destination_chosen"
    assert t["destination"]["id"] == town.hospital_a.pk
    statuses = {i["hospital"]["id"]: i["status"] for i in t["inquiries"]}
    assert statuses == {town.hospital_a.pk: "accepted", town.hospital_b.pk: "withdrawn"}
    for step in ("on_scene", "left_scene", "arrived", "handed_over"):
        flows.ok(flows.milestone(crew, t["id"], step))
    t = flows.ok(crew.post(f"/api/transfers/{t['id']}/close/"))
    assert t["status"] == "closed"
    types = list(TransferEvent.objects.filter(transfer_id=t["id"]).values_list("type", flat=True))
    assert types.count("transfer.status") == 8  # sent..closed
    assert AuditEntry.objects.filter(transfer_id=t["id"], action="transfer.read").exists()


@pytest.mark.django_db
def test_it_lets_a_hospital_publish_its_availability_and_lists_the_freshest_first(
    town: Any, clients: dict[str, Client]
) -> None:
    response = clients["doctor_b"].post(
        "/api/hospitals/me/availability/",
        {"availability": "limited", "note": "脳外科医不在"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["availability"] == "limited"
    hospitals = clients["crew"].get("/api/hospitals/").json()
    assert hospitals[0]["id"] == town.hospital_b.pk
    assert hospitals[0]["availability_note"] == "脳外科医不在"
    assert hospitals[0]["availability_updated_at"]


@pytest.mark.django_db
def test_it_refuses_availability_updates_from_anyone_but_a_hospital(
    town: Any, clients: dict[str, Client]
) -> None:
    for persona in ("nurse", "crew"):
        response = clients[persona].post(
            "/api/hospitals/me/availability/",
            {"availability": "closed"},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_a_hospital"
    response = clients["doctor"].post(
        "/api/hospitals/me/availability/",
        {"availability": "maybe"},
        content_type="application/json",
    )
    assert response.status_code == 400
