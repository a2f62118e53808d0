from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0007_queue_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="DisputeRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grain", models.PositiveSmallIntegerField(choices=[(1, "day"), (2, "month"), (3, "now")])),
                ("day", models.DateField()),
                ("area_path", models.CharField(max_length=255)),
                ("dimension", models.CharField(max_length=12)),
                ("value", models.CharField(blank=True, max_length=40)),
            ]
            + [
                (name, models.PositiveIntegerField(default=0))
                for name in (
                    "submitted",
                    "repeat",
                    "concluded",
                    "resolved",
                    "agreement",
                    "litigation",
                    "police",
                    "on_time",
                    "reopened",
                    "reached",
                    "satisfied",
                    "unreachable",
                    "closed",
                    "withdrawn",
                    "dispatched",
                    "returned",
                )
            ]
            + [("resolve_seconds", models.BigIntegerField(default=0))]
            + [(f"h{i}", models.PositiveIntegerField(default=0)) for i in range(13)]
            + [("overdue", models.PositiveIntegerField(default=0))],
            options={
                "indexes": [
                    models.Index(
                        fields=["dimension", "grain", "area_path", "day"],
                        name="rollup_dim_area_day",
                        opclasses=["varchar_pattern_ops", "int2_ops", "varchar_pattern_ops", "date_ops"],
                    )
                ],
            },
        ),
    ]
