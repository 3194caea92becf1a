"""What Personalize requires of a data set, and what AWS recommends.

The numbers the data-quality check measures against (reference section 6.1)
and what each ECOMMERCE use case needs of the interactions (reference section
4.3). Both the check's driver (:mod:`.check`) and its statistics
(:mod:`._summary`) read them from here.
"""

from __future__ import annotations

from ..use_cases import USE_CASES

#: what each ECOMMERCE use case needs (event type -> minimum count) and what
#: it would like to have as well (reference section 4.3)
USE_CASE_EVENTS: dict[str, tuple[dict[str, int], tuple[str, ...]]] = {
    "recommended_for_you": ({}, ("View", "Purchase")),
    "also_viewed": ({"View": 1000}, ("Purchase",)),
    "bought_together": ({"Purchase": 1000}, ()),
    "best_sellers": ({"Purchase": 1000}, ()),
    "most_viewed": ({"View": 1000}, ()),
}
assert set(USE_CASE_EVENTS) == set(USE_CASES)

#: unique interactions Personalize needs to train
MIN_INTERACTIONS = 1000
#: users with at least two interactions Personalize needs
MIN_ACTIVE_USERS = 25
#: share of all users that must have at least two interactions
MIN_ACTIVE_USER_SHARE = 0.01
#: what AWS recommends for good recommendations
RECOMMENDED_INTERACTIONS = 50_000
RECOMMENDED_ACTIVE_USERS = 1000
#: a categorical column is too fine when it has at least this many values...
CATEGORY_MIN_DISTINCT = 20
#: ...and at least this share of them is used by a single record
CATEGORY_SINGLETON_SHARE = 0.5
