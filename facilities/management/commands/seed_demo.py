"""Demo data in the shape of the source town: 10 care homes, 6 hospitals, 1
fire station with 1 ambulance, and a user for each role. Idempotent."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from facilities.models import (
    AmbulanceUnit,
    Availability,
    Department,
    Facility,
    FacilityKind,
    Membership,
    Role,
)

DEMO_PASSWORD_ENV = "KAKEHASHI_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "kakehashi-demo"

STATION = ("吉備中央消防出張所", "吉備中央町豊野 1-1", "0866-00-0119", 34.8630, 133.6930)
AMBULANCE = "吉備中央救急1"

CARE_HOMES = [
    ("特別養護老人ホーム 吉備の里", "吉備の里"),
    ("介護老人保健施設 やまなみ", "やまなみ"),
    ("グループホーム ひだまり", "ひだまり"),
    ("特別養護老人ホーム 加茂川荘", "加茂川荘"),
    ("有料老人ホーム さくら苑", "さくら苑"),
    ("グループホーム 円城", "円城"),
    ("介護老人保健施設 高原の家", "高原の家"),
    ("特別養護老人ホーム 豊岡園", "豊岡園"),
    ("小規模多機能 みずほ", "みずほ"),
    ("ケアハウス 竹部", "竹部"),
]

HOSPITALS = [
    ("岡山中央総合病院", "中央総合", ["救急科", "内科", "脳神経外科", "整形外科"]),
    ("岡山北部医療センター", "北部医療C", ["救急科", "内科", "循環器内科"]),
    ("吉備高原記念病院", "高原記念", ["内科", "外科"]),
    ("旭川中央病院", "旭川中央", ["救急科", "内科", "呼吸器内科"]),
    ("県南赤十字病院", "県南赤十字", ["救急科", "脳神経内科", "整形外科"]),
    ("総社市民病院", "総社市民", ["内科", "外科"]),
]


class Command(BaseCommand):
    help = "Load the demo town (idempotent) and print the demo accounts."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
        station, _ = Facility.objects.update_or_create(
            kind=FacilityKind.FIRE_STATION,
            name=STATION[0],
            defaults={
                "short_name": "吉備中央出張所",
                "address": STATION[1],
                "phone": STATION[2],
                "latitude": STATION[3],
                "longitude": STATION[4],
            },
        )
        AmbulanceUnit.objects.get_or_create(station=station, call_sign=AMBULANCE)
        accounts: list[tuple[str, str, str]] = []
        self._user("crew1", station, Role.CREW, password, accounts)
        self._user("crew2", station, Role.CREW, password, accounts)
        for n, (name, short) in enumerate(CARE_HOMES, start=1):
            home, _ = Facility.objects.update_or_create(
                kind=FacilityKind.CARE_HOME,
                name=name,
                defaults={
                    "short_name": short,
                    "address": f"吉備中央町{short} {n}-{n}",
                    "phone": f"0866-00-{1000 + n:04d}",
                    "served_by": station,
                },
            )
            self._user(f"home{n}", home, Role.CARE_STAFF, password, accounts)
            if n == 1:
                self._user("homeadmin1", home, Role.FACILITY_ADMIN, password, accounts)
        now = timezone.now()
        statuses = [
            Availability.ACCEPTING,
            Availability.ACCEPTING,
            Availability.LIMITED,
            Availability.ACCEPTING,
            Availability.CLOSED,
            Availability.ACCEPTING,
        ]
        for n, (name, short, departments) in enumerate(HOSPITALS, start=1):
            hospital, created = Facility.objects.update_or_create(
                kind=FacilityKind.HOSPITAL,
                name=name,
                defaults={
                    "short_name": short,
                    "address": f"岡山市北区{short}町 {n}-1",
                    "phone": f"086-000-{2000 + n:04d}",
                },
            )
            if created:
                hospital.availability = statuses[n - 1]
                hospital.availability_updated_at = now
                hospital.save()
            for dep in departments:
                Department.objects.get_or_create(hospital=hospital, name=dep)
            self._user(f"hosp{n}", hospital, Role.CLINICIAN, password, accounts)
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "", password)
        accounts.append(("admin", "管理画面 /admin/", "superuser"))
        self.stdout.write(f"Demo accounts (password: {password}):")
        for username, facility, role in accounts:
            self.stdout.write(f"  {username:<8} {role:<12} {facility}")

    def _user(
        self,
        username: str,
        facility: Facility,
        role: Role,
        password: str,
        accounts: list[tuple[str, str, str]],
    ) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save()
        Membership.objects.update_or_create(
            user=user, defaults={"facility": facility, "role": role}
        )
        accounts.append((username, facility.name, role))
