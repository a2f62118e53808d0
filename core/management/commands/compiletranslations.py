"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib.

Django's own compilemessages needs GNU gettext's msgfmt, which a fresh machine
may not have; polib is pure Python, so `make setup` and the Docker build can
always produce the catalogues.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo (pure Python)."

    def handle(self, *args, **options):
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
                self.stdout.write(f"compiled {po_path}")
        self.stdout.write(f"{count} catalogue(s) compiled")
