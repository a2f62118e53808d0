"""A faster random source for demo data.

`random.Random.choice` and `randrange` draw exact uniform integers bit by bit,
which costs about a microsecond each; a million demo cases make tens of millions
of draws. Scaling `random()` is five times faster and its bias (under 2^-40) is
invisible in demo data. Not for anything secret: tracking numbers use `secrets`.
"""

import random
from bisect import bisect
from collections.abc import Sequence
from typing import Any


class DemoRandom(random.Random):
    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        if step != 1 or stop <= start:
            return super().randrange(start, stop, step)
        return start + int(self.random() * (stop - start))

    def weighted(self, seq: Sequence[Any], cum_weights: Sequence[float]) -> Any:
        """One item of `seq`, by cumulative weights (precomputed once, unlike `choices`)."""
        return seq[bisect(cum_weights, self.random() * cum_weights[-1])]
