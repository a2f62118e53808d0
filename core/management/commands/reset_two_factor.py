"""Remove a staff member's authenticator (lost or replaced phone); they set it up again at next sign-in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Reset a user's two-factor (TOTP) device, so they enrol a new one at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"Removed {deleted} two-factor device(s) of {username}.")
