"""Writes the demo city's reference data, idempotently.

Every row is looked up by its natural key (Area.code, Department (area, name),
Category.code, ServiceLevelSetting.colour, DiversionRule (area, category),
username) and created only when missing. Rows that exist are left alone, so a
re-run never overwrites what an administrator changed in the admin.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from demo import places
from demo.places import DepartmentSpec, RuleSpec
from disputes.models import Category, DiversionRule, ServiceLevelSetting
from disputes.rules.clocks import DEFAULT_SERVICE_LEVELS
from grids.models import Area, AreaLevel, Department, DepartmentKind, Role, StaffProfile

# Handler accounts are named after people, picked deterministically (no randomness
# in reference data: the same database always gets the same names).
_HANDLER_SURNAMES = "熊万涂胡邓罗黄杨吴刘李张陈王周徐朱郭何高林"
_HANDLER_GIVEN = "建军 丽华 志刚 秀兰 国强 晓燕 文华 海燕 春生 桂英 明辉 小红 卫东".split()


@dataclass
class Login:
    username: str
    role: str
    area: str
    department: str


class ReferenceSeeder:
    """Creates what is missing and counts what it created, per table."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.areas: dict[str, Area] = {a.code: a for a in Area.objects.all()}
        self.departments: dict[tuple[str, str], Department] = {}  # (area code, key) → department
        self.categories: dict[str, Category] = {}
        self._password_hash: str | None = None

    # --- areas -------------------------------------------------------------------------

    def _area(self, parent: Area | None, *, code: str, name: str, name_en: str, level: int, population: int) -> Area:
        area = self.areas.get(code)
        if area is not None:
            return area
        fields = {"code": code, "name": name, "name_en": name_en, "level": level, "population": population}
        if parent is None:
            area = Area.objects.add_root(create_kwargs=fields)
        else:
            area = Area.objects.add_child(parent, create_kwargs=fields)
        self.areas[code] = area
        self.created["area"] += 1
        return area

    def seed_areas(self) -> None:
        city = self._area(
            None,
            code=places.CITY_CODE,
            name=places.CITY_NAME,
            name_en=places.CITY_NAME_EN,
            level=AreaLevel.CITY,
            population=places.CITY_POPULATION,
        )
        for county in places.COUNTIES:
            county_area = self._area(
                city,
                code=county.code,
                name=county.name,
                name_en=county.name_en,
                level=AreaLevel.COUNTY,
                population=county.population,
            )
            for t_index, township in enumerate(county.townships):
                town_area = self._area(
                    county_area,
                    code=county.code + township.code,
                    name=township.name,
                    name_en=township.name_en,
                    level=AreaLevel.TOWNSHIP,
                    population=township.population,
                )
                self._seed_villages(town_area, township, offset=t_index)

    def _seed_villages(self, town_area: Area, township: places.Township, *, offset: int) -> None:
        populations = places.split_population(township.population, len(township.villages), offset)
        community_no, village_no = 0, 0
        for v_index, (village, population) in enumerate(zip(township.villages, populations, strict=True)):
            # Residents' committees are numbered 0xx, villagers' committees 2xx.
            if village.is_community:
                community_no += 1
                code = f"{town_area.code}{community_no:03d}"
                name_en = f"{village.name_en} Community"
            else:
                village_no += 1
                code = f"{town_area.code}{200 + village_no:03d}"
                name_en = f"{village.name_en} Village"
            village_area = self._area(
                town_area, code=code, name=village.name, name_en=name_en, level=AreaLevel.VILLAGE, population=population
            )
            n_grids = places.grids_per_village(population)
            for g_index, grid_population in enumerate(places.split_population(population, n_grids, offset + v_index)):
                self._area(
                    village_area,
                    code=f"{code}{g_index + 1:03d}",
                    name=f"{village.name}{places.GRID_ORDINALS[g_index]}",
                    name_en=f"{name_en} Grid {g_index + 1}",
                    level=AreaLevel.GRID,
                    population=grid_population,
                )

    # --- departments ----------------------------------------------------------------------

    def _department(self, area: Area, spec: DepartmentSpec, names: dict[str, str]) -> Department:
        name = spec.name.format(**names)
        department, created = Department.objects.get_or_create(
            area=area, name=name, defaults={"kind": spec.kind, "name_en": spec.name_en.format(**names)}
        )
        if created:
            self.created["department"] += 1
        self.departments[(area.code, spec.key)] = department
        return department

    def seed_departments(self) -> None:
        city = self.areas[places.CITY_CODE]
        for spec in places.CITY_DEPARTMENTS:
            self._department(city, spec, {})
        for county in places.COUNTIES:
            county_area = self.areas[county.code]
            names = {
                "county": county.name,
                "county_en": county.name_en,
                "natural_resources": county.natural_resources,
                "traffic_police": county.traffic_police,
            }
            for spec in places.COUNTY_DEPARTMENTS:
                self._department(county_area, spec, names)
            if county.code in places.MARKET_ROOMS:
                self._department(county_area, places.MARKET_ROOMS[county.code], names)
            for township in county.townships:
                town_area = self.areas[county.code + township.code]
                short_en = township.name_en.rsplit(" ", 1)[0]
                town_names = {
                    "township": township.name,
                    "township_en": township.name_en,
                    "short": township.short,
                    "short_en": short_en,
                }
                for spec in places.TOWNSHIP_DEPARTMENTS:
                    self._department(town_area, spec, town_names)

    # --- categories, clocks and the diversion list -------------------------------------------

    def seed_categories(self) -> None:
        for spec in places.CATEGORIES:
            category, created = Category.objects.get_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "name_en": spec.name_en,
                    "base_colour": spec.base_colour,
                    "sort_order": spec.sort_order,
                    # Family matters stay out of the public Open311 list.
                    "open311_hidden": spec.code == "family",
                },
            )
            if created:
                self.created["category"] += 1
            self.categories[spec.code] = category

    def seed_service_levels(self) -> None:
        for colour, level in DEFAULT_SERVICE_LEVELS.items():
            _row, created = ServiceLevelSetting.objects.get_or_create(
                colour=colour,
                defaults={
                    "accept_within": level.accept_within,
                    "resolve_within": level.resolve_within,
                    "follow_up_every": level.follow_up_every,
                },
            )
            if created:
                self.created["service_level"] += 1

    def _resolve(self, key: str, *, area_code: str, county_code: str) -> Department:
        if key.startswith("city:"):
            return self.departments[(places.CITY_CODE, key[5:])]
        if key.startswith("county:"):
            return self.departments[(county_code, key[7:])]
        return self.departments[(area_code, key)]

    def _rule(self, area_code: str, category_code: str, spec: RuleSpec, county_code: str) -> None:
        existing = DiversionRule.objects.filter(area=self.areas[area_code], category=self.categories[category_code])
        if existing.exists():
            return
        rule = DiversionRule.objects.create(
            area=self.areas[area_code],
            category=self.categories[category_code],
            lead_department=self._resolve(spec.lead, area_code=area_code, county_code=county_code),
        )
        rule.assisting_departments.set(
            [self._resolve(k, area_code=area_code, county_code=county_code) for k in spec.assisting]
        )
        self.created["diversion_rule"] += 1

    def seed_diversion_list(self) -> None:
        for category_code, spec in places.CITY_RULES.items():
            self._rule(places.CITY_CODE, category_code, spec, places.CITY_CODE)
        for county in places.COUNTIES:
            for category_code, spec in places.COUNTY_RULES.items():
                if category_code == "market" and county.code in places.MARKET_ROOMS:
                    spec = places.COUNTY_MARKET_RULE
                self._rule(county.code, category_code, spec, county.code)
            for township in county.townships:
                for category_code, spec in places.TOWNSHIP_RULES.items():
                    self._rule(county.code + township.code, category_code, spec, county.code)

    # --- users ----------------------------------------------------------------------------------

    def _password(self) -> str:
        # One hash for every demo account: hashing is deliberately slow (~0.3 s each), and
        # these accounts share a password that is printed on screen anyway.
        if self._password_hash is None:
            self._password_hash = make_password(places.DEMO_PASSWORD)
        return self._password_hash

    def _user(
        self,
        *,
        username: str,
        role: str,
        display_name: str,
        area: Area,
        department: Department | None,
        specialties: Sequence[Category] = (),
        is_superuser: bool = False,
    ) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            # The password is set only here, on creation: a re-run never resets a changed one.
            user = user_model.objects.create(
                username=username,
                password=self._password(),
                first_name=display_name,
                is_staff=is_superuser,
                is_superuser=is_superuser,
            )
            self.created["user"] += 1
        if not StaffProfile.objects.filter(user=user).exists():
            profile = StaffProfile.objects.create(
                user=user, area=area, department=department, role=role, display_name=display_name
            )
            if specialties:
                profile.specialties.set(specialties)
            self.created["staff_profile"] += 1

    def seed_logins(self) -> list[Login]:
        """The named demo logins, then one handler account for every department."""
        logins = []
        for spec in places.LOGINS:
            department = self.departments[spec.department] if spec.department else None
            area = self.areas[spec.area_code]
            self._user(
                username=spec.username,
                role=spec.role,
                display_name=spec.display_name,
                area=area,
                department=department,
                specialties=[self.categories[c] for c in spec.specialties],
                is_superuser=spec.is_superuser,
            )
            logins.append(Login(spec.username, spec.role, area.name, department.name if department else ""))
        for index, ((area_code, key), department) in enumerate(sorted(self.departments.items())):
            self._user(
                username=handler_username(key, area_code),
                role=handler_role(department.kind),
                display_name=_HANDLER_SURNAMES[index % len(_HANDLER_SURNAMES)]
                + _HANDLER_GIVEN[(index * 7) % len(_HANDLER_GIVEN)],
                area=self.areas[area_code],
                department=department,
            )
        return logins

    @transaction.atomic
    def seed(self) -> list[Login]:
        self.seed_areas()
        self.seed_departments()
        self.seed_categories()
        self.seed_service_levels()
        self.seed_diversion_list()
        return self.seed_logins()


def handler_username(key: str, area_code: str) -> str:
    """tjwyh360103001: the department's tag and the code of the area it serves."""
    return f"{key}{area_code}"


def handler_role(kind: str) -> str:
    mediating = {DepartmentKind.MEDIATION_COMMITTEE, DepartmentKind.MARKET_MEDIATION_ROOM}
    return Role.MEDIATOR if kind in mediating else Role.DEPARTMENT_STAFF
