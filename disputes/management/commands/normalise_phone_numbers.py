"""`manage.py normalise_phone_numbers`: fold phones and ID numbers stored before normalisation.

Until phones were folded with NFKC (core.validators.normalise_phone), a number typed
in full-width digits (１３７…) was stored as typed; tracking and duplicate hints now
compare ASCII digits only, so such a row would match nothing. Run once after
upgrading (it is idempotent and touches only rows with something to fold): parties of
cases and petitioners. Prints counts only, never a number.
"""

import unicodedata

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from core.validators import normalise_phone

# Stored as they should be: ASCII digits for phones, ASCII digits and X for ID numbers.
NORMAL = {"phone": r"^[0-9]*$", "id_number": r"^[0-9X]*$"}


def _fold_id_number(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().upper()


class Command(BaseCommand):
    help = "Fold full-width digits in stored phone and ID numbers to ASCII (parties and petitioners)."

    def handle(self, *args, **options) -> None:
        for label in ("disputes.Party", "petitions.Petitioner"):
            model = apps.get_model(label)
            changed = 0
            odd = ~Q(phone__regex=NORMAL["phone"]) | ~Q(id_number__regex=NORMAL["id_number"])
            with transaction.atomic():
                for row in model.objects.select_for_update().filter(odd).only("pk", "phone", "id_number"):
                    phone = normalise_phone(row.phone) if row.phone else ""
                    id_number = _fold_id_number(row.id_number) if row.id_number else ""
                    if (phone, id_number) != (row.phone, row.id_number):
                        model.objects.filter(pk=row.pk).update(phone=phone, id_number=id_number)
                        changed += 1
            self.stdout.write(f"{label}: {changed} row(s) folded")
