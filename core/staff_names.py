"""A staff member as people name them: 李娟, not the login name huifang.

The one helper for every page, print and text that names a staff user: the staff profile's
display name, else the account's full name, else (an account nobody named) the login name.
"""

from typing import Any

from django import forms


def person_name(user: Any) -> str:
    """李娟: the staff display name, falling back to the full name, then the login name; "" for no user."""
    if user is None:
        return ""
    profile = getattr(user, "staff", None)
    shown = profile.display_name if profile is not None else ""
    if not shown:
        full = user.get_full_name() if hasattr(user, "get_full_name") else ""
        shown = full.strip() or user.get_username()
    return str(shown)


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of staff accounts, each shown by the person's name (person_name), not the login."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)
