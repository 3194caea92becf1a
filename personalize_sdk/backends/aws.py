"""The Amazon Personalize backend: PutEvents, PutItems and PutUsers on
``personalize-events``; GetRecommendations and GetPersonalizedRanking on
``personalize-runtime``.

    ARN = "arn:aws:personalize:eu-west-1:123456789012"
    backend = AwsBackend(
        region_name="eu-west-1",
        tracking_id="0a1b2c3d-...",
        items_dataset_arn=f"{ARN}:dataset/shop/ITEMS",
        recommenders={"also_viewed": f"{ARN}:recommender/also-viewed"},
        filters={"not_bought": f"{ARN}:filter/not-bought"},
    )

botocore's own retries are turned off on the clients this backend builds: the
:class:`~personalize_sdk.client.Client` retries according to its
:class:`~personalize_sdk.retry.RetryPolicy`, and two retry loops stacked on
each other would multiply the attempts (and the waits).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping, Sequence

from .. import __version__
from ..exceptions import ConfigurationError, ImproperlyInstalled, InvalidRequestError
from ..filters.values import encode_filter_values
from ..records import Event, Item, User
from ..recommendations import SOURCE_MODEL, Recommendation, RecommendationList
from ..use_cases import (
    MAX_NUM_RESULTS,
    MAX_RANKING_INPUT,
    RankingRequest,
    RecommendationRequest,
)
from ._aws_errors import translate_error
from ..secrets import Secret
from ._aws_options import check_arn, check_arn_map, check_credentials, check_promotion
from .base import Backend

try:
    import boto3
    import botocore.exceptions as botocore_exceptions
    from botocore.config import Config
except (
    ModuleNotFoundError
) as err:  # checked when an AwsBackend is built, so the module stays importable
    if err.name not in ("boto3", "botocore") and not (err.name or "").startswith(
        ("boto3.", "botocore.")
    ):
        raise
    boto3 = None  # type: ignore[assignment]
    botocore_exceptions = None  # type: ignore[assignment]
    Config = None  # type: ignore[assignment,misc]

#: defaults for the botocore clients this backend builds (``config`` overrides them)
DEFAULT_CLIENT_CONFIG: dict[str, Any] = {
    # One attempt per call: the Client owns the retry loop.
    "retries": {"total_max_attempts": 1, "mode": "standard"},
    # botocore waits 60 s by default; recommendations sit on a page's critical path.
    "connect_timeout": 3.05,
    "read_timeout": 10,
}


#: ids each ECOMMERCE recommender requires (reference 3.3); campaigns follow their recipe instead
RECOMMENDER_REQUIRED_IDS: dict[str, frozenset[str]] = {
    "recommended_for_you": frozenset({"user_id"}),
    "also_viewed": frozenset({"user_id", "item_id"}),
    "bought_together": frozenset({"item_id"}),
    "best_sellers": frozenset({"user_id"}),
    "most_viewed": frozenset({"user_id"}),
}


class AwsBackend(Backend):
    """Amazon Personalize through boto3. See ``docs/backends/aws.rst`` for the options.

    A use case is served by the recommender (``recommenders``) or the campaign
    (``campaigns``) mapped to it, never both: mapping one use case in both
    options is a :class:`ConfigurationError`. Ranking uses ``ranking_campaign``.
    """

    name: ClassVar[str] = "aws"
    max_events_per_call: ClassVar[int] = 10
    one_session_per_call: ClassVar[bool] = True
    max_records_per_call: ClassVar[int] = 10
    # Personalize evaluates filters itself, each one a resource named by its ARN.
    filters_by_arn: ClassVar[bool] = True
    has_personalize_jobs: ClassVar[bool] = True

    def __init__(
        self,
        *,
        events_client: Any = None,
        runtime_client: Any = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        aws_access_key_id: "str | Secret | None" = None,
        aws_secret_access_key: "str | Secret | None" = None,
        aws_session_token: "str | Secret | None" = None,
        endpoint_url: str | None = None,
        tracking_id: str | None = None,
        items_dataset_arn: str | None = None,
        users_dataset_arn: str | None = None,
        recommenders: Mapping[str, str] | None = None,
        campaigns: Mapping[str, str] | None = None,
        ranking_campaign: str | None = None,
        filters: Mapping[str, str] | None = None,
        promotion: Mapping[str, Any] | None = None,
        config: Any = None,
        **unknown: Any,
    ) -> None:
        super().__init__(**unknown)  # raises ConfigurationError naming unknown options
        if boto3 is None:
            raise ImproperlyInstalled("boto3", "aws", feature="The aws backend")
        if tracking_id is not None and (
            not isinstance(tracking_id, str) or not 1 <= len(tracking_id) <= 256
        ):
            raise ConfigurationError(
                "The aws backend's 'tracking_id' option must be a string of 1 to 256 characters"
            )
        self.tracking_id = tracking_id
        self.items_dataset_arn = (
            check_arn(items_dataset_arn, "items_dataset_arn") if items_dataset_arn else None
        )
        self.users_dataset_arn = (
            check_arn(users_dataset_arn, "users_dataset_arn") if users_dataset_arn else None
        )
        self.recommenders = check_arn_map(recommenders, "recommenders", use_cases=True)
        self.campaigns = check_arn_map(campaigns, "campaigns", use_cases=True)
        both = sorted(set(self.recommenders) & set(self.campaigns))
        if both:
            raise ConfigurationError(
                f"The aws backend maps {', '.join(map(repr, both))} "
                "in both 'recommenders' and 'campaigns'; "
                "map each use case to one recommender or one campaign"
            )
        self.ranking_campaign = (
            check_arn(ranking_campaign, "ranking_campaign") if ranking_campaign else None
        )
        #: filter name -> filter ARN
        self.filter_arns = check_arn_map(filters, "filters", use_cases=False)
        self.promotion = check_promotion(promotion, self._filter_arn)
        #: the clients built here (closed by close(); injected ones belong to the caller)
        self._built_clients: list[Any] = []
        if events_client is None or runtime_client is None:
            credentials = check_credentials(
                aws_access_key_id, aws_secret_access_key, aws_session_token, profile_name
            )
            session = self._session(profile_name, region_name, credentials)
            client_config = self._client_config(config)
            if events_client is None:
                events_client = self._client(
                    session, "personalize-events", endpoint_url, client_config
                )
                self._built_clients.append(events_client)
            if runtime_client is None:
                runtime_client = self._client(
                    session, "personalize-runtime", endpoint_url, client_config
                )
                self._built_clients.append(runtime_client)
        elif (
            endpoint_url or region_name or profile_name or config
            or aws_access_key_id or aws_secret_access_key or aws_session_token
        ):
            raise ConfigurationError(
                "The aws backend's 'region_name', 'profile_name', 'endpoint_url', 'config' "
                "and credentials options "
                "options "
                "configure the clients it builds; they cannot be combined with two injected clients"
            )
        self.events_client = events_client
        self.runtime_client = runtime_client

    # -- construction helpers --------------------------------------------
    @staticmethod
    def _session(
        profile_name: str | None, region_name: str | None, credentials: Mapping[str, Secret]
    ) -> Any:
        # The keys stay Secret in every local; revealed only in the call itself.
        try:
            return boto3.session.Session(
                profile_name=profile_name,
                region_name=region_name,
                **{name: secret.reveal() for name, secret in credentials.items()},
            )
        except botocore_exceptions.ProfileNotFound as err:
            raise ConfigurationError(f"The aws backend's 'profile_name' option: {err}") from err

    @staticmethod
    def _client_config(config: Any) -> Any:
        base = Config(user_agent_extra=f"personalize-sdk/{__version__}", **DEFAULT_CLIENT_CONFIG)
        if config is None:
            return base
        if isinstance(config, Mapping):
            try:
                config = Config(**config)
            except TypeError as err:
                raise ConfigurationError(f"The aws backend's 'config' option: {err}") from err
        if not isinstance(config, Config):
            raise ConfigurationError(
                "The aws backend's 'config' option must be a botocore Config "
                "or a dict of its arguments"
            )
        return base.merge(config)  # the caller's values win, retries included

    @staticmethod
    def _client(session: Any, service: str, endpoint_url: str | None, config: Any) -> Any:
        try:
            return session.client(service, endpoint_url=endpoint_url, config=config)
        except botocore_exceptions.NoRegionError as err:
            raise ConfigurationError(
                "The aws backend needs a region: set its 'region_name' option, AWS_DEFAULT_REGION, "
                "or a region in the AWS profile"
            ) from err
        except ValueError as err:
            # botocore checks both here: a malformed endpoint_url, or a value
            # of the wrong type in the Config (a timeout of "soon").
            option = "endpoint_url" if endpoint_url and str(endpoint_url) in str(err) else "config"
            raise ConfigurationError(f"The aws backend's {option!r} option: {err}") from err

    @classmethod
    def can_use_filter(cls, name: str, options: Mapping[str, Any]) -> bool:
        """Whether ``options["filters"]`` maps ``name`` to a filter ARN."""
        filters = options.get("filters") if isinstance(options, Mapping) else None
        return isinstance(filters, Mapping) and bool(filters.get(name))

    def configure_filters(self, filters: Mapping[str, Any]) -> None:
        """Check that every filter the client names has an ARN here: Personalize
        evaluates filters itself, so an unmapped one could never be used."""
        super().configure_filters(filters)
        missing = sorted(name for name in filters if name not in self.filter_arns)
        if missing:
            raise ConfigurationError(
                f"The aws backend has no ARN for filter(s) {', '.join(map(repr, missing))}: "
                "add them to its 'filters' option (filter name -> filter ARN)"
            )

    def _filter_arn(self, name: str) -> str:
        try:
            return self.filter_arns[name]
        except KeyError:
            known = ", ".join(sorted(self.filter_arns)) or "none"
            raise ConfigurationError(
                f"The aws backend has no ARN for filter {name!r}: add it to its 'filters' option "
                f"(filter name -> filter ARN; configured: {known})"
            ) from None

    # -- calls -----------------------------------------------------------
    def _call(
        self, method: Callable[..., Any], operation: str, use_case: str | None = None, **params: Any
    ) -> Any:
        """Make one call and translate botocore's errors to ours."""
        try:
            return method(**params)
        except Exception as err:
            raise translate_error(err, operation, backend=self.name, use_case=use_case) from err

    @staticmethod
    def _check_batch(records: Sequence[Any], kind: str, limit: int) -> None:
        # The Client never sends more; this guards direct callers, because
        # botocore's parameter validation does not check list maxima.
        if not records:
            raise InvalidRequestError(kind, "must hold at least one record")
        if len(records) > limit:
            raise InvalidRequestError(kind, f"at most {limit} per call (got {len(records)})")

    def put_events(self, events: Sequence[Event]) -> None:
        events = list(events)
        self._check_batch(events, "events", self.max_events_per_call)
        if len({(e.user_id, e.session_id) for e in events}) > 1:
            raise InvalidRequestError(
                "events", "one PutEvents call takes the events of one (user, session) pair"
            )
        if not self.tracking_id:
            raise ConfigurationError(
                "The aws backend needs its 'tracking_id' option "
                "(the event tracker's tracking id) to record events"
            )
        first = events[0]
        params: dict[str, Any] = {
            "trackingId": self.tracking_id,
            "sessionId": first.session_id,
            "eventList": [event.to_personalize() for event in events],
        }
        if first.user_id is not None:
            params["userId"] = first.user_id
        self._call(self.events_client.put_events, "PutEvents", **params)

    def put_items(self, items: Sequence[Item]) -> None:
        items = list(items)
        self._check_batch(items, "items", self.max_records_per_call)
        if not self.items_dataset_arn:
            raise ConfigurationError(
                "The aws backend needs its 'items_dataset_arn' option to store items"
            )
        self._call(
            self.events_client.put_items,
            "PutItems",
            datasetArn=self.items_dataset_arn,
            items=[item.to_personalize() for item in items],
        )

    def put_users(self, users: Sequence[User]) -> None:
        users = list(users)
        self._check_batch(users, "users", self.max_records_per_call)
        if not self.users_dataset_arn:
            raise ConfigurationError(
                "The aws backend needs its 'users_dataset_arn' option to store users"
            )
        self._call(
            self.events_client.put_users,
            "PutUsers",
            datasetArn=self.users_dataset_arn,
            users=[user.to_personalize() for user in users],
        )

    def _filter_params(
        self, filter_name: str | None, filter_values: Mapping[str, Any]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if filter_name is not None:
            params["filterArn"] = self._filter_arn(filter_name)
            # Re-encoding re-checks the limits (25 placeholders, 1,000 characters each).
            encoded = encode_filter_values(filter_values)
            if encoded:
                params["filterValues"] = encoded
        # Values without a filter have nothing to fill in: they are not sent.
        return params

    def recommend(self, request: RecommendationRequest) -> RecommendationList:
        if request.num_results > MAX_NUM_RESULTS:
            raise InvalidRequestError("num_results", f"must be between 1 and {MAX_NUM_RESULTS}")
        if request.use_case in self.recommenders:
            params: dict[str, Any] = {"recommenderArn": self.recommenders[request.use_case]}
            if "user_id" in RECOMMENDER_REQUIRED_IDS[request.use_case] and request.user_id is None:
                raise InvalidRequestError(
                    "user_id",
                    f"is required by Personalize's {request.use_case!r} recommender: "
                    "pass the user's id, or the session id for a guest",
                )
        elif request.use_case in self.campaigns:
            params = {"campaignArn": self.campaigns[request.use_case]}
        else:
            raise ConfigurationError(
                "The aws backend has no recommender or campaign "
                f"for the {request.use_case!r} use case: "
                f"map it in its 'recommenders' (or 'campaigns') option"
            )
        params["numResults"] = request.num_results
        if request.user_id is not None:
            params["userId"] = request.user_id
        if request.item_id is not None:
            params["itemId"] = request.item_id
        params.update(self._filter_params(request.filter, request.filter_values))
        if request.context:
            params["context"] = dict(request.context)
        if self.promotion:
            params["promotions"] = [dict(self.promotion)]
        response = self._call(
            self.runtime_client.get_recommendations,
            "GetRecommendations",
            request.use_case,
            **params,
        )
        return self._to_list(response.get("itemList", []), response, use_case=request.use_case)

    def rank(self, request: RankingRequest) -> RecommendationList:
        if len(request.item_ids) > MAX_RANKING_INPUT:
            raise InvalidRequestError("item_ids", f"must hold at most {MAX_RANKING_INPUT} item ids")
        if not self.ranking_campaign:
            raise ConfigurationError(
                "The aws backend needs its 'ranking_campaign' option "
                "(a Personalized-Ranking campaign ARN) to rank"
            )
        params: dict[str, Any] = {
            "campaignArn": self.ranking_campaign,
            "userId": request.user_id,
            "inputList": list(request.item_ids),
        }
        params.update(self._filter_params(request.filter, request.filter_values))
        if request.context:
            params["context"] = dict(request.context)
        response = self._call(
            self.runtime_client.get_personalized_ranking, "GetPersonalizedRanking", **params
        )
        return self._to_list(response.get("personalizedRanking", []), response, use_case=None)

    @staticmethod
    def _to_list(
        predicted: Sequence[Mapping[str, Any]], response: Mapping[str, Any], *, use_case: str | None
    ) -> RecommendationList:
        items = tuple(
            Recommendation(
                item_id=entry["itemId"],
                score=entry.get("score"),  # domain recommenders give none
                promotion_name=entry.get("promotionName"),
                reason=tuple(entry.get("reason") or ()),
            )
            for entry in predicted
            if entry.get("itemId")
        )
        return RecommendationList(
            items,
            recommendation_id=response.get("recommendationId"),
            use_case=use_case,
            source=SOURCE_MODEL,
        )

    def close(self) -> None:
        """Close the connection pools of the clients this backend built
        (injected clients belong to the caller)."""
        for client in self._built_clients:
            close = getattr(client, "close", None)
            if close is not None:
                close()
        self._built_clients = []
