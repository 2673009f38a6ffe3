"""Fixtures: the town and its personas.

- nurse: care staff at home_a (creates the transfers)
- other_nurse: care staff at home_b (an outsider care home)
- crew: crew member at the station serving both homes
- doctor: clinician at hospital_a (asked)
- doctor_b: clinician at hospital_b (asked)
- outsider_doctor: clinician at hospital_c (never asked)
- anonymous: no login
"""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.test import Client
from PIL import Image, ImageDraw

from config import celery_app
from facilities.models import AmbulanceUnit, Facility, Role

from .factories import AmbulanceFactory, CareHomeFactory, HospitalFactory, StationFactory, member

# OCR tasks run in-process in tests, right after the commit that enqueued
# them, against real Tesseract; the broker is not involved.
celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """One PostgreSQL test database per pytest process, so that runs on the same
    server (developers, CI, parallel sessions) never fight over `test_test`."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("TEST", {})["NAME"] = f"test_kakehashi_{os.getpid()}"


@pytest.fixture(autouse=True)
def _isolated_channel_layer() -> Any:
    """A fresh Redis channel-layer prefix per test: no cross-talk between tests
    (facility ids repeat across tests on a flushed database)."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    old = config["prefix"]
    config["prefix"] = f"kk-test-{uuid.uuid4().hex[:8]}"
    channel_layers.backends = {}
    yield
    config["prefix"] = old
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def _close_async_worker_connections() -> Any:
    """Code run through sync_to_async (consumers, async tests) uses a DB
    connection in asgiref's single worker thread; close it after each test so
    the test database can be flushed and dropped."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Town:
    station: Facility
    ambulance: AmbulanceUnit
    home_a: Facility
    home_b: Facility
    hospital_a: Facility
    hospital_b: Facility
    hospital_c: Facility
    nurse: Any
    other_nurse: Any
    crew: Any
    doctor: Any
    doctor_b: Any
    outsider_doctor: Any


@pytest.fixture
def town(db: None) -> Town:
    station = StationFactory(name="吉備中央出張所")
    ambulance = AmbulanceFactory(station=station, call_sign="救急1")
    home_a = CareHomeFactory(name="吉備の里", served_by=station)
    home_b = CareHomeFactory(name="やまなみ", served_by=station)
    hospital_a = HospitalFactory(name="中央病院")
    hospital_b = HospitalFactory(name="北部病院")
    hospital_c = HospitalFactory(name="南部病院")
    return Town(
        station=station,
        ambulance=ambulance,
        home_a=home_a,
        home_b=home_b,
        hospital_a=hospital_a,
        hospital_b=hospital_b,
        hospital_c=hospital_c,
        nurse=member("nurse", home_a, Role.CARE_STAFF),
        other_nurse=member("other_nurse", home_b, Role.CARE_STAFF),
        crew=member("crew", station, Role.CREW),
        doctor=member("doctor", hospital_a, Role.CLINICIAN),
        doctor_b=member("doctor_b", hospital_b, Role.CLINICIAN),
        outsider_doctor=member("outsider_doctor", hospital_c, Role.CLINICIAN),
    )


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


class LazyClients(dict[str, Client]):
    """Logged-in clients by persona name, each made on first use (a login
    writes a session row; most tests need two or three personas)."""

    def __init__(self, town: Town) -> None:
        super().__init__()
        self.town = town

    def __missing__(self, persona: str) -> Client:
        user = None if persona == "anonymous" else getattr(self.town, persona)
        client = self[persona] = client_for(user)
        return client


@pytest.fixture
def clients(town: Town) -> LazyClients:
    return LazyClients(town)


def sheet_png(text: str = "患者情報 氏名 山田 花子", size: tuple[int, int] = (640, 640)) -> bytes:
    """A small real PNG (fast for Tesseract; above the 600 px too-small limit)."""
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).rectangle([10, 10, size[0] - 10, size[1] - 10], outline=0, width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres` tests (row locks, several connections, server processes) mean
    nothing on SQLite: deselect them there - visibly, never as silent skips."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if not deselected:
        return
    config.hook.pytest_deselected(items=deselected)
    items[:] = [item for item in items if not item.get_closest_marker("postgres")]
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"kakehashi: {len(deselected)} postgres-marked tests deselected "
            f"(database engine is {engine}; set DATABASE_URL=postgres://... to run them)"
        )


@pytest.fixture(autouse=True)
def _no_static_scan(settings: Any, tmp_path: Any) -> None:
    """WhiteNoise indexes STATIC_ROOT whenever a test Client builds its
    middleware (once per Client): with a collected var/staticfiles that is
    ~175 files, tens of ms per client. In-process tests never fetch static
    files, so point it at an empty directory."""
    settings.STATIC_ROOT = tmp_path / "static"


@pytest.fixture
def personas(clients: LazyClients) -> LazyClients:
    """All personas' clients, logged in up front: for async tests, which must
    not touch the database from the event loop's thread."""
    for name in (
        "nurse",
        "other_nurse",
        "crew",
        "doctor",
        "doctor_b",
        "outsider_doctor",
        "anonymous",
    ):
        clients[name]
    return clients
