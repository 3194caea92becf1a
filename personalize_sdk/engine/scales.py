"""Scores on Personalize's scale: every score in [0, 1].

The engine ranks with raw scores of several kinds (EASE and transition sums,
which can be negative; time-decayed event counts, which can be large;
co-occurrence weights). An answer keeps its order and maps those raw scores
through one :class:`Scale`, chosen by what the list is, as Personalize's
documentation describes its scores:

* **recommended for you**: a softmax over the whole catalogue
  (:class:`Softmax`): each item's score is its probability of being the
  user's next interaction among *all* items, so the scores of the catalogue
  sum to 1 and a list's scores sum to at most 1 (the items a request did not
  score, all at 0, enter the sum by their count: :meth:`Softmax.sparse`);
* **personalized ranking**: the same softmax over the input list only, so the
  ranked items' scores sum to 1 (an item the model has never seen scores 0);
* **popular items, related items, fallbacks**: each item's share of the
  source's total (:class:`Share`): a best seller's share of the decayed
  purchases, a neighbour's share of the item's co-occurrence weight.

Both maps are monotone, so a list that was non-increasing stays so and the
order of every list is the one the raw scores gave.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from ..recommendations import SOURCE_FALLBACK, SOURCE_MODEL
from ._deps import np

#: the reason on an explored item (Personalize's spelling, User-Personalization-v2)
EXPLORATION = "Exploration"


class Scale:
    """Maps one answer's raw scores into [0, 1], keeping their order.

    Subclasses must implement :meth:`map` with a non-decreasing function."""

    def map(self, raw: Sequence[float]) -> list[float]:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement map()")


class Softmax(Scale):
    """``exp(raw / temperature)``, normalised over ``population`` (the raw
    scores of every item that shares the probability mass)."""

    def __init__(self, population: Any, temperature: float, zeros: int = 0) -> None:
        values = np.asarray(population, dtype=np.float64)
        self.temperature = float(temperature)
        if not len(values) and not zeros:
            self.peak, self.total = 0.0, 1.0
            return
        self.peak = max(float(values.max()) if len(values) else 0.0, 0.0) if zeros else float(values.max())
        # Shifted by the peak, so the largest term is exp(0) and nothing overflows.
        self.total = float(np.exp((values - self.peak) / self.temperature).sum())
        if zeros:
            self.total += zeros * math.exp(-self.peak / self.temperature)

    @classmethod
    def sparse(cls, values: Any, size: int, temperature: float) -> "Softmax":
        """The softmax over a catalogue of ``size`` items where only ``values``
        (the candidates') are not 0: the other items add ``exp(0)`` each to
        the sum, counted without listing them."""
        return cls(values, temperature, zeros=max(0, size - len(values)))

    def map(self, raw: Sequence[float]) -> list[float]:
        terms = [math.exp(min(0.0, x - self.peak) / self.temperature) for x in raw]
        # An explored item takes the score of its slot, above its own: the
        # divisor then counts the list as shown, so the list sums to at most 1.
        total = max(self.total, sum(terms))
        return [term / total for term in terms]


class Share(Scale):
    """``max(raw, 0) / total``: an item's share of a non-negative total.

    ``total`` is the source's whole mass (the catalogue's popularity, an
    item's co-occurrence row). A list topped up from another source can hold
    more than that, so the divisor is never less than the list's own sum;
    with nothing to share (no events at all) every item scores ``1 / size``."""

    def __init__(self, total: float, size: int) -> None:
        self.total = max(0.0, float(total))
        self.size = max(1, int(size))

    @classmethod
    def of(cls, vector: Any) -> "Share":
        """The share of each item in ``vector`` (negative entries count 0)."""
        values = np.asarray(vector, dtype=np.float64)
        return cls(float(np.clip(values, 0.0, None).sum()), len(values))

    def map(self, raw: Sequence[float]) -> list[float]:
        clipped = [max(0.0, x) for x in raw]
        total = max(self.total, sum(clipped))
        if total <= 0.0:
            return [1.0 / self.size for _ in clipped]
        return [min(1.0, x / total) for x in clipped]


def shown(score: float) -> float:
    """A score as answered: six significant digits (a probability over a
    large catalogue is small, so a fixed number of decimals would round it to 0)."""
    return float(f"{score:.6g}")


def slot_scores(items: list[tuple[int, float, tuple[str, ...]]]) -> list[tuple[int, float, tuple[str, ...]]]:
    """The same items, in the same order, with scores that never rise down
    the list (Personalize returns ``itemList`` sorted by descending score).

    A list is built in slot order, and two kinds of item can sit above their
    own score: an explored item (reason ``Exploration``), placed in a slot
    for its novelty, takes a score between those of the ranked items around
    it; and a top-up from another source (also-viewed under bought-together,
    the category under an item's neighbours), on a scale of its own, is
    mapped to start at the score of the item above it and keep its own order
    (scaled while both scores are positive, so scores stay positive; shifted
    otherwise). An ordinary list is left as it is.
    """
    explored = [EXPLORATION in why for _i, _s, why in items]
    out = [score for _i, score, _why in items]
    if not all(explored):
        # Ranked items first: a run that rises above the item before it is
        # mapped under it (scaled while both are positive, else shifted).
        previous, factor, shift = None, 1.0, 0.0
        for position, (_index, raw, _why) in enumerate(items):
            if explored[position]:
                continue
            score = raw * factor + shift
            if previous is not None and score > previous:
                if previous > 0 and raw > 0:
                    factor, shift = previous / raw, 0.0
                else:
                    factor, shift = 1.0, previous - raw
                score = previous
            out[position] = previous = score
    # Then each run of explored items, between the ranked scores around it.
    position = 0
    while position < len(items):
        if not explored[position]:
            position += 1
            continue
        end = position
        while end < len(items) and explored[end]:
            end += 1
        own = out[position:end]
        above = out[position - 1] if position > 0 else None
        below = out[end] if end < len(items) else None
        if above is None and below is None:
            high, low = max(own), min(own)
        else:
            # At an end of the list the run's own relevance bounds it.
            high = above if above is not None else max(below, max(own))  # type: ignore[type-var]
            low = below if below is not None else min(high, min(own))
        run = end - position
        for j in range(run):
            out[position + j] = high + (low - high) * (j + 1) / (run + 1)
        position = end
    return [(index, float(score), why) for (index, _s, why), score in zip(items, out)]


@dataclass
class Answer:
    """Scores and the mask of what may be shown, before the cut."""

    items: list[tuple[int, float, tuple[str, ...]]]
    source: str = SOURCE_MODEL
    reason: str | None = None
    #: how the raw scores become Personalize's [0, 1] (see :mod:`.scales`)
    scale: Scale | None = None


#: what the popularity fallback is when nothing has happened yet
NO_EVENTS = "no item events are stored yet"


def has_order(scores: Any) -> bool:
    """Whether ``scores`` rank anything: some item has evidence behind it."""
    return bool(len(scores)) and bool(np.any(np.asarray(scores) > 0))


def no_order(why: str) -> Answer:
    """An empty fallback: with no event at all the engine has no order of its
    own, and any it gave (the catalogue's ids) would be made up; the caller's
    fallback (the shop's newest products) takes over."""
    return Answer([], SOURCE_FALLBACK, f"{why}; {NO_EVENTS}, so there is no order to show "
                                       "(the caller's own fallback applies)", scale=Share(0.0, 1))
