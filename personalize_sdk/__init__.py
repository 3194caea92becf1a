"""personalize_sdk: record user-item events and ask for recommendations, on
Amazon Personalize, over HTTP, or with the embedded local engine.

This package needs the standard library only; the AWS, HTTP and local
backends import their optional dependencies when they are chosen.
"""

# Set before the imports below: a module they load may read it while this
# package is still being initialised.
__version__ = "0.1.0.dev0"

from .client import Client  # noqa: E402
from .exceptions import (
    BackendError,
    ConfigurationError,
    FilterSyntaxError,
    ImproperlyInstalled,
    InvalidRecordError,
    InvalidRequestError,
    NotReadyError,
    PersonalizeError,
    ThrottledError,
)
from .records import Event, EventType, Item, User
from .recommendations import Recommendation, RecommendationList
from .retry import RetryPolicy
from .secrets import Secret
from .use_cases import (
    ALSO_VIEWED,
    BEST_SELLERS,
    BOUGHT_TOGETHER,
    MOST_VIEWED,
    RECOMMENDED_FOR_YOU,
    USE_CASES,
)
from .worker import QueueFullError

__all__ = [
    "ALSO_VIEWED",
    "BEST_SELLERS",
    "BOUGHT_TOGETHER",
    "BackendError",
    "Client",
    "ConfigurationError",
    "Event",
    "EventType",
    "FilterSyntaxError",
    "ImproperlyInstalled",
    "InvalidRecordError",
    "InvalidRequestError",
    "Item",
    "MOST_VIEWED",
    "NotReadyError",
    "PersonalizeError",
    "QueueFullError",
    "RECOMMENDED_FOR_YOU",
    "Recommendation",
    "RecommendationList",
    "RetryPolicy",
    "Secret",
    "ThrottledError",
    "USE_CASES",
    "User",
]
