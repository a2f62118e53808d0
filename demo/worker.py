"""The process-pool side of `seed_demo --cases`: generating cases in other processes.

Generating is pure Python and takes longer than writing, so with more than one
core it runs in worker processes while the command's own process writes (threads
would not help: both halves hold the GIL most of the time). Nothing here touches
the database; a worker gets the reference data once and then batches of ids.

Importing this module must not import Django models: under the "spawn" start
method (macOS, Windows) a fresh interpreter unpickles these functions before
Django is set up, so `init` sets it up first.
"""

import pickle  # nosec B403
from typing import Any

_generator: Any = None
_csv = False


def init(payload: bytes, csv: bool) -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from demo.cases import CaseGenerator
    from demo.rand import DemoRandom

    global _generator, _csv
    _csv = csv
    context, now, fmt = pickle.loads(payload)  # noqa: S301 - made by the parent process a moment ago  # nosec B301
    _generator = CaseGenerator(context, DemoRandom(0), now=now, fmt=fmt)


def generate(seed_key: str, ids: list[int]) -> Any:
    """A batch of cases; for PostgreSQL the child tables come as CSV text, ready for COPY."""
    from demo.cases import generate_batch
    from demo.loader import CsvRows

    batch = generate_batch(_generator, seed_key, ids)
    if _csv:
        # The cases themselves stay tuples: the writer may have to redraw a tracking number.
        for name in ("parties", "events", "deadlines", "assists", "returns", "withdrawals"):
            setattr(batch, name, CsvRows.encode(getattr(batch, name)))
    return batch
