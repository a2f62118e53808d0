"""`manage.py create_channel_key --name "西湖区110指挥中心" --channel police_110 [--area 360103]`: an API key.

With --area (an area code) the key files cases in that area only.

Prints the key once; only its hash is stored, so a lost key cannot be shown
again: make a new one and revoke the old (admin: "Revoke the selected keys").
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disputes.api.keys import MACHINE_CHANNELS, channel_key_create
from grids.models import Area


class Command(BaseCommand):
    help = "Create an API key for a machine channel and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Who uses the key, e.g. the sending system's name.")
        parser.add_argument("--channel", required=True, choices=[str(c) for c in MACHINE_CHANNELS])
        parser.add_argument("--area", default="", help="Limit the key to this area (its code) and the areas below.")

    def handle(self, *args, name: str, channel: str, area: str = "", **options) -> None:
        if not name.strip():
            raise CommandError("--name must not be empty.")
        limited_to = None
        if area.strip():
            limited_to = Area.objects.filter(code=area.strip()).first()
            if limited_to is None:
                raise CommandError(f"No area has the code {area.strip()!r}.")
        key, raw_key = channel_key_create(name=name.strip(), channel=channel, area=limited_to)
        self.stderr.write(f"Created key {key.prefix}… for {key.name} ({key.get_channel_display()}).")
        self.stderr.write("Store it now: it is shown only this once.")
        self.stdout.write(raw_key)
