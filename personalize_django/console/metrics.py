"""Offline metrics of a training, computed on a held-out split.

Named as Amazon Personalize's GetSolutionMetrics names them
(``normalized_discounted_cumulative_gain_at_10``, ``precision_at_10``,
``coverage``...), and computed the way the local Personalize server computes
them for GetSolutionMetrics (:func:`personalize_sdk.server.control.metrics.evaluate`):
each sampled user's latest interaction is held out, a throw-away engine with
the shop's settings is trained on the rest, and its list for that user (or,
for the related-items use cases, for the item viewed before) is scored
against the held-out item.

Only the local engine can be measured here (its data can be read back and
retrained); Amazon Personalize reports its own metrics per solution version.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from personalize_sdk.backends import Backend

from ..conf import personalize_settings

#: the use cases measured at each training (one throw-away training for all of them)
MEASURED_USE_CASES = ("recommended_for_you", "also_viewed")
#: the figures a page shows first, by GetSolutionMetrics' names, with their short label
HEADLINE = (
    ("normalized_discounted_cumulative_gain_at_10", "NDCG@10"),
    ("precision_at_10", "precision@10"),
    ("coverage", "coverage"),
)


@dataclass
class OfflineMetrics:
    """{use case: {metric name: value}}, or why there are none."""

    by_use_case: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"by_use_case": self.by_use_case, "note": self.note, "seconds": self.seconds}


def engine_options() -> dict[str, Any]:
    """The local backend's options from settings, without its folder (the
    throw-away engine lives in memory)."""
    options = dict(personalize_settings.OPTIONS or {})
    options.pop("path", None)
    return options


def offline_metrics(backend: Backend) -> OfflineMetrics:
    """The metrics of :data:`MEASURED_USE_CASES` on ``backend``'s data."""
    if not backend.is_local_engine:
        return OfflineMetrics(
            note=(
                f"the {backend.display_name} backend is not measured here "
                "(Amazon Personalize reports its metrics per solution version)"
            )
        )
    # Imported here: the server's package loads the engine (numpy, scipy), which a
    # shop on Amazon Personalize alone has no need to install.
    from personalize_sdk.server.control.metrics import evaluate_many

    started = time.monotonic()
    result = OfflineMetrics()
    try:
        # One throw-away training measures every use case.
        result.by_use_case = evaluate_many(backend, MEASURED_USE_CASES, engine_options())
    except Exception as err:  # a page must say why a figure is missing, not crash
        result.note += f"not measured ({type(err).__name__}: {err}). "
    result.seconds = round(time.monotonic() - started, 3)
    if not result.by_use_case and not result.note:
        result.note = "no history to hold out yet"
    return result
