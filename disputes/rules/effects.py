"""Which deadlines each action of the closed loop opens, finishes or cancels. Pure: no ORM, no I/O.

Read by the transition service (`disputes.services.transitions`, which applies a
row around the action's own effects) and by the demo generator (which walks
cases through the same table), so the two leave the same deadline rows.

Order within a row: the `finishes` and `cancels` are applied before the action's
own effect, the `opens` after it. The report-back's outcome opens its own
deadlines on top of its row (the judicial-confirmation window and the
performance date of an agreement: `services.outcomes.outcome_apply`); the row
clears those of an earlier outcome first.
"""

from datetime import timedelta

from core.casework.effects import ALL, Effect, EffectsTable
from disputes.rules.clocks import ServiceLevel
from disputes.rules.enums import DeadlineKind
from disputes.rules.lifecycle import TRANSITIONS

D = DeadlineKind
HANDLING = (D.ACCEPT, D.RESOLVE)
# The outcome's own deadlines: an agreement's judicial-confirmation window and performance date.
OUTCOME_DEADLINES = (D.JUDICIAL_CONFIRMATION, D.PERFORMANCE)

# Every action has a row, an empty one included, so the table says what each does.
EFFECTS = EffectsTable(
    {
        "triage": Effect(),
        "dispatch": Effect(cancels=HANDLING, opens=(D.ACCEPT,)),
        "transfer": Effect(cancels=HANDLING, opens=(D.ACCEPT,)),
        "accept": Effect(finishes=(D.ACCEPT,), opens=(D.RESOLVE,)),
        "return": Effect(cancels=HANDLING),
        "start_mediation": Effect(),
        "report_back": Effect(finishes=(D.RESOLVE,), cancels=OUTCOME_DEADLINES),
        "await_callback": Effect(opens=(D.CALLBACK,)),
        "close": Effect(finishes=(D.CALLBACK,)),
        "reopen": Effect(finishes=(D.CALLBACK,), opens=(D.RESOLVE,)),
        "resume": Effect(),
        "withdraw": Effect(cancels=ALL),
        "merge_duplicate": Effect(cancels=ALL),
    },
    actions=TRANSITIONS,
)

# The deadlines a row may open, and how long each runs (`window`).
OPENED_KINDS = frozenset(kind for effect in EFFECTS.values() for kind in effect.opens)
# Those whose window is the colour's service level (the admin's ServiceLevelSetting).
SERVICE_LEVEL_KINDS = frozenset(HANDLING)


def window(kind: str, *, level: ServiceLevel | None, callback_days: int) -> timedelta:
    """How long a deadline a row opens runs: the colour's service level, or the callback's days."""
    if kind in SERVICE_LEVEL_KINDS:
        if level is None:
            raise ValueError(f"a {kind!r} deadline runs for its colour's service level: pass it")
        return level.accept_within if kind == D.ACCEPT else level.resolve_within
    if kind == D.CALLBACK:
        return timedelta(days=callback_days)
    raise ValueError(f"no window for a {kind!r} deadline: it is not opened by a row")
