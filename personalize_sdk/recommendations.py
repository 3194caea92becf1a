"""What a recommendation or ranking request returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Sequence

#: ``RecommendationList.source`` when a trained model answered
SOURCE_MODEL = "model"
#: ``RecommendationList.source`` when the answer is a fallback (cold user,
#: use case not ready yet, backend failing); ``reason`` says why
SOURCE_FALLBACK = "fallback"


@dataclass(frozen=True)
class Recommendation:
    """One recommended item. ``score`` is ``None`` where the backend gives none
    (Personalize's domain recommenders do not score)."""

    item_id: str
    score: float | None = None
    promotion_name: str | None = None
    reason: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        data: dict = {"item_id": self.item_id, "score": self.score}
        if self.promotion_name:
            data["promotion_name"] = self.promotion_name
        if self.reason:
            data["reason"] = list(self.reason)
        return data


@dataclass(frozen=True)
class RecommendationList(Sequence[Recommendation]):
    """An ordered list of :class:`Recommendation`, best first.

    ``recommendation_id`` is what to send back as ``Event.recommendation_id``
    with a click on one of these items; ``source`` is ``"model"`` or
    ``"fallback"`` and ``reason`` explains a fallback.
    """

    items: tuple[Recommendation, ...] = ()
    recommendation_id: str | None = None
    use_case: str | None = None
    source: str = SOURCE_MODEL
    reason: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __iter__(self) -> Iterator[Recommendation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self.items[index]

    @property
    def item_ids(self) -> list[str]:
        return [r.item_id for r in self.items]

    @property
    def is_fallback(self) -> bool:
        return self.source == SOURCE_FALLBACK

    def to_dict(self) -> dict:
        """The JSON shape of the REST API (``items`` hold ids and scores)."""
        return {
            "use_case": self.use_case,
            "recommendation_id": self.recommendation_id,
            "source": self.source,
            "reason": self.reason,
            "items": [r.to_dict() for r in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "RecommendationList":
        items = tuple(
            Recommendation(
                item_id=str(entry["item_id"]),
                score=entry.get("score"),
                promotion_name=entry.get("promotion_name"),
                reason=tuple(entry.get("reason") or ()),
            )
            for entry in data.get("items", [])
        )
        return cls(
            items=items,
            recommendation_id=data.get("recommendation_id"),
            use_case=data.get("use_case"),
            source=data.get("source") or SOURCE_MODEL,
            reason=data.get("reason"),
        )
