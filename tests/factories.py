"""Test data builders (factory_boy)."""

import factory
from django.contrib.auth import get_user_model

from disputes.models import Category, Dispute, Party
from disputes.rules.enums import Channel, Colour, PartyRole, Status
from disputes.rules.tracking import new_tracking_number
from grids.models import Area, AreaLevel, Department, DepartmentKind, StaffProfile


def area_root(*, code: str = "360100", name: str = "南昌市", population: int = 6_000_000) -> Area:
    return Area.objects.add_root(
        create_kwargs={"code": code, "name": name, "level": AreaLevel.CITY, "population": population}
    )


def area_child(parent: Area, *, code: str, name: str, population: int = 1000) -> Area:
    fields = {"code": code, "name": name, "level": parent.level + 1, "population": population}
    return Area.objects.add_child(parent, create_kwargs=fields)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    base_colour = Colour.WHITE


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")
    kind = DepartmentKind.MEDIATION_COMMITTEE


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)


class DisputeFactory(factory.django.DjangoModelFactory):
    """A case stored directly in a given state (bypasses the services, for setting up tests)."""

    class Meta:
        model = Dispute

    tracking_number = factory.LazyFunction(new_tracking_number)
    category = factory.SubFactory(CategoryFactory)
    description = "邻居装修噪音扰民，多次协商未果。"
    channel = Channel.WEB
    status = Status.SUBMITTED
    area_path = factory.LazyAttribute(lambda o: o.grid.path)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    role = PartyRole.APPLICANT
    name = "张三"
    phone = "13800138000"
