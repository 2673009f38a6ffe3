"""One WebSocket endpoint: the live event stream for the user's facility.

Protocol (JSON):
- connect to /ws/events/?last_id=N  (N = the last event id the client has;
  the page embeds the id its state was rendered at)
- server sends every event after N that the facility may see, from the log,
  then live events; each {"kind": "event", "id": ..., ...} at most once
- client may send {"type": "sync", "after": N} at any time (e.g. on a timer)
  to fill gaps left by the at-most-once channel layer; each sync re-checks
  the login (session alive, account active, same facility) and closes the
  socket with 4401 if it no longer holds
- if more than REPLAY_LIMIT events were missed the server sends
  {"kind": "resync"}: reload state over HTTP, then reconnect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from facilities.selectors import membership_for
from transfer.selectors import events_for_facility

from .events import facility_group, serialize

REPLAY_LIMIT = 500
_SENT_WINDOW = 2000


@database_sync_to_async
def _membership_facility_id(user: Any) -> int | None:
    membership = membership_for(user)
    return membership.facility_id if membership else None


@database_sync_to_async
def _still_allowed(user: Any, session_key: str | None, facility_id: int) -> bool:
    """Is the connection's login still good for this facility's events?

    The socket outlives the checks made at connect: a logout (the session row
    is gone), a deactivated account or a move to another facility must stop
    the stream.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    if (
        not session_key
        or not Session.objects.filter(
            session_key=session_key, expire_date__gt=timezone.now()
        ).exists()
    ):
        return False
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    membership = membership_for(fresh) if fresh else None
    return membership is not None and membership.facility_id == facility_id


@database_sync_to_async
def _replay(facility_id: int, after: int) -> list[dict[str, Any]]:
    return [
        dict(serialize(e))
        for e in events_for_facility(facility_id, after=after, limit=REPLAY_LIMIT + 1)
    ]


class EventsConsumer(AsyncJsonWebsocketConsumer):
    facility_id: int | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if settings.KAKEHASHI_REQUIRE_2FA:
            # OTPMiddleware does not run on sockets: check the session instead.
            session = self.scope.get("session")
            if not session or not session.get("otp_device_id"):
                await self.close(code=4401)
                return
        facility_id = await _membership_facility_id(user)
        if facility_id is None:
            await self.close(code=4403)
            return
        self.facility_id = facility_id
        self._sent: set[int] = set()
        self._max_sent = 0
        # Join the group before reading the log. Messages that arrive while
        # connect() runs are queued by Channels and handled after it returns,
        # so anything emitted during the replay is either in the replay or in
        # the queue; the sent-set drops the overlap.
        await self.channel_layer.group_add(facility_group(facility_id), self.channel_name)
        await self.accept()
        last_id = self._int_param("last_id")
        if last_id is not None:
            await self._send_after(last_id)

    async def disconnect(self, code: int) -> None:
        if self.facility_id is not None:
            await self.channel_layer.group_discard(
                facility_group(self.facility_id), self.channel_name
            )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "sync":
            # Clients sync every 30 s: the natural moment to re-check access.
            if not await self._recheck():
                return
            after = content.get("after")
            if isinstance(after, int) and after >= 0:
                await self._send_after(after)
        elif content.get("type") == "ping":
            await self.send_json({"kind": "pong"})

    async def event_message(self, message: dict[str, Any]) -> None:
        await self._send_event(message["event"])

    async def _recheck(self) -> bool:
        assert self.facility_id is not None
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        if await _still_allowed(self.scope["user"], key, self.facility_id):
            return True
        await self.close(code=4401)
        return False

    async def _send_after(self, after: int) -> None:
        assert self.facility_id is not None
        events = await _replay(self.facility_id, after)
        if len(events) > REPLAY_LIMIT:
            await self.send_json({"kind": "resync"})
            return
        for event in events:
            await self._send_event(event)

    async def _send_event(self, event: dict[str, Any]) -> None:
        event_id = int(event["id"])
        if event_id in self._sent:
            return
        self._sent.add(event_id)
        self._max_sent = max(self._max_sent, event_id)
        if len(self._sent) > _SENT_WINDOW:
            floor = self._max_sent - _SENT_WINDOW
            self._sent = {i for i in self._sent if i > floor}
        await self.send_json(event)

    def _int_param(self, name: str) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("ascii", "ignore"))
        values = query.get(name)
        if not values:
            return None
        try:
            value = int(values[0])
        except ValueError:
            return None
        return value if value >= 0 else None
