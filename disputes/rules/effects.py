"""Which deadlines each action of the closed loop opens, finishes or cancels. Pure: no ORM, no I/O.

Read by the transition service (`disputes.services.transitions`, which applies a
row around the action's own effects) and by the demo generator (which walks
cases through the same table), so the two leave the same deadline rows.

Order within a row: the `finishes` and `cancels` are applied before the action's
own effect, the `opens` after it. The report-back's outcome opens its own
deadlines on top of its row (the judicial-confirmation window and the
performance date of an agreement: `services.outcomes.outcome_apply`); the row
clears those of an earlier outcome first.

The submission is not an action of the table (intake stores the case in
"submitted"): its row is `SUBMIT`, applied by `services.intake.dispute_store`.
With it every open state has a running clock: submitted, triaged and returned
wait on the dispatch clock; dispatched on accept; accepted, in mediation and
reopened on resolve; awaiting callback on the callback (a pause on a party,
`services.edits.dispute_pause_clock`, stops the handling clocks on purpose).
Triage does not touch the dispatch clock's row, but a new colour re-times it
from its start (`services.deadlines.dispatch_clock_retime`).
"""

from datetime import timedelta

from core.casework.effects import ALL, Effect, EffectsTable
from disputes.rules.clocks import ServiceLevel
from disputes.rules.enums import DeadlineKind
from disputes.rules.lifecycle import TRANSITIONS

D = DeadlineKind
HANDLING = (D.ACCEPT, D.RESOLVE)
# 派单: from submission, or a return, to dispatch.
WAITING = (D.DISPATCH,)
# The outcome's own deadlines: an agreement's judicial-confirmation window and performance date.
OUTCOME_DEADLINES = (D.JUDICIAL_CONFIRMATION, D.PERFORMANCE)

# Every action has a row, an empty one included, so the table says what each does.
EFFECTS = EffectsTable(
    {
        "triage": Effect(),
        "dispatch": Effect(finishes=WAITING, cancels=HANDLING, opens=(D.ACCEPT,)),
        "transfer": Effect(cancels=HANDLING, opens=(D.ACCEPT,)),
        "accept": Effect(finishes=(D.ACCEPT,), opens=(D.RESOLVE,)),
        "return": Effect(cancels=HANDLING, opens=WAITING),
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
# The submission's row: the case waits for dispatch from the moment it is stored.
SUBMIT = Effect(opens=WAITING)

# The deadlines a row may open, and how long each runs (`window`).
OPENED_KINDS = frozenset(kind for effect in (*EFFECTS.values(), SUBMIT) for kind in effect.opens)
# Those whose window is the colour's service level (the admin's ServiceLevelSetting).
SERVICE_LEVEL_KINDS = frozenset((*WAITING, *HANDLING))


def window(kind: str, *, level: ServiceLevel | None, callback_days: int) -> timedelta:
    """How long a deadline a row opens runs: the colour's service level, or the callback's days."""
    if kind in SERVICE_LEVEL_KINDS:
        if level is None:
            raise ValueError(f"a {kind!r} deadline runs for its colour's service level: pass it")
        if kind == D.DISPATCH:
            if level.dispatch_within is None:
                raise ValueError("the dispatch window is the colour's: pass a level with dispatch_within")
            return level.dispatch_within
        return level.accept_within if kind == D.ACCEPT else level.resolve_within
    if kind == D.CALLBACK:
        return timedelta(days=callback_days)
    raise ValueError(f"no window for a {kind!r} deadline: it is not opened by a row")
