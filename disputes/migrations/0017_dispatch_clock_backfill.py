"""Cases already waiting for dispatch (submitted, triaged, returned) get the dispatch clock new cases get
at intake: due the colour's window after they started waiting (the submission, or the latest return).

Without it, a case that was waiting before this release would wait with no clock, which is what the
clock exists to prevent. A case long past its window starts up the escalation ladder at the next sweep.
"""

from datetime import timedelta

from django.db import migrations

WAITING = ("submitted", "triaged", "returned")
# The colour's default window (disputes.rules.clocks.DEFAULT_DISPATCH_WITHIN), unless the admin set one.
DEFAULT_WINDOW = {1: timedelta(minutes=30), 2: timedelta(hours=4), 3: timedelta(hours=24)}


def open_dispatch_clocks(apps, schema_editor):
    Dispute = apps.get_model("disputes", "Dispute")
    Deadline = apps.get_model("disputes", "Deadline")
    RoutingReturn = apps.get_model("disputes", "RoutingReturn")
    ServiceLevelSetting = apps.get_model("disputes", "ServiceLevelSetting")
    windows = dict(DEFAULT_WINDOW)
    for row in ServiceLevelSetting.objects.exclude(dispatch_within=None):
        windows[row.colour] = row.dispatch_within
    waiting = Dispute.objects.filter(status__in=WAITING).exclude(
        pk__in=Deadline.objects.filter(kind="dispatch", done_at=None, cancelled_at=None).values("dispute_id")
    )
    batch = []
    for case in waiting.only("pk", "colour", "status", "submitted_at", "next_due_at").iterator(chunk_size=2000):
        start = case.submitted_at
        if case.status == "returned":
            last = RoutingReturn.objects.filter(dispute_id=case.pk).order_by("-at").values_list("at", flat=True).first()
            start = last or start
        due = start + windows.get(case.colour, DEFAULT_WINDOW[3])
        batch.append(Deadline(dispute_id=case.pk, kind="dispatch", due_at=due, escalate_at=due))
        if case.next_due_at is None or due < case.next_due_at:
            Dispute.objects.filter(pk=case.pk).update(next_due_at=due)
        if len(batch) >= 2000:
            Deadline.objects.bulk_create(batch)
            batch = []
    Deadline.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0016_supervision_inbox_versions")]

    operations = [migrations.RunPython(open_dispatch_clocks, migrations.RunPython.noop)]
