"""Live events over the real ASGI app, the real Redis channel layer and the
event log: who receives what, in which order, and resuming after a drop."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application

from . import flows

pytestmark = pytest.mark.django_db(transaction=True)


def socket_for(client: Client | None, last_id: int | None = 0) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost")]
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    path = "/ws/events/" if last_id is None else f"/ws/events/?last_id={last_id}"
    return WebsocketCommunicator(application, path, headers=headers)


async def drain(ws: WebsocketCommunicator, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Every message until the socket has been quiet for `quiet` seconds."""
    # receive_nothing() waits without cancelling the application (a timed-out
    # receive_json_from() would kill the consumer).
    out = []
    while not await ws.receive_nothing(timeout=quiet, interval=0.02):
        out.append(await ws.receive_json_from(timeout=5))
    return out


def shape(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(type, the payload field that tells steps apart) for each event."""
    keyed = []
    for e in events:
        p = e["payload"]
        key = p.get("to_status") or p.get("milestone") or p.get("status") or ""
        keyed.append((e["type"], str(key)))
    return keyed


async def act(fn: Any, *args: Any) -> Any:
    return await sync_to_async(fn)(*args)


async def test_it_streams_every_step_to_each_involved_party_in_order(
    town: Any, personas: dict[str, Client]
) -> None:
    """Given a socket per persona, when a transfer runs from creation to close
    through the API, then each involved facility receives exactly the events
    it may see, in id order, and outsiders receive nothing."""
    names = ["nurse", "crew", "doctor", "doctor_b", "other_nurse", "outsider_doctor"]
    sockets = {n: socket_for(personas[n]) for n in names}
    for ws in sockets.values():
        connected, _ = await ws.connect()
        assert connected

    nurse, crew, doctor, doctor_b = (personas[k] for k in ("nurse", "crew", "doctor", "doctor_b"))
    t = await act(flows.create, nurse)
    await act(flows.ok, await act(flows.upload, nurse, t["id"]), 201)
    await act(flows.send, nurse, t["id"])
    await act(flows.assign, crew, t["id"], town.ambulance.pk)
    t = await act(flows.inquire, crew, t["id"], [town.hospital_a.pk, town.hospital_b.pk])
    inq_a = flows.inquiry_id(t, town.hospital_a.pk)
    inq_b = flows.inquiry_id(t, town.hospital_b.pk)
    await act(flows.ok, await act(flows.accept, doctor, inq_a))
    await act(flows.ok, await act(flows.accept, doctor_b, inq_b))
    await act(flows.ok, await act(flows.choose, crew, t["id"], town.hospital_a.pk))
    for step in ("on_scene", "left_scene", "arrived", "handed_over"):
        await act(flows.ok, await act(flows.milestone, crew, t["id"], step))

    received = {n: await drain(ws) for n, ws in sockets.items()}
    for ws in sockets.values():
        await ws.disconnect()

    created = [
        ("transfer.created", "draft"),
        ("photo.added", ""),
        ("ocr.status", "running"),
        ("ocr.status", "done"),
    ]
    sent = [
        ("transfer.status", "sent"),
        ("transfer.status", "crew_assigned"),
        ("transfer.status", "inquiring"),
    ]
    asked = [("inquiry.created", "pending"), ("inquiry.created", "pending")]
    answered = [("inquiry.status", "accepted"), ("inquiry.status", "accepted")]
    chosen = [("inquiry.status", "withdrawn"), ("transfer.status", "destination_chosen")]
    trip = [
        ("transfer.milestone", "on_scene"),
        ("transfer.milestone", "left_scene"),
        ("transfer.status", "en_route"),
        ("transfer.milestone", "arrived"),
        ("transfer.status", "arrived"),
        ("transfer.milestone", "handed_over"),
        ("transfer.status", "handed_over"),
    ]
    assert shape(received["nurse"]) == created + sent + asked + answered + chosen + trip
    # The crew learns of the transfer when it is sent, not while it is a draft.
    assert shape(received["crew"]) == sent + asked + answered + chosen + trip
    # Hospital A: its own inquiry, its answer, being chosen, then the trip.
    assert shape(received["doctor"]) == [
        ("inquiry.created", "pending"),
        ("inquiry.status", "accepted"),
        ("transfer.status", "destination_chosen"),
        *trip,
    ]
    # Hospital B: its own inquiry, its answer, then released - nothing after.
    assert shape(received["doctor_b"]) == [
        ("inquiry.created", "pending"),
        ("inquiry.status", "accepted"),
        ("inquiry.status", "withdrawn"),
    ]
    assert all(e["payload"]["hospital_id"] == town.hospital_b.pk for e in received["doctor_b"])
    assert received["other_nurse"] == []
    assert received["outsider_doctor"] == []
    for events in received.values():
        ids = [e["id"] for e in events]
        assert ids == sorted(set(ids)), "ids strictly increasing, no duplicates"


async def test_it_replays_missed_events_exactly_once_after_a_reconnect(
    town: Any, personas: dict[str, Client]
) -> None:
    """Given the crew's socket drops mid-transfer, when hospitals answer while
    it is away and it reconnects with the last id it saw, then it receives the
    missed events once, followed by live ones, with no duplicates."""
    crew, doctor, doctor_b = personas["crew"], personas["doctor"], personas["doctor_b"]
    ws = socket_for(crew)
    assert (await ws.connect())[0]
    t = await act(flows.to_inquiring, personas, town, [town.hospital_a, town.hospital_b])
    before = await drain(ws)
    assert shape(before)[-2:] == [("inquiry.created", "pending")] * 2
    last_seen = before[-1]["id"]
    await ws.disconnect()

    await act(flows.ok, await act(flows.accept, doctor, flows.inquiry_id(t, town.hospital_a.pk)))
    await act(flows.ok, await act(flows.decline, doctor_b, flows.inquiry_id(t, town.hospital_b.pk)))

    ws = socket_for(crew, last_id=last_seen)
    assert (await ws.connect())[0]
    missed = await drain(ws)
    assert shape(missed) == [("inquiry.status", "accepted"), ("inquiry.status", "declined")]
    assert all(e["id"] > last_seen for e in missed)

    await act(flows.ok, await act(flows.choose, crew, t["id"], town.hospital_a.pk))
    # Asking again for what it already has must not duplicate anything.
    await ws.send_json_to({"type": "sync", "after": last_seen})
    after = await drain(ws)
    await ws.disconnect()
    assert shape(after) == [("transfer.status", "destination_chosen")]
    all_ids = [e["id"] for e in before + missed + after]
    assert len(all_ids) == len(set(all_ids))


async def test_it_refuses_sockets_without_a_login_or_a_facility(town: Any) -> None:
    ws = socket_for(None)
    connected, code = await ws.connect()
    assert not connected or (await ws.receive_output(timeout=1))["type"] == "websocket.close"

    from .factories import UserFactory

    loner = await sync_to_async(UserFactory)(username="no_facility")
    client = Client()
    await sync_to_async(client.force_login)(loner)
    ws = socket_for(client)
    connected, code = await ws.connect()
    assert not connected
    assert code == 4403


async def test_it_refuses_sockets_from_a_foreign_origin(
    town: Any, personas: dict[str, Client]
) -> None:
    ws = WebsocketCommunicator(
        application,
        "/ws/events/?last_id=0",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"cookie", f"sessionid={personas['nurse'].cookies['sessionid'].value}".encode()),
        ],
    )
    connected, _ = await ws.connect()
    assert not connected


async def test_it_asks_for_a_resync_when_too_much_was_missed(
    town: Any, personas: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications import consumers

    monkeypatch.setattr(consumers, "REPLAY_LIMIT", 2)
    await act(flows.to_inquiring, personas, town, [town.hospital_a])
    ws = socket_for(personas["crew"], last_id=0)
    assert (await ws.connect())[0]
    messages = await drain(ws)
    await ws.disconnect()
    assert messages == [{"kind": "resync"}]


async def test_it_closes_the_stream_at_the_next_sync_after_a_logout(
    town: Any, personas: dict[str, Client]
) -> None:
    """Given the doctor's socket is open, when the doctor logs out elsewhere
    (the session ends), then the next sync closes the socket instead of
    sending events."""
    doctor = personas["doctor"]
    ws = socket_for(doctor)
    assert (await ws.connect())[0]
    await ws.send_json_to({"type": "sync", "after": 0})
    assert await drain(ws) == []  # still allowed, nothing to send yet
    await act(doctor.post, "/logout/")
    await ws.send_json_to({"type": "sync", "after": 0})
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_it_closes_the_stream_when_the_user_moved_to_another_facility(
    town: Any, personas: dict[str, Client]
) -> None:
    from facilities.models import Membership

    ws = socket_for(personas["doctor_b"])
    assert (await ws.connect())[0]
    await sync_to_async(Membership.objects.filter(user=town.doctor_b).update)(
        facility=town.hospital_c
    )
    await ws.send_json_to({"type": "sync", "after": 0})
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
