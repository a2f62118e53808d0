"""Reads about petitions that other apps ask for."""


def open_petitions_count(*, phones: set[str], id_numbers: set[str]) -> int:
    """Open petitions by anyone with one of these phones or ID numbers.

    Petitions are not recorded yet (the petitions issue adds the Petition
    model); until then nobody has an open petition and the triage rule for it
    cannot fire.
    """
    return 0
