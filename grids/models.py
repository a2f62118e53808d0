from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from core.i18n import localized_name
from core.models import BaseModel


class AreaLevel(models.IntegerChoices):
    CITY = 1, _("City")
    COUNTY = 2, _("County / district")
    TOWNSHIP = 3, _("Township / street")
    VILLAGE = 4, _("Village / community")
    GRID = 5, _("Grid")


class Area(MP_Node, BaseModel):
    """行政区划与网格: one node of city > county > township > village > grid.

    A materialised path (treebeard) makes "this area and everything below it" a
    prefix match on `path`, which the jurisdiction selector and the dashboard use.
    """

    # treebeard's columns (MP_Node), declared again as they are only to give them names.
    path = models.CharField(_("tree path"), max_length=255, unique=True)
    depth = models.PositiveIntegerField(_("depth in the tree"))
    numchild = models.PositiveIntegerField(_("areas directly below"), default=0)
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=AreaLevel.choices)
    population = models.PositiveIntegerField(_("population"), default=0)
    # 机关代字: the short code this level's centre puts on the documents it issues (西湖矛调督〔2026〕3号).
    doc_code = models.CharField(
        _("document code"),
        max_length=20,
        blank=True,
        help_text=_("The issuing office's code on its documents, e.g. 西湖矛调督. Empty: made from the area's name."),
    )

    # No node_order_by: sorted inserts would rewrite sibling paths, and cases keep a
    # copy of their grid's path. New nodes are appended, so paths never change.

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["level", "path"], name="area_level_path")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)

    def full_name(self) -> str:
        """南昌市 西湖区 南浦街道 …: the names from the top down."""
        return " ".join(a.name for a in [*Area.objects.get_ancestors(self), self])


class DepartmentKind(models.TextChoices):
    MEDIATION_COMMITTEE = "mediation_committee", _("People's mediation committee")
    JUDICIAL_OFFICE = "judicial_office", _("Judicial office")
    POLICE_STATION = "police_station", _("Police station")
    COURT = "court", _("Court (pre-litigation mediation)")
    LABOUR = "labour", _("Human resources and social security")
    HOUSING = "housing", _("Housing and urban-rural development")
    MARKET_SUPERVISION = "market_supervision", _("Market supervision")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources")
    HEALTH = "health", _("Health commission")
    WOMENS_FEDERATION = "womens_federation", _("Women's federation")
    PETITIONS_BUREAU = "petitions_bureau", _("Petitions bureau")
    GOVERNANCE_CENTRE = "governance_centre", _("Comprehensive governance centre")
    MARKET_MEDIATION_ROOM = "market_mediation_room", _("Market mediation room")
    TRAFFIC_POLICE = "traffic_police", _("Traffic police")
    OTHER = "other", _("Other")


class Department(BaseModel):
    """部门: a body that handles cases, serving one area (and the areas below it)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("area served"), on_delete=models.PROTECT, related_name="departments")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_per_area")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)


class Role(models.TextChoices):
    MEDIATOR = "mediator", _("Mediator")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    DISPATCHER = "dispatcher", _("Centre dispatcher")
    CALLBACK_CALLER = "callback_caller", _("Callback caller")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class StaffProfile(BaseModel):
    """工作人员: a staff member's area, department, role and (for mediators) specialties."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="staff"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="staff")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    specialties = models.ManyToManyField("disputes.Category", verbose_name=_("specialties"), blank=True)
    max_open_cases = models.PositiveSmallIntegerField(_("maximum open cases"), default=30)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # 科室负责人: the head of a department, the escalation ladder's second rung.
    is_head = models.BooleanField(_("head of department"), default=False)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        indexes = [models.Index(fields=["role", "department"], name="staff_role_dept")]

    def __str__(self) -> str:
        return f"{self.display_name or self.user.get_username()} ({self.get_role_display()})"
