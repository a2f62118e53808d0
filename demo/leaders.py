"""包案 and 协办 in the demo city: leaders for the open red cases, and a few cases the labour bureau assists.

The red cases of 西湖区 are led by its supervisor (`zhuguan_xihu`), the others by the city's (`zhuguan`);
the newest few of 西湖区 are left without one, so the 待包案 tab has something to show. The first few are
named through the service (a timeline event and an inbox item each); the rest in one statement each. The
login `bumen` (西湖区人社局) assists on a few open cases led by other departments of 西湖区, so its 协办
tab lists them. Runs after the cases; does nothing the second time.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.actors import Actor
from disputes import services
from disputes.models import CaseEvent, Dispute, DisputeAssist
from disputes.rules.enums import OPEN_STATUSES, Colour, EventKind
from disputes.services import leader as leader_service
from grids.models import Area

XIHU = "360103"
# Named through the service (an event and an inbox item each); the rest in bulk.
THROUGH_SERVICE = 5
LEFT_WITHOUT = 3  # the newest red cases of 西湖区 left for the 待包案 tab
ASSISTS = 4


@transaction.atomic
def seed_leaders() -> int:
    """Name the leaders of the open red cases (see the module docstring). Returns how many were named."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["zhuguan", "zhuguan_xihu"])}
    city, xihu_boss = users.get("zhuguan"), users.get("zhuguan_xihu")
    xihu = Area.objects.filter(code=XIHU).first()
    if city is None or xihu_boss is None or xihu is None:
        return 0
    if Dispute.objects.filter(leader__isnull=False).exists():
        return 0
    red = Dispute.objects.filter(colour=Colour.RED, status__in=sorted(OPEN_STATUSES), leader__isnull=True)
    in_xihu = list(red.filter(area_path__startswith=xihu.path).order_by("-submitted_at").values_list("pk", flat=True))
    left = set(in_xihu[:LEFT_WITHOUT])
    named = 0
    for pk in in_xihu[LEFT_WITHOUT : LEFT_WITHOUT + THROUGH_SERVICE]:
        leader_service.leader_set(dispute=pk, actor=Actor.for_user(xihu_boss), leader=xihu_boss)
        named += 1
    now = timezone.now()
    for boss, cases in (
        (xihu_boss, red.filter(area_path__startswith=xihu.path).exclude(pk__in=left)),
        (city, red.exclude(area_path__startswith=xihu.path)),
    ):
        ids = list(cases.values_list("pk", flat=True))
        if not ids:
            continue
        Dispute.objects.filter(pk__in=ids).update(leader=boss, updated_at=now)
        name = leader_service.leader_name(boss)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    dispute_id=pk,
                    at=now,
                    actor=boss,
                    actor_role=boss.staff.role,
                    kind=EventKind.LEADER_SET,
                    data={"from": None, "from_name": "", "to": boss.pk, "to_name": name},
                )
                for pk in ids
            ],
            batch_size=2000,
        )
        named += len(ids)
    return named


@transaction.atomic
def seed_assists() -> int:
    """A few open cases of 西湖区 led by other departments, where 西湖区's supervisor asks `bumen`'s department
    to assist (through the service: an event and an inbox item each). Returns how many."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["bumen", "zhuguan_xihu"])}
    bumen, boss = users.get("bumen"), users.get("zhuguan_xihu")
    xihu = Area.objects.filter(code=XIHU).first()
    if bumen is None or boss is None or xihu is None or not getattr(bumen, "staff", None):
        return 0
    department = bumen.staff.department
    if department is None or DisputeAssist.objects.filter(department=department).exists():
        return 0
    cases = (
        Dispute.objects.filter(area_path__startswith=xihu.path, status__in=sorted(OPEN_STATUSES))
        .exclude(lead_department__isnull=True)
        .exclude(lead_department=department)
        .order_by("colour", "submitted_at")
        .values_list("pk", flat=True)[:ASSISTS]
    )
    for pk in cases:
        services.dispute_request_assistance(
            dispute=pk, actor=Actor.for_user(boss), department=department, reason="涉及劳动报酬，请人社部门协助调解。"
        )
    return len(cases)
