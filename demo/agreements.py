"""调解协议书 versions and 司法确认 in the demo city: signed agreements on some cases of 西湖区 reported back by
agreement, a few applications to the court (one awaiting the ruling, one confirmed), so the case page's
agreement section, its judicial panel and the print view have something to show. Runs after the cases (which
carry no agreement text of their own); does nothing the second time.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from disputes.models import Agreement, AgreementVersion, CaseEvent, Dispute, JudicialConfirmation
from disputes.rules.enums import EventKind, Outcome, Status
from grids.models import Area

XIHU = "360103"
HOW_MANY = 8
COURT = "南昌市西湖区人民法院"
TEXT = {
    "points_in_dispute": "赔偿数额及支付期限。",
    "terms": "被申请人一次性赔偿申请人人民币¥86,400元，双方就本纠纷再无其他争议。",
    "performance_method": "于协议生效之日起十五日内以银行转账方式支付。",
}


@transaction.atomic
def seed_agreements() -> int:
    """Signed agreements (version 1, in effect on the report-back's day) on reported-back cases of 西湖区 by
    agreement, and their judicial confirmation on a few. Returns how many agreements were written."""
    xihu = Area.objects.filter(code=XIHU).first()
    if xihu is None or AgreementVersion.objects.filter(frozen_by=AgreementVersion.FrozenBy.SIGNED).exists():
        return 0
    cases = list(
        Dispute.objects.filter(
            area_path__startswith=xihu.path,
            outcome=Outcome.AGREEMENT,
            status__in=[Status.AWAITING_CALLBACK, Status.CLOSED],
            agreement__isnull=True,
            reported_at__isnull=False,
        ).order_by("-reported_at")[:HOW_MANY]
    )
    for n, case in enumerate(cases):
        day = timezone.localdate(case.reported_at)
        signed_on = day - timedelta(days=1)
        text = {"facts": case.description[:2000], **TEXT}
        agreement = Agreement.objects.create(dispute=case, drafted_by=case.assigned_mediator, **text)
        version = AgreementVersion.objects.create(
            agreement=agreement,
            version=1,
            created_by=case.assigned_mediator,
            frozen_at=case.reported_at - timedelta(days=1),
            frozen_by=AgreementVersion.FrozenBy.SIGNED,
            signed_on=signed_on,
            effective_on=signed_on,
            **text,
        )
        Agreement.objects.filter(pk=agreement.pk).update(signed_version=version)
        events = [
            CaseEvent(
                dispute=case,
                at=case.reported_at - timedelta(days=1),
                actor=case.assigned_mediator,
                actor_role="mediator",
                kind=kind,
                data=data,
            )
            for kind, data in (
                (EventKind.AGREEMENT, {"agreement": agreement.pk, "created": True, "version": 1, "changed": []}),
                (EventKind.AGREEMENT_FROZEN, {"agreement": agreement.pk, "version": 1, "by": "signed"}),
                (
                    EventKind.AGREEMENT_SIGNED,
                    {
                        "agreement": agreement.pk,
                        "version": 1,
                        "signed_on": signed_on.isoformat(),
                        "effective_on": signed_on.isoformat(),
                    },
                ),
            )
        ]
        # Two applications to the court: the newest awaits its ruling, the next was confirmed.
        if n < 2 and signed_on + timedelta(days=1) <= timezone.localdate():
            applied_on = signed_on + timedelta(days=1)
            confirmed = n == 1
            JudicialConfirmation.objects.create(
                dispute=case,
                agreement_version=version,
                applied_on=applied_on,
                court=COURT,
                recorded_by=case.assigned_mediator,
                area_path=case.area_path,
                result=JudicialConfirmation.Result.CONFIRMED if confirmed else JudicialConfirmation.Result.PENDING,
                ruling_number=f"({applied_on.year})赣0103民特{100 + n}号" if confirmed else "",
                decided_on=applied_on if confirmed else None,
            )
            events.append(
                CaseEvent(
                    dispute=case,
                    at=case.reported_at,
                    actor=case.assigned_mediator,
                    actor_role="mediator",
                    kind=EventKind.JUDICIAL_APPLIED,
                    data={"version": 1, "applied_on": applied_on.isoformat(), "court": COURT},
                )
            )
        CaseEvent.objects.bulk_create(events)
    return len(cases)
