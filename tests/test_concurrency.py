"""Races on one transfer, with real PostgreSQL row locks and several connections.

Each scenario starts its threads on a barrier (every thread already holding its
own connection) and calls the services directly, as two phones hitting two app
servers at the same instant would.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from facilities.models import Role
from notifications.events import event_emit
from transfer import services
from transfer.errors import Conflict
from transfer.models import Inquiry, OcrJob, Transfer, TransferEvent, TransferPhoto

from .conftest import sheet_png
from .factories import member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Outcome:
    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return f"Outcome(value={self.value!r}, error={self.error!r})"


def run_at_once(*calls: Callable[[], Any], timeout: float = 60) -> list[Outcome]:
    """Run each call in its own thread, all released together; return outcomes in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the race is the calls
            barrier.wait(timeout=10)
            outcomes[i] = Outcome(value=call())
        except BaseException as e:
            outcomes[i] = Outcome(error=e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    for o in outcomes:
        assert o is not None
        if o.error is not None and not isinstance(o.error, Conflict):
            raise o.error  # anything but the expected domain conflict is a bug
    return outcomes  # type: ignore[return-value]


def inquiring(town: Any, hospitals: list[Any], *, accepted_by: list[Any] = ()) -> Transfer:  # type: ignore[assignment]
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name="並行 太郎")
    services.transfer_send(transfer=t, by=town.nurse)
    services.transfer_assign_crew(transfer=t, ambulance=town.ambulance, by=town.crew)
    services.inquiries_create(transfer=t, hospitals=hospitals, by=town.crew)
    for doctor in accepted_by:
        hospital = doctor.membership.facility
        services.inquiry_accept(
            inquiry=Inquiry.objects.get(transfer=t, hospital=hospital), by=doctor
        )
    return Transfer.objects.get(pk=t.pk)


def statuses(transfer: Transfer) -> dict[int, str]:
    return dict(Inquiry.objects.filter(transfer=transfer).values_list("hospital_id", "status"))


def test_two_crew_members_choosing_different_hospitals_at_once_get_exactly_one_destination(
    town: Any,
) -> None:
    crew2 = member("crew2", town.station, Role.CREW)
    t = inquiring(
        town, [town.hospital_a, town.hospital_b], accepted_by=[town.doctor, town.doctor_b]
    )

    outcomes = run_at_once(
        lambda: services.transfer_choose_destination(
            transfer=t, hospital=town.hospital_a, by=town.crew
        ),
        lambda: services.transfer_choose_destination(
            transfer=t, hospital=town.hospital_b, by=crew2
        ),
    )

    assert sorted(o.ok for o in outcomes) == [False, True], outcomes
    winner = town.hospital_a if outcomes[0].ok else town.hospital_b
    loser = town.hospital_b if outcomes[0].ok else town.hospital_a
    assert isinstance(next(o for o in outcomes if not o.ok).error, Conflict)
    t.refresh_from_db()
    assert t.status == "destination_chosen"
    assert t.destination_id == winner.pk
    assert statuses(t) == {winner.pk: "accepted", loser.pk: "withdrawn"}
    chosen_events = TransferEvent.objects.filter(
        transfer=t, type="transfer.status", payload__to_status="destination_chosen"
    )
    assert chosen_events.count() == 1


def test_a_hospital_accepting_while_the_crew_chooses_another_is_never_left_holding_a_bed(
    town: Any,
) -> None:
    accepted_late = 0
    for _ in range(10):
        t = inquiring(town, [town.hospital_a, town.hospital_b], accepted_by=[town.doctor])
        late = Inquiry.objects.get(transfer=t, hospital=town.hospital_b)

        choose, accept = run_at_once(
            lambda t=t: services.transfer_choose_destination(
                transfer=t, hospital=town.hospital_a, by=town.crew
            ),
            lambda late=late: services.inquiry_accept(inquiry=late, by=town.doctor_b),
        )

        assert choose.ok, choose
        accepted_late += accept.ok
        t.refresh_from_db()
        assert t.destination_id == town.hospital_a.pk
        # The invariant: no accepted inquiry on a transfer bound for another hospital.
        assert (
            not Inquiry.objects.filter(transfer=t, status="accepted")
            .exclude(hospital_id=t.destination_id)
            .exists()
        )
        assert statuses(t) == {town.hospital_a.pk: "accepted", town.hospital_b.pk: "withdrawn"}
        # hospital_b learns the outcome either way: its last event says withdrawn.
        last_b = (
            TransferEvent.objects.filter(
                transfer=t, type="inquiry.status", payload__hospital_id=town.hospital_b.pk
            )
            .order_by("-id")
            .first()
        )
        assert last_b is not None and last_b.payload["status"] == "withdrawn"
    assert 0 <= accepted_late <= 10


def test_the_same_inquiry_answered_accept_and_decline_at_once_has_exactly_one_answer(
    town: Any,
) -> None:
    colleague = member("doctor_a2", town.hospital_a, Role.CLINICIAN)
    for _ in range(3):
        t = inquiring(town, [town.hospital_a])
        inquiry = Inquiry.objects.get(transfer=t)

        accept, decline = run_at_once(
            lambda inquiry=inquiry: services.inquiry_accept(inquiry=inquiry, by=town.doctor),
            lambda inquiry=inquiry: services.inquiry_decline(
                inquiry=inquiry, by=colleague, reason="beds_full"
            ),
        )

        assert accept.ok != decline.ok, (accept, decline)
        loser = decline if accept.ok else accept
        assert isinstance(loser.error, Conflict) and loser.error.code == "inquiry_closed"
        inquiry.refresh_from_db()
        if accept.ok:
            assert (inquiry.status, inquiry.answered_by_id, inquiry.decline_reason) == (
                "accepted",
                town.doctor.pk,
                "",
            )
        else:
            assert (inquiry.status, inquiry.answered_by_id, inquiry.decline_reason) == (
                "declined",
                colleague.pk,
                "beds_full",
            )
        answers = TransferEvent.objects.filter(transfer=t, type="inquiry.status")
        assert [e.payload["status"] for e in answers] == [inquiry.status]


def _media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_two_identical_uploads_at_once_make_one_photo(town: Any) -> None:
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name="並行 太郎")
    data = sheet_png(size=(200, 60))

    outcomes = run_at_once(
        *[
            lambda: services.photo_attach(
                transfer=t, upload=SimpleUploadedFile("p.png", data, "image/png"), by=town.nurse
            )
            for _ in range(3)
        ]
    )

    assert all(o.ok for o in outcomes), outcomes
    photos = {o.value[0].pk for o in outcomes}
    assert len(photos) == 1
    assert sorted(o.value[1] for o in outcomes) == [False, False, True]  # created once
    assert TransferPhoto.objects.filter(transfer=t).count() == 1
    assert OcrJob.objects.filter(photo__transfer=t).count() == 1
    assert TransferEvent.objects.filter(transfer=t, type="photo.added").count() == 1
    assert len(_media_files()) == 1


def test_different_pages_uploaded_at_once_get_distinct_page_numbers(town: Any) -> None:
    t = services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name="並行 太郎")
    pages = [sheet_png(size=(200 + 10 * i, 60)) for i in range(3)]

    outcomes = run_at_once(
        *[
            lambda data=data: services.photo_attach(
                transfer=t, upload=SimpleUploadedFile("p.png", data, "image/png"), by=town.nurse
            )
            for data in pages
        ]
    )

    assert all(o.ok and o.value[1] for o in outcomes), outcomes
    pages_stored = TransferPhoto.objects.filter(transfer=t).values_list("page", flat=True)
    assert sorted(pages_stored) == [1, 2, 3]


def test_event_ids_follow_commit_order_so_a_client_resuming_after_an_id_misses_nothing(
    town: Any,
) -> None:
    """Writers on different transfers commit concurrently while a reader polls
    "events after the last id I saw", as a reconnecting client does. Ids must be
    unique, increasing per transfer, and the reader must end up with every
    event: if a later id could commit before an earlier one, the reader would
    move past the earlier one and never see it."""
    writers, rounds = 6, 8
    transfers = [
        services.transfer_create(care_home=town.home_a, by=town.nurse, patient_name=f"並行 {i}")
        for i in range(writers)
    ]
    start_id = TransferEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    emitted: dict[int, list[int]] = {t.pk: [] for t in transfers}
    done = threading.Event()
    seen: list[int] = []

    def write(t: Transfer) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(t.pk)
            for n in range(rounds):
                with transaction.atomic():
                    for part in range(2):
                        event = event_emit(
                            transfer=t,
                            type="transfer.milestone",
                            actor=town.crew,
                            facility=town.station,
                            payload={"milestone": "on_scene", "round": n, "part": part},
                        )
                        emitted[t.pk].append(event.pk)
                    time.sleep(rng.uniform(0, 0.004))  # hold the transaction open a moment

        return run

    def read() -> None:
        last = start_id

        def poll() -> None:
            nonlocal last
            for pk in (
                TransferEvent.objects.filter(id__gt=last)
                .order_by("id")
                .values_list("id", flat=True)
            ):
                seen.append(pk)
                last = pk

        while not done.is_set():
            poll()
            time.sleep(0.001)  # poll hard, but leave the writers a core
        poll()

    def writers_then_done() -> None:
        try:
            run_at_once(*[write(t) for t in transfers])
        finally:
            done.set()

    reader_and_writers = run_at_once(read, writers_then_done, timeout=120)
    assert all(o.ok for o in reader_and_writers), reader_and_writers

    committed = list(
        TransferEvent.objects.filter(id__gt=start_id)
        .order_by("id")
        .values_list("id", "transfer_id")
    )
    ids = [pk for pk, _ in committed]
    assert len(ids) == writers * rounds * 2  # none lost
    assert len(set(ids)) == len(ids)  # unique
    for t in transfers:
        mine = [pk for pk, tid in committed if tid == t.pk]
        assert mine == emitted[t.pk]  # in the order they were written
        assert mine == sorted(mine)
    assert len(seen) == len(set(seen)), "the reader got an event twice"
    assert seen == ids, "the reader resuming after its last id missed events"
