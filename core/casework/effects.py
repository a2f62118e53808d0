"""Which deadlines an action opens, finishes or cancels. Pure: no ORM, no I/O.

One table per kind of case, read by its transition service (which applies it)
and by the demo generator (which walks cases through their lives and must leave
the same rows a real case would). Writing it once keeps the two from drifting.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

ALL = "*"  # every open deadline of the case


@dataclass(frozen=True)
class Effect:
    """What one action does to a case's clocks.

    `finishes` are marked done (met), `cancels` are closed without being met
    (the case left the path on which they counted); either may be `ALL`.
    `opens` are started, after the finishing and cancelling.
    """

    opens: tuple[str, ...] = ()
    finishes: tuple[str, ...] | str = ()
    cancels: tuple[str, ...] | str = ()

    def finished(self, open_kinds: Iterable[str]) -> list[str]:
        return _pick(self.finishes, open_kinds)

    def cancelled(self, open_kinds: Iterable[str]) -> list[str]:
        return [k for k in _pick(self.cancels, open_kinds) if k not in _pick(self.finishes, open_kinds)]


def _pick(which: tuple[str, ...] | str, open_kinds: Iterable[str]) -> list[str]:
    kinds = list(open_kinds)
    if which == ALL:
        return kinds
    return [k for k in kinds if k in which]


NOTHING = Effect()


class EffectsTable(Mapping[str, Effect]):
    """action → Effect; an action with no row touches no clock."""

    def __init__(self, rows: Mapping[str, Effect], *, actions: Iterable[str] | None = None) -> None:
        if actions is not None:
            unknown = set(rows) - set(actions)
            if unknown:
                raise ValueError(f"effects for unknown actions: {sorted(unknown)}")
        self._rows = dict(rows)

    def __getitem__(self, action: str) -> Effect:
        return self._rows.get(action, NOTHING)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def opened_by(self, kind: str) -> list[str]:
        """The actions that open a deadline of `kind`."""
        return [action for action, effect in self._rows.items() if kind in effect.opens]
