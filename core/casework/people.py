"""The masked-person presenter: one person (a party, a petitioner) as a given reader may see them.

A reader who works the case sees the name; phone, ID number and address stay
masked until revealed one at a time (each reveal logged by the caller). Anyone
else sees the family name and masks only. Cases and petitions present their
people through this one function, so a field is never masked on one page and
clear on another.
"""

from collections.abc import Iterable
from typing import Any

from core.masking import mask_address, mask_id_number, mask_name, mask_phone

MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}
REVEALABLE_FIELDS = tuple(MASKS)


def present_person(
    person: Any, *, works: bool, clear: Iterable[str] = (), fields: Iterable[str] = REVEALABLE_FIELDS
) -> dict[str, str]:
    """{"name": ..., <field>: ...}: the name in clear for a worker, each field masked unless named in `clear`.

    `clear` is honoured only for a worker: a reader who does not work the case never sees a field in clear.
    """
    shown = set(clear) if works else set()
    row = {"name": (person.name or "") if works else mask_name(person.name)}
    for field in fields:
        value = getattr(person, field, "") or ""
        row[field] = value if field in shown else MASKS[field](value)
    return row


def masked_names(people: Iterable[Any]) -> list[str]:
    return [mask_name(p.name) for p in people]
