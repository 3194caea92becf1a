"""The five operations: wire shapes in, SDK calls on a backend, wire shapes out.

Each handler receives a body already checked against its shape
(:mod:`.shapes`), applies the rules the model cannot express (which ARN,
which ids a use case needs, a filter's values), calls the backend once, and
returns the response body (``None`` for the Put operations, whose success is
an empty 200).
"""

from __future__ import annotations

import logging
import math
import random
import uuid
from typing import Any, Mapping

from ..exceptions import (
    BackendError,
    ConfigurationError,
    InvalidRecordError,
    InvalidRequestError,
    NotReadyError,
    PersonalizeError,
    ThrottledError,
)
from ..filters.values import decode_filter_values
from ..records import Event, Item, User
from ..recommendations import Recommendation, RecommendationList
from ..use_cases import RankingRequest, RecommendationRequest
from .config import RANKING, ServerConfig
from .errors import (
    InternalFailure,
    InvalidInputException,
    ResourceNotFoundException,
    ServiceError,
    ServiceUnavailable,
    ThrottlingException,
)

logger = logging.getLogger("personalize_sdk.server")

#: GetRecommendations' numResults when the request has none (reference 2.2)
DEFAULT_NUM_RESULTS = 25
#: PredictedItem's reason for a placeholder popular item (Personalize's spelling)
POPULAR_ITEM = "Popular item"

#: the ids each ECOMMERCE recommender requires in production (reference 3.3)
RECOMMENDER_REQUIRES: dict[str, tuple[str, ...]] = {
    "recommended_for_you": ("userId",),
    "also_viewed": ("userId", "itemId"),
    "bought_together": ("itemId",),
    "best_sellers": ("userId",),
    "most_viewed": ("userId",),
}
#: the ids each recipe type requires of a campaign (reference 2.2): user
#: personalization needs a user, related items an item, popular items neither
CAMPAIGN_REQUIRES: dict[str, tuple[str, ...]] = {
    "recommended_for_you": ("userId",),
    "also_viewed": ("itemId",),
    "bought_together": ("itemId",),
    "best_sellers": (),
    "most_viewed": (),
}


def translate(err: Exception) -> ServiceError:
    """The error answer for an exception raised by the SDK or a backend."""
    if isinstance(err, ServiceError):
        return err
    if isinstance(err, PersonalizeError) and isinstance(err, ValueError):
        # InvalidRecordError, InvalidRequestError, FilterSyntaxError: the caller's
        # input. (A bare ValueError is a bug behind the API, answered as a 500.)
        return InvalidInputException(str(err))
    if isinstance(err, NotReadyError):
        return ResourceNotFoundException(str(err))
    if isinstance(err, ThrottledError):
        return ThrottlingException(err.message)
    if isinstance(err, BackendError):
        if err.code and err.status_code and 400 <= err.status_code < 600:
            return ServiceError(err.message, code=err.code, status=err.status_code)
        if err.retryable:
            return ServiceUnavailable(err.message)
        return InternalFailure(err.message)
    if isinstance(err, ConfigurationError):
        return InternalFailure(f"The local Personalize server is misconfigured: {err}")
    logger.exception("Unexpected error in the local Personalize server")
    return InternalFailure("An internal error occurred.")


def _new_recommendation_id() -> str:
    return f"RID-{uuid.uuid4()}"  # 40 characters, what PutEvents' recommendationId takes


class Operations:
    """The handlers, bound to a backend and a configuration."""

    def __init__(self, backend: Any, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config

    # -- personalize-events ----------------------------------------------
    def put_events(self, body: Mapping[str, Any]) -> None:
        if body["trackingId"] not in self.config.tracking_ids:
            raise ResourceNotFoundException(f"Tracking id {body['trackingId']} does not exist.")
        events = []
        for index, wire in enumerate(body["eventList"], start=1):
            try:
                events.append(
                    Event(
                        event_type=wire["eventType"],
                        session_id=body["sessionId"],
                        item_id=wire.get("itemId"),
                        user_id=body.get("userId"),
                        sent_at=wire["sentAt"],
                        event_value=wire.get("eventValue"),
                        properties=wire.get("properties"),
                        impression=wire.get("impression"),
                        recommendation_id=wire.get("recommendationId"),
                        event_id=wire.get("eventId"),
                    )
                )
            except InvalidRecordError as err:
                raise InvalidInputException(f"eventList.{index}.member: {err}") from err
        self.backend.put_events(events)

    def _check_dataset(self, arn: str, expected: str, kind: str) -> None:
        if arn == expected:
            return
        if arn in (self.config.items_dataset_arn, self.config.users_dataset_arn):
            raise InvalidInputException(
                f"Dataset {arn} is not the {kind} dataset of its dataset group."
            )
        raise ResourceNotFoundException(f"Dataset {arn} does not exist.")

    def put_items(self, body: Mapping[str, Any]) -> None:
        self._check_dataset(body["datasetArn"], self.config.items_dataset_arn, "ITEMS")
        items = []
        for index, wire in enumerate(body["items"], start=1):
            try:
                items.append(Item(item_id=wire["itemId"], properties=wire.get("properties")))
            except InvalidRecordError as err:
                raise InvalidInputException(f"items.{index}.member: {err}") from err
        self.backend.put_items(items)

    def put_users(self, body: Mapping[str, Any]) -> None:
        self._check_dataset(body["datasetArn"], self.config.users_dataset_arn, "USERS")
        users = []
        for index, wire in enumerate(body["users"], start=1):
            try:
                users.append(User(user_id=wire["userId"], properties=wire.get("properties")))
            except InvalidRecordError as err:
                raise InvalidInputException(f"users.{index}.member: {err}") from err
        self.backend.put_users(users)

    # -- personalize-runtime ---------------------------------------------
    def _resolve(self, arn: str, kind: str) -> str:
        name = self.config.resolve(arn, kind)
        if name is None:
            raise ResourceNotFoundException(f"Resource {arn} does not exist.")
        return name

    def _filter(
        self, body: Mapping[str, Any], where: str = ""
    ) -> tuple[str | None, dict[str, tuple[str, ...]]]:
        """The filter name and decoded values of a request (or a promotion)."""
        arn = body.get("filterArn")
        wire_values = body.get("filterValues")
        if arn is None:
            if wire_values:
                raise InvalidInputException(
                    f"{where}filterValues were given without a {where}filterArn."
                )
            return None, {}
        name = self._resolve(arn, "filter")
        try:
            return name, decode_filter_values(wire_values)
        except InvalidRequestError as err:
            raise InvalidInputException(f"{where}{err}") from err

    @staticmethod
    def _refuse_metadata(body: Mapping[str, Any]) -> None:
        if body.get("metadataColumns"):
            # What Personalize answers for a recommender or campaign created
            # without enableMetadataWithRecommendations; the local engine has none.
            raise InvalidInputException(
                "metadataColumns cannot be used: metadata is not enabled "
                "for this recommender or campaign."
            )

    def get_recommendations(self, body: Mapping[str, Any]) -> dict[str, Any]:
        recommender_arn, campaign_arn = body.get("recommenderArn"), body.get("campaignArn")
        if (recommender_arn is None) == (campaign_arn is None):
            raise InvalidInputException(
                "Exactly one of recommenderArn and campaignArn must be provided."
            )
        if recommender_arn is not None:
            kind, arn = "recommender", recommender_arn
            use_case = self.config.recommenders[self._resolve(arn, kind)]
            requires = RECOMMENDER_REQUIRES[use_case]
        else:
            kind, arn = "campaign", campaign_arn
            use_case = self.config.campaigns[self._resolve(arn, kind)]
            if use_case == RANKING:
                raise InvalidInputException(
                    f"Campaign {arn} uses a PERSONALIZED_RANKING recipe: "
                    "call GetPersonalizedRanking instead."
                )
            requires = CAMPAIGN_REQUIRES[use_case]
        if self.config.strict_inputs:
            for member in requires:
                if not body.get(member):
                    raise InvalidInputException(f"{member} is required by {kind} {arn}.")
        self._refuse_metadata(body)
        filter_name, filter_values = self._filter(body)
        num_results = body.get("numResults", DEFAULT_NUM_RESULTS)
        num_results = int(num_results) if num_results is not None else DEFAULT_NUM_RESULTS
        promotions = body.get("promotions") or []
        if num_results == 0:
            return {"itemList": [], "recommendationId": _new_recommendation_id()}
        request = RecommendationRequest(
            use_case=use_case,
            user_id=body.get("userId") or None,
            item_id=body.get("itemId") or None,
            num_results=num_results,
            filter=filter_name,
            filter_values=filter_values,
            context=body.get("context") or {},
        )
        if promotions:
            result = self._promote(request, promotions[0])
        else:
            result = self.backend.recommend(request)
        # A fallback (no model yet, a cold user, a use case short of data) shows
        # popular items: each says so in Personalize's words.
        popular = (POPULAR_ITEM,) if result.is_fallback else ()
        return {"itemList": self._predicted(result.items, popular), "recommendationId": self._rid(result)}

    def _promote(
        self, request: RecommendationRequest, promotion: Mapping[str, Any]
    ) -> RecommendationList:
        """Serve ``request`` with a share of its slots given to the promotion's
        filter: promoted items sit at random positions but keep their order."""
        for member in ("name", "percentPromotedItems", "filterArn"):
            if promotion.get(member) is None:
                raise InvalidInputException(f"promotions.1.member.{member} is required.")
        filter_name, filter_values = self._filter(promotion, "promotions.1.member.")
        slots = max(1, math.floor(request.num_results * promotion["percentPromotedItems"] / 100))
        promoted_request = RecommendationRequest(
            use_case=request.use_case,
            user_id=request.user_id,
            item_id=request.item_id,
            num_results=slots,
            filter=filter_name,
            filter_values=filter_values,
            context=request.context,
        )
        promoted = list(self.backend.recommend(promoted_request).items)[:slots]
        regular_list = self.backend.recommend(request)
        taken = {rec.item_id for rec in promoted}
        regular = [rec for rec in regular_list.items if rec.item_id not in taken]
        regular = regular[: request.num_results - len(promoted)]
        recommendation_id = self._rid(regular_list)
        rng = random.Random(recommendation_id)
        total = len(regular) + len(promoted)
        positions = sorted(rng.sample(range(total), len(promoted)))
        merged: list[Recommendation] = []
        promoted_iter, regular_iter = iter(promoted), iter(regular)
        for position in range(total):
            if positions and positions[0] == position:
                positions.pop(0)
                rec = next(promoted_iter)
                merged.append(Recommendation(rec.item_id, rec.score, promotion["name"], rec.reason))
            else:
                merged.append(next(regular_iter))
        return RecommendationList(
            tuple(merged), recommendation_id=recommendation_id, use_case=request.use_case
        )

    def get_personalized_ranking(self, body: Mapping[str, Any]) -> dict[str, Any]:
        arn = body["campaignArn"]
        use_case = self.config.campaigns[self._resolve(arn, "campaign")]
        if use_case != RANKING:
            raise InvalidInputException(
                f"Campaign {arn} does not use a PERSONALIZED_RANKING recipe: "
                "call GetRecommendations instead."
            )
        self._refuse_metadata(body)
        filter_name, filter_values = self._filter(body)
        if not body["inputList"]:
            return {"personalizedRanking": [], "recommendationId": _new_recommendation_id()}
        request = RankingRequest(
            user_id=body["userId"],
            item_ids=tuple(body["inputList"]),
            filter=filter_name,
            filter_values=filter_values,
            context=body.get("context") or {},
        )
        result = self.backend.rank(request)
        return {
            "personalizedRanking": self._predicted(result.items),
            "recommendationId": self._rid(result),
        }

    # -- output ----------------------------------------------------------
    @staticmethod
    def _rid(result: RecommendationList) -> str:
        rid = result.recommendation_id
        if not rid or len(rid) > 40:
            return _new_recommendation_id()
        return rid

    @staticmethod
    def _predicted(items: Any, default_reason: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        predicted = []
        for rec in items:
            entry: dict[str, Any] = {"itemId": rec.item_id}
            if rec.score is not None and math.isfinite(rec.score):
                entry["score"] = float(rec.score)
            if rec.promotion_name:
                entry["promotionName"] = rec.promotion_name
            reason = rec.reason or default_reason
            if reason:
                entry["reason"] = list(reason)
            predicted.append(entry)
        return predicted
