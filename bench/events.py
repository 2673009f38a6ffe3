"""Benchmark: the transfer workflow's write path and live-event latency.

Measures, on real PostgreSQL and Redis:
1. service latency per workflow step and a whole transfer (create -> send ->
   assign -> ask 3 hospitals -> 2 answers -> choose -> 4 milestones -> close),
   i.e. the cost of row locks, the event log and its ordering lock;
2. live-event latency: from a service call's commit in this process to the
   event arriving on a WebSocket connected to a separate Daphne process
   (the channel layer hop that crews and hospitals depend on).

Usage (from the repository root):
    .venv/bin/python bench/events.py [--transfers 40] [--latency-samples 60]
Needs PostgreSQL and Redis; BENCH_DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/kakehashi_bench (created if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kakehashi_bench")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CHANNELS_PREFIX"] = f"kk-bench-{os.getpid()}"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"


def ensure_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def p90_ms(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=10)[-1] * 1000, 2)


def run_workflows(n: int) -> dict[str, list[float]]:
    from facilities.models import AmbulanceUnit, Facility, FacilityKind, Membership, Role
    from transfer import services
    from transfer.models import Milestone

    def user_of(kind: str, role: str, index: int = 0):  # type: ignore[no-untyped-def]
        return Membership.objects.filter(facility__kind=kind, role=role).order_by("pk")[index].user

    nurse = user_of(FacilityKind.CARE_HOME, Role.CARE_STAFF)
    crew = user_of(FacilityKind.FIRE_STATION, Role.CREW)
    hospitals = list(Facility.objects.filter(kind=FacilityKind.HOSPITAL).order_by("pk")[:3])
    doctors = [Membership.objects.filter(facility=h).first().user for h in hospitals]  # type: ignore[union-attr]
    home = Membership.objects.get(user=nurse).facility
    ambulance = AmbulanceUnit.objects.first()
    steps: dict[str, list[float]] = {
        k: []
        for k in (
            "create",
            "send",
            "assign",
            "ask_3",
            "answer",
            "choose",
            "milestone",
            "close",
            "whole",
        )
    }

    def timed(name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        steps[name].append(time.perf_counter() - t0)
        return result

    for _ in range(n):
        start = time.perf_counter()
        t = timed(
            "create", services.transfer_create, care_home=home, by=nurse, patient_name="ベンチ 太郎"
        )
        timed("send", services.transfer_send, transfer=t, by=nurse)
        timed("assign", services.transfer_assign_crew, transfer=t, ambulance=ambulance, by=crew)
        inquiries = timed(
            "ask_3", services.inquiries_create, transfer=t, hospitals=hospitals, by=crew
        )
        timed("answer", services.inquiry_accept, inquiry=inquiries[0], by=doctors[0])
        timed(
            "answer",
            services.inquiry_decline,
            inquiry=inquiries[1],
            by=doctors[1],
            reason="beds_full",
        )
        timed(
            "choose",
            services.transfer_choose_destination,
            transfer=t,
            hospital=hospitals[0],
            by=crew,
        )
        for m in (
            Milestone.ON_SCENE,
            Milestone.LEFT_SCENE,
            Milestone.ARRIVED,
            Milestone.HANDED_OVER,
        ):
            timed("milestone", services.transfer_record_milestone, transfer=t, milestone=m, by=crew)
        timed("close", services.transfer_close, transfer=t, by=crew)
        steps["whole"].append(time.perf_counter() - start)
    return steps


def latency_setup() -> tuple[str, Any, Any, Any]:
    """Sync part: a logged-in crew session and the actors (no DB in async code)."""
    from django.contrib.sessions.backends.db import SessionStore

    from facilities.models import AmbulanceUnit, FacilityKind, Membership, Role

    crew_m = Membership.objects.filter(
        facility__kind=FacilityKind.FIRE_STATION, role=Role.CREW
    ).first()
    nurse_m = (
        Membership.objects.select_related("facility", "user")
        .filter(facility__kind=FacilityKind.CARE_HOME, role=Role.CARE_STAFF)
        .first()
    )
    assert crew_m and nurse_m
    session = SessionStore()
    session["_auth_user_id"] = str(crew_m.user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = crew_m.user.get_session_auth_hash()
    session.create()
    return session.session_key or "", crew_m, nurse_m, AmbulanceUnit.objects.first()


async def measure_latency(samples: int, setup: tuple[str, Any, Any, Any]) -> list[float]:
    import websockets
    from asgiref.sync import sync_to_async

    # Same launcher as the tests' server processes.
    from tests.servers import daphne_process
    from transfer import services

    session_key, crew_m, nurse_m, ambulance = setup
    with daphne_process(os.environ.copy()) as base:
        latencies: list[float] = []
        async with websockets.connect(
            base.replace("http://", "ws://") + "/ws/events/",
            additional_headers={
                "Cookie": f"sessionid={session_key}",
                "Origin": base,
            },
        ) as ws:
            for _ in range(samples):
                t = await sync_to_async(services.transfer_create)(
                    care_home=nurse_m.facility, by=nurse_m.user, patient_name="遅延 測定"
                )
                t0 = time.perf_counter()
                # The crew's station is in the audience from "sent" on.
                await sync_to_async(services.transfer_send)(transfer=t, by=nurse_m.user)
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    if event.get("transfer_id") == t.pk and event["type"] == "transfer.status":
                        break
                latencies.append(time.perf_counter() - t0)
                await sync_to_async(services.transfer_assign_crew)(
                    transfer=t, ambulance=ambulance, by=crew_m.user
                )
                await ws.recv()
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, default=40)
    parser.add_argument("--latency-samples", type=int, default=60)
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", stdout=devnull)

    steps = run_workflows(args.transfers)
    print(f"workflow on PostgreSQL, {args.transfers} transfers (ms; median / p90):")
    for name, samples in steps.items():
        print(f"  {name:<10} {median_ms(samples):>8} / {p90_ms(samples):>8}  (n={len(samples)})")
    per_sec = 1 / statistics.median(steps["whole"])
    print(
        f"  => {per_sec:.1f} whole transfers/s on one connection "
        f"({per_sec * 86400 * 365 / 1e6:.0f} M/year; Japan has ~7.6 M dispatches/year)"
    )

    lat = asyncio.run(measure_latency(args.latency_samples, latency_setup()))
    print(f"live event, commit here -> socket on another Daphne process, n={len(lat)}:")
    print(f"  median {median_ms(lat)} ms, p90 {p90_ms(lat)} ms, max {round(max(lat) * 1000, 2)} ms")


if __name__ == "__main__":
    main()
