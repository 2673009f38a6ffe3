"""Who may see and do what with one transfer.

The transfer is created by the nurse (home_a), sent to the station and asked
of hospital_a and hospital_b. Facilities that are not involved get 404 and not
one byte of patient data; anonymous callers are sent to the login page (pages)
or refused (API); involved parties read it, and every read is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from facilities.models import Role
from transfer import services
from transfer.models import AuditEntry, Inquiry, Transfer, TransferEvent, TransferPhoto
from transfer.services.audit import READ_DEDUP_WINDOW

from . import flows
from .conftest import client_for, sheet_png
from .factories import member

PATIENT = "秘匿 花子"


@dataclass
class Case:
    transfer_id: int
    photo_id: int
    inquiry_ids: dict[int, int] = field(default_factory=dict)  # hospital id -> inquiry id


def build(clients: dict[str, Client], town: Any, stage: str) -> Case:
    """A transfer at `stage`: draft, before_asked (crew assigned, only
    hospital_b asked) or asked (hospital_a and hospital_b asked).

    Built through the services (the API steps have their own tests); this
    module is about who may read and act on the result."""
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name=PATIENT)
    page = SimpleUploadedFile("p.png", sheet_png(), content_type="image/png")
    photo, _ = services.photo_attach(transfer=t, upload=page, by=town.nurse)
    case = Case(t.pk, photo.pk)
    if stage == "draft":
        return case
    services.transfer_send(transfer=t, by=town.nurse)
    services.transfer_assign_crew(transfer=t, ambulance=town.ambulance, by=town.crew)
    hospitals = [town.hospital_b] if stage == "before_asked" else [town.hospital_a, town.hospital_b]
    inquiries = services.inquiries_create(transfer=t, hospitals=hospitals, by=town.crew)
    case.inquiry_ids = {i.hospital_id: i.pk for i in inquiries}
    return case


@pytest.fixture
def asked(town: Any, clients: dict[str, Client]) -> Case:
    return build(clients, town, "asked")


def body_bytes(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        # Consuming the stream closes the response (the test client's wrapper).
        content = b"".join(response.streaming_content)
        response.content_read = content
        return content
    return getattr(response, "content_read", None) or response.content


def body_text(response: Any) -> str:
    return body_bytes(response).decode("utf-8", errors="replace")


def assert_no_patient_data(response: Any) -> None:
    text = body_text(response)
    escaped = json.dumps(PATIENT)[1:-1]  # the \\uXXXX form, should JSON be ASCII-escaped
    assert PATIENT not in text and escaped not in text, text[:300]


def assert_security_headers(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, (response.status_code, body_text(response)[:300])
    assert_no_patient_data(response)
    assert_security_headers(response)


def state(transfer_id: int, *, audit: bool = True) -> dict[str, Any]:
    """Everything an action could change, to compare before and after."""
    return {
        "transfer": Transfer.objects.filter(pk=transfer_id).values().get(),
        "inquiries": list(
            Inquiry.objects.filter(transfer_id=transfer_id)
            .order_by("pk")
            .values_list("hospital_id", "status", "answered_by_id")
        ),
        "photos": list(
            TransferPhoto.objects.filter(transfer_id=transfer_id).values_list("pk", flat=True)
        ),
        "events": TransferEvent.objects.filter(transfer_id=transfer_id).count(),
        "audit": AuditEntry.objects.count() if audit else None,
    }


def page_urls(case: Case) -> list[str]:
    return [f"/transfers/{case.transfer_id}/", f"/transfers/{case.transfer_id}/panel/"]


def post_actions(case: Case, town: Any) -> list[tuple[str, dict[str, Any] | None]]:
    """Every POST action endpoint of transfer/urls.py, each with a body that
    would succeed for the right person (so a missing check would show)."""
    t = case.transfer_id
    actions: list[tuple[str, dict[str, Any] | None]] = [
        (f"/api/transfers/{t}/send/", None),
        (f"/api/transfers/{t}/photos/", None),  # multipart, see post()
        (f"/api/transfers/{t}/assign/", {"ambulance_id": town.ambulance.pk}),
        (f"/api/transfers/{t}/inquiries/", {"hospital_ids": [town.hospital_c.pk]}),
        (f"/api/transfers/{t}/choose/", {"hospital_id": town.hospital_a.pk}),
        (f"/api/transfers/{t}/milestones/", {"milestone": "on_scene"}),
        (f"/api/transfers/{t}/close/", None),
        (f"/api/transfers/{t}/cancel/", {"reason": "誤報"}),
    ]
    for inquiry in case.inquiry_ids.values():
        actions.append((f"/api/inquiries/{inquiry}/accept/", {"note": "受入可"}))
        actions.append((f"/api/inquiries/{inquiry}/decline/", {"reason": "beds_full"}))
    return actions


def post(client: Client, url: str, body: dict[str, Any] | None) -> Any:
    if url.endswith("/photos/"):
        other = sheet_png(size=(300, 90))
        return client.post(url, {"images": [SimpleUploadedFile("x.png", other, "image/png")]})
    if body is None:
        return client.post(url)
    return client.post(url, body, content_type="application/json")


def listed_ids(client: Client) -> set[int]:
    response = client.get("/api/transfers/")
    assert response.status_code == 200
    assert_security_headers(response)
    return {t["id"] for t in response.json()}


def event_transfer_ids(client: Client) -> set[int]:
    response = client.get("/api/events/?after=0")
    assert response.status_code == 200
    return {e["transfer_id"] for e in response.json()["events"]}


OUTSIDERS = [
    pytest.param("other_nurse", "asked", id="another-care-home"),
    pytest.param("outsider_doctor", "asked", id="a-hospital-never-asked"),
    pytest.param("crew", "draft", id="the-crew-while-it-is-a-draft"),
    pytest.param("doctor", "before_asked", id="a-hospital-before-it-was-asked"),
]


@pytest.mark.parametrize(("persona", "stage"), OUTSIDERS)
def test_it_returns_404_and_no_patient_data_to_a_facility_that_is_not_involved(
    town: Any, clients: dict[str, Client], persona: str, stage: str
) -> None:
    case = build(clients, town, stage)
    client = clients[persona]
    before = state(case.transfer_id)

    for url in [
        *page_urls(case),
        f"/api/transfers/{case.transfer_id}/",
        f"/photos/{case.photo_id}/",
    ]:
        assert_not_found(client.get(url))
    for url, body in post_actions(case, town):
        response = post(client, url, body)
        assert_not_found(response)
        assert response.json() == {"detail": "見つかりません。", "code": "not_found"}, url

    # Nor does it show up in the facility's list, event log or dashboard.
    assert case.transfer_id not in listed_ids(client)
    assert case.transfer_id not in event_transfer_ids(client)
    for url in ("/", "/panel/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_patient_data(response)
        assert_security_headers(response)

    assert state(case.transfer_id) == before  # nothing changed, no read was audited


def test_it_sends_anonymous_visitors_of_pages_and_photos_to_the_login_page(
    asked: Case, clients: dict[str, Client]
) -> None:
    anonymous = clients["anonymous"]
    for url in ["/", "/panel/", *page_urls(asked), f"/photos/{asked.photo_id}/"]:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), response["Location"]
        assert_no_patient_data(response)
        assert_security_headers(response)


def test_it_answers_403_to_anonymous_api_callers_and_changes_nothing(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    anonymous = clients["anonymous"]
    before = state(asked.transfer_id)
    reads = [f"/api/transfers/{asked.transfer_id}/", "/api/transfers/", "/api/events/?after=0"]
    responses = [anonymous.get(url) for url in reads]
    responses += [post(anonymous, url, body) for url, body in post_actions(asked, town)]
    for response in responses:
        assert response.status_code == 403
        assert response.json()["code"] == "not_authenticated"
        assert_no_patient_data(response)
        assert_security_headers(response)
    assert state(asked.transfer_id) == before


@pytest.mark.parametrize("persona", ["nurse", "crew", "doctor", "doctor_b"])
def test_it_shows_the_transfer_to_every_involved_party_and_audits_each_read(
    town: Any, asked: Case, clients: dict[str, Client], persona: str
) -> None:
    client = clients[persona]
    user = getattr(town, persona)
    facility = user.membership.facility

    reads = [
        *page_urls(asked),
        f"/api/transfers/{asked.transfer_id}/",
        f"/photos/{asked.photo_id}/",
    ]
    for url in reads:
        # Repeated reads within the dedup window are one entry: make each
        # read here the first of its window.
        AuditEntry.objects.update(at=timezone.now() - READ_DEDUP_WINDOW - dt.timedelta(seconds=1))
        before = set(AuditEntry.objects.values_list("pk", flat=True))
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        if url.startswith("/photos/"):
            assert response["Content-Type"] == "image/png"
            assert body_bytes(response).startswith(b"\x89PNG")
            action, target = "photo.read", f"photo:{asked.photo_id}"
        else:
            assert PATIENT in body_text(response), url
            action, target = "transfer.read", ""
        new = AuditEntry.objects.exclude(pk__in=before)
        assert list(
            new.values_list("user_id", "facility_id", "transfer_id", "action", "target")
        ) == [(user.pk, facility.pk, asked.transfer_id, action, target)], url

    assert asked.transfer_id in listed_ids(client)
    assert asked.transfer_id in event_transfer_ids(client)
    for url in ("/", "/panel/"):
        response = client.get(url)
        assert response.status_code == 200
        assert PATIENT in body_text(response)


def test_it_serves_the_photo_bytes_unchanged_and_not_cacheable(
    town: Any, clients: dict[str, Client]
) -> None:
    t = flows.create(clients["nurse"], patient_name=PATIENT)
    data = sheet_png(size=(320, 100))
    photo = flows.ok(flows.upload(clients["nurse"], t["id"], data), 201)[0]

    response = clients["nurse"].get(f"/photos/{photo['id']}/")

    assert response.status_code == 200
    assert body_bytes(response) == data
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    # The client's file name never comes back; a neutral page name does.
    assert response["Content-Disposition"] == 'inline; filename="page-1"'


def test_it_shows_a_hospital_only_its_own_inquiry(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    for persona, hospital in (("doctor", town.hospital_a), ("doctor_b", town.hospital_b)):
        detail = flows.ok(clients[persona].get(f"/api/transfers/{asked.transfer_id}/"))
        assert [i["hospital"]["id"] for i in detail["inquiries"]] == [hospital.pk]
        assert [i["id"] for i in detail["inquiries"]] == [asked.inquiry_ids[hospital.pk]]

    page = body_text(clients["doctor"].get(f"/transfers/{asked.transfer_id}/"))
    assert town.hospital_a.name in page
    assert town.hospital_b.name not in page

    crew_view = flows.ok(clients["crew"].get(f"/api/transfers/{asked.transfer_id}/"))
    assert {i["hospital"]["id"] for i in crew_view["inquiries"]} == {
        town.hospital_a.pk,
        town.hospital_b.pk,
    }


def test_it_does_not_send_a_hospital_the_answers_of_another_hospital(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    flows.ok(flows.decline(clients["doctor_b"], asked.inquiry_ids[town.hospital_b.pk]))

    events = flows.ok(clients["doctor"].get("/api/events/?after=0"))["events"]

    hospital_ids = {e["payload"]["hospital_id"] for e in events if e["type"].startswith("inquiry.")}
    assert hospital_ids == {town.hospital_a.pk}


def test_it_writes_no_audit_entry_for_a_read_that_was_refused(
    asked: Case, clients: dict[str, Client]
) -> None:
    before = AuditEntry.objects.count()
    for persona in ("other_nurse", "outsider_doctor", "anonymous"):
        for url in [
            *page_urls(asked),
            f"/api/transfers/{asked.transfer_id}/",
            f"/photos/{asked.photo_id}/",
        ]:
            assert clients[persona].get(url).status_code in {302, 403, 404}
    assert AuditEntry.objects.count() == before


NOT_YOURS = [
    # (persona, action): involved in the transfer, but not the one who does this.
    ("nurse", "choose"),
    ("doctor", "assign"),
    ("doctor", "inquiries"),
    ("nurse", "milestones"),
    ("doctor", "cancel"),
    ("crew", "photos"),
    ("doctor_b", "close"),
]


def test_it_answers_403_with_a_reason_to_an_involved_role_that_may_not_act(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    bodies = {
        "choose": {"hospital_id": town.hospital_a.pk},
        "assign": {"ambulance_id": town.ambulance.pk},
        "inquiries": {"hospital_ids": [town.hospital_c.pk]},
        "milestones": {"milestone": "on_scene"},
        "cancel": {"reason": "誤報"},
    }
    # hospital_a accepted, so choosing it would succeed for the crew.
    flows.ok(flows.accept(clients["doctor"], asked.inquiry_ids[town.hospital_a.pk]))
    before = state(asked.transfer_id)

    for persona, action in NOT_YOURS:
        url = f"/api/transfers/{asked.transfer_id}/{action}/"
        response = post(clients[persona], url, bodies.get(action))

        assert response.status_code == 403, (persona, action, response.content)
        payload = response.json()
        assert payload["code"] == "not_your_facility", (persona, action)
        assert set(payload) == {"code", "detail"}
        assert payload["detail"] == "この操作は担当施設の職員のみ行えます。"
        assert_security_headers(response)

    # Right facility, wrong role: a station clerk may read, but not dispatch.
    clerk = client_for(member("station_clerk", town.station, Role.CARE_STAFF))
    assert clerk.get(f"/api/transfers/{asked.transfer_id}/").status_code == 200
    response = post(clerk, f"/api/transfers/{asked.transfer_id}/choose/", bodies["choose"])
    assert response.status_code == 403
    assert response.json() == {
        "code": "role_not_allowed",
        "detail": "この操作を行う権限がありません。",
    }

    assert state(asked.transfer_id, audit=False) == before | {"audit": None}


def test_it_does_not_let_a_hospital_answer_another_hospitals_inquiry(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    before = state(asked.transfer_id)
    theirs = asked.inquiry_ids[town.hospital_b.pk]
    assert_not_found(flows.accept(clients["doctor"], theirs))
    assert_not_found(flows.decline(clients["doctor"], theirs))
    assert_not_found(flows.accept(clients["crew"], theirs))
    assert state(asked.transfer_id) == before


def test_it_lists_transfers_with_a_constant_number_of_queries(
    town: Any, clients: dict[str, Client], django_assert_num_queries: Any
) -> None:
    nurse = clients["nurse"]
    flows.create(nurse, patient_name=PATIENT)
    # session, user, membership (x2), transfers with patient, home and destination joined
    with django_assert_num_queries(5):
        assert len(nurse.get("/api/transfers/").json()) == 1
    for _ in range(5):
        flows.create(nurse, patient_name=PATIENT)
    with django_assert_num_queries(5):
        assert len(nurse.get("/api/transfers/").json()) == 6


def test_it_audits_repeated_reads_once_per_window(
    town: Any, asked: Case, clients: dict[str, Client]
) -> None:
    """Given a page that refreshes on every live event, when the doctor reads
    the transfer five times in a minute, then one audit entry records it; a
    read after the window records another."""
    doctor = clients["doctor"]
    for _ in range(5):
        assert doctor.get(f"/transfers/{asked.transfer_id}/panel/").status_code == 200
    reads = AuditEntry.objects.filter(user=town.doctor, action="transfer.read")
    assert reads.count() == 1
    reads.update(at=timezone.now() - READ_DEDUP_WINDOW - dt.timedelta(seconds=1))
    assert doctor.get(f"/api/transfers/{asked.transfer_id}/").status_code == 200
    assert reads.count() == 2
