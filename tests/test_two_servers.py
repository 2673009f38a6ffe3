"""Two ASGI server processes on one Redis channel layer: an event caused
through one reaches a socket connected to the other."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from http.cookies import SimpleCookie
from typing import Any

import pytest
import websockets
from django.test import Client

from . import flows
from .servers import asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def http(
    base: str, path: str, session: str, *, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    """GET (body None) or POST JSON with the session, doing Django's CSRF dance."""
    cookies = f"sessionid={session}"
    if body is not None:
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}/login/", headers={"Cookie": cookies})
        ) as r:
            jar = SimpleCookie()
            for header in r.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            token = jar["csrftoken"].value
        cookies += f"; csrftoken={token}"
        req = urllib.request.Request(
            f"{base}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Cookie": cookies, "X-CSRFToken": token, "Content-Type": "application/json"},
        )
    else:
        req = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


async def test_it_delivers_an_event_caused_on_one_server_to_a_socket_on_the_other(
    town: Any, personas: dict[str, Client]
) -> None:
    """Given the crew's socket on server A and a pending inquiry, when the
    hospital accepts through server B, then the crew's socket on A receives
    the acceptance live."""
    from asgiref.sync import sync_to_async

    t = await sync_to_async(flows.to_inquiring)(personas, town, [town.hospital_a])
    inquiry = flows.inquiry_id(t, town.hospital_a.pk)
    crew_session = personas["crew"].cookies["sessionid"].value
    doctor_session = personas["doctor"].cookies["sessionid"].value
    last_id = t_events_last_id = await sync_to_async(_last_event_id)()

    with asgi_server() as server_a, asgi_server() as server_b:
        ws_url = server_a.replace("http://", "ws://") + f"/ws/events/?last_id={last_id}"
        async with websockets.connect(
            ws_url, additional_headers={"Cookie": f"sessionid={crew_session}", "Origin": server_a}
        ) as ws:
            status, body = await asyncio.to_thread(
                http,
                server_b,
                f"/api/inquiries/{inquiry}/accept/",
                doctor_session,
                body={"note": "受入可"},
            )
            assert status == 200, body
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    assert event["type"] == "inquiry.status"
    assert event["payload"] == {
        "inquiry_id": inquiry,
        "hospital_id": town.hospital_a.pk,
        "status": "accepted",
        "decline_reason": "",
    }
    assert event["id"] > t_events_last_id


def _last_event_id() -> int:
    from transfer.models import TransferEvent

    return TransferEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
