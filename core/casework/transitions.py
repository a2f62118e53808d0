"""The transition checker over a declarative table. Pure: no ORM, no I/O.

A kind of case declares its actions once (`Transition` rows in a
`TransitionTable`); its transition service (the one door that changes a status)
asks the table whether an action is allowed and gets either the transition or
a refusal code. The codes are the same for every kind of case, so the pages and
the API explain a refusal the same way.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.functional import Promise

UNKNOWN_ACTION = "unknown_action"
WRONG_STATE = "wrong_state"
WRONG_ROLE = "wrong_role"
REASON_REQUIRED = "reason_required"
REFUSAL_CODES = (UNKNOWN_ACTION, WRONG_STATE, WRONG_ROLE, REASON_REQUIRED)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    # Usually a lazy translation (gettext_lazy), rendered in the reader's language.
    label: str | Promise
    needs_reason: bool = False
    # Shown to the resident (the tracking page); petitions do not use it.
    public: bool = True


class TransitionTable:
    """The actions of one kind of case, in the order the pages list them.

    `always` names roles added to every row (the administrator).
    """

    def __init__(self, rows: Iterable[Transition], *, always: Iterable[str] = ()) -> None:
        extra = frozenset(always)
        self._rows: dict[str, Transition] = {}
        for row in rows:
            if row.action in self._rows:
                raise ValueError(f"action {row.action!r} declared twice")
            self._rows[row.action] = Transition(
                row.action,
                frozenset(row.sources),
                row.target,
                frozenset(row.roles) | extra,
                row.label,
                needs_reason=row.needs_reason,
                public=row.public,
            )

    def __getitem__(self, action: str) -> Transition:
        return self._rows[action]

    def __contains__(self, action: object) -> bool:
        return action in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, action: str) -> Transition | None:
        return self._rows.get(action)

    def values(self) -> Iterable[Transition]:
        return self._rows.values()

    def items(self) -> Iterable[tuple[str, Transition]]:
        return self._rows.items()

    def states(self) -> frozenset[str]:
        """Every state the table names, as a source or a target."""
        found: set[str] = set()
        for row in self._rows.values():
            found |= row.sources
            found.add(row.target)
        return frozenset(found)

    def allowed_actions(self, status: str, role: str) -> list[str]:
        """The actions `role` may take on a case in `status`, in table order."""
        return [t.action for t in self._rows.values() if status in t.sources and role in t.roles]

    def check(self, *, status: str, action: str, role: str, reason: str = "") -> Transition | str:
        """The transition if allowed, else a refusal code (see REFUSAL_CODES), checked in that order."""
        transition = self._rows.get(action)
        if transition is None:
            return UNKNOWN_ACTION
        if status not in transition.sources:
            return WRONG_STATE
        if role not in transition.roles:
            return WRONG_ROLE
        if transition.needs_reason and not reason.strip():
            return REASON_REQUIRED
        return transition


def transition(
    action: str,
    sources: Iterable[str],
    target: str,
    roles: Iterable[str],
    label: str | Promise,
    *,
    needs_reason: bool = False,
    public: bool = True,
) -> Transition:
    """One row of a table, written the way the tables read."""
    return Transition(
        action, frozenset(sources), target, frozenset(roles), label, needs_reason=needs_reason, public=public
    )
