"""Which deadlines each petition action finishes, cancels and opens. Pure.

Read by the transition service, which applies it (`petitions.services.deadlines`).
"""

from core.casework.effects import ALL, Effect, EffectsTable
from petitions.rules.enums import DeadlineKind
from petitions.rules.lifecycle import TRANSITIONS

__all__ = ["ALL", "EFFECTS", "Effect"]

K = DeadlineKind
EFFECTS = EffectsTable(
    {
        "accept": Effect(finishes=(K.DECIDE_ACCEPTANCE,), opens=(K.HANDLE,)),
        "not_accept": Effect(finishes=(K.DECIDE_ACCEPTANCE,)),
        "refer": Effect(finishes=(K.DECIDE_ACCEPTANCE,)),
        # The reply opens the petitioner's review window and the satisfaction callback.
        "reply": Effect(finishes=(K.HANDLE,), opens=(K.REVIEW_REQUEST, K.CALLBACK)),
        # The petitioner has answered the reply by asking for a review: no callback to make on it.
        "request_review": Effect(finishes=(K.REVIEW_REQUEST,), cancels=(K.CALLBACK,), opens=(K.REPLY,)),
        "close": Effect(finishes=ALL),
        # The dispute case takes over: the petition's clocks no longer count.
        "to_dispute": Effect(cancels=ALL),
    },
    actions=TRANSITIONS,
)
