"""Typed factories for the town's pieces."""

from __future__ import annotations

import functools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from facilities.models import AmbulanceUnit, Facility, FacilityKind, Membership, Role


class FacilityFactory(DjangoModelFactory[Facility]):
    class Meta:
        model = Facility

    kind = FacilityKind.CARE_HOME
    name = factory.Sequence(lambda n: f"施設{n}")
    phone = factory.Sequence(lambda n: f"0866-00-{n:04d}")


class StationFactory(FacilityFactory):
    kind = FacilityKind.FIRE_STATION
    name = factory.Sequence(lambda n: f"消防署{n}")


class CareHomeFactory(FacilityFactory):
    kind = FacilityKind.CARE_HOME
    name = factory.Sequence(lambda n: f"介護施設{n}")


class HospitalFactory(FacilityFactory):
    kind = FacilityKind.HOSPITAL
    name = factory.Sequence(lambda n: f"病院{n}")


class AmbulanceFactory(DjangoModelFactory[AmbulanceUnit]):
    class Meta:
        model = AmbulanceUnit

    station = factory.SubFactory(StationFactory)
    call_sign = factory.Sequence(lambda n: f"救急{n}")


TEST_PASSWORD = "pw-for-tests"


@functools.cache
def shared_password_hash() -> str:
    return make_password(TEST_PASSWORD)


class UserFactory(DjangoModelFactory):  # type: ignore[type-arg]
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # One real PBKDF2 hash, computed once: hashing per user costs ~0.7 s each.
    password = factory.LazyFunction(lambda: shared_password_hash())


def member(username: str, facility: Facility, role: Role) -> object:
    user = UserFactory(username=username)
    Membership.objects.create(user=user, facility=facility, role=role)
    return user
