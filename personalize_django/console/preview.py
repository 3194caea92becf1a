"""The preview page: one list as the shop would serve it, and the person's
recent history beside it.

The list comes through :func:`personalize_django.pages.fetch`, so it is what a
page would get: the model's answer, or the fallback along
``FALLBACK_USE_CASES`` with the reason. Items the engine placed by
exploration carry Personalize's ``Exploration`` reason and are marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from django.utils import timezone

from personalize_sdk import Event, InvalidRequestError
from personalize_sdk.recommendations import RecommendationList
from personalize_sdk.use_cases import MAX_NUM_RESULTS, USE_CASES

from .. import hydration, pages
from .events import DAY_CHOICES, Window, recorded_events

#: Personalize's reason for a slot given to exploration
EXPLORATION = "Exploration"
#: the form's query names
FORM_FIELDS = ("use_case", "user", "session", "item", "filter", "values", "limit")
#: the SDK's names of the form's fields, as the form sends them (an error names the field)
FORM_NAMES = {
    "user_id": "user",
    "session_id": "session",
    "item_id": "item",
    "num_results": "limit",
    "filter_values": "values",
}
#: events of the person's history shown beside the list
HISTORY_LENGTH = 20


@dataclass
class PreviewRequest:
    """What the page's form asks for (validated by :func:`preview_request`)."""

    use_case: str
    user_id: str | None = None
    session_id: str | None = None
    item_id: str | None = None
    filter: str | None = None
    filter_values: dict[str, list[str]] = field(default_factory=dict)
    limit: int = 10


@dataclass
class Row:
    item_id: str
    score: float | None
    reasons: tuple[str, ...]
    title: str

    @property
    def explored(self) -> bool:
        return EXPLORATION in self.reasons


def parse_values(text: str, name: str = "values") -> dict[str, list[str]]:
    """Filter values written one placeholder a line: ``CATEGORY=Books, Coffee``."""
    values: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, rest = line.partition("=")
        if not sep or not key.strip():
            raise InvalidRequestError(name, f"line {number} must read NAME=value[, value...]")
        values[key.strip()] = [v.strip() for v in rest.split(",") if v.strip()]
    return values


def preview_request(query: Mapping[str, str]) -> PreviewRequest | None:
    """The request of the form's query (``None`` before the form is sent)."""
    use_case = query.get("use_case")
    if not use_case:
        return None
    if use_case not in USE_CASES:
        raise InvalidRequestError("use_case", "must be one of " + ", ".join(sorted(USE_CASES)))
    raw_limit = query.get("limit") or "10"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_NUM_RESULTS:
        raise InvalidRequestError("limit", f"must be an integer between 1 and {MAX_NUM_RESULTS}")
    user, session = (query.get("user") or "").strip(), (query.get("session") or "").strip()
    if user and session:
        raise InvalidRequestError("session", "give a user or a guest session, not both")
    return PreviewRequest(
        use_case=use_case,
        user_id=user or None,
        session_id=session or None,
        item_id=(query.get("item") or "").strip() or None,
        filter=(query.get("filter") or "").strip() or None,
        filter_values=parse_values(query.get("values") or ""),
        limit=int(raw_limit),
    )


def titles(item_ids: list[str]) -> dict[str, str]:
    """``str()`` of each registered item instance (ids alone without an item model)."""
    try:
        found = hydration.hydrate(item_ids)
    except Exception:  # no item model registered: the ids are all there is
        return {}
    return {item_id: str(obj) for item_id, obj in found.items()}


def recommend(req: PreviewRequest) -> tuple[RecommendationList, list[Row]]:
    """The list the shop would serve for ``req``, and its rows. A request the
    backend refuses raises :class:`~personalize_sdk.InvalidRequestError`
    naming the form's field (``item``, not the SDK's ``item_id``)."""
    try:
        recs = pages.fetch(
            req.use_case,
            pages.Identity(req.user_id, req.session_id),
            item_id=req.item_id,
            num_results=req.limit,
            filter=req.filter,
            filter_values=req.filter_values,
            strict=True,
        )
    except InvalidRequestError as err:
        if err.field not in FORM_NAMES:
            raise
        raise InvalidRequestError(FORM_NAMES[err.field], err.rule) from err
    names = titles([rec.item_id for rec in recs])
    rows = [
        Row(rec.item_id, rec.score, tuple(rec.reason), names.get(rec.item_id, ""))
        for rec in recs
    ]
    return recs, rows


def recent_history(req: PreviewRequest, limit: int = HISTORY_LENGTH) -> list[Event]:
    """The latest events of the user or guest session asked about, newest first."""
    if not (req.user_id or req.session_id):
        return []
    window = Window(max(DAY_CHOICES), timezone.now())

    def theirs(event: Event) -> bool:
        return bool(
            (req.user_id and event.user_id == req.user_id)
            or (req.session_id and event.session_id == req.session_id)
        )

    mine = list(recorded_events(window, keep=theirs))
    mine.sort(key=lambda e: e.sent_at, reverse=True)
    return mine[:limit]


def history_rows(events: list[Event]) -> list[dict[str, Any]]:
    names = titles([e.item_id for e in events if e.item_id])
    return [
        {
            "when": e.sent_at,
            "event_type": e.event_type,
            "item_id": e.item_id or "",
            "title": names.get(e.item_id or "", ""),
        }
        for e in events
    ]
