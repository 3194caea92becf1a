"""The recipes the local Personalize serves, each mapped to an engine use case.

ECOMMERCE domain recipes (``CreateRecommender``) and the custom recipes
(``CreateSolution``) whose work the local engine can do. Their ARNs are AWS's
own, with neither region nor account (``arn:aws:personalize:::recipe/...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...use_cases import (
    ALSO_VIEWED,
    BEST_SELLERS,
    BOUGHT_TOGETHER,
    MOST_VIEWED,
    RECOMMENDED_FOR_YOU,
)
from ..config import RANKING

PREFIX = "arn:aws:personalize:::recipe/"
#: when the recipes were "created": AWS's creation dates are not public
CREATED = 1_546_300_800.0  # 2019-01-01


@dataclass(frozen=True)
class Recipe:
    name: str
    use_case: str
    recipe_type: str
    description: str
    domain: str | None = None

    @property
    def arn(self) -> str:
        return PREFIX + self.name

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recipeArn": self.arn,
            "status": "ACTIVE",
            "description": self.description,
            "recipeType": self.recipe_type,
            "creationDateTime": CREATED,
            "lastUpdatedDateTime": CREATED,
            **({"domain": self.domain} if self.domain else {}),
        }


RECIPES: dict[str, Recipe] = {
    recipe.arn: recipe
    for recipe in (
        Recipe("aws-ecomm-customers-who-viewed-x-also-viewed", ALSO_VIEWED, "RELATED_ITEMS",
               "Customers who viewed X also viewed: items viewed in the same sessions.", "ECOMMERCE"),
        Recipe("aws-ecomm-frequently-bought-together", BOUGHT_TOGETHER, "RELATED_ITEMS",
               "Frequently bought together: co-purchases scored by lift.", "ECOMMERCE"),
        Recipe("aws-ecomm-popular-items-by-purchases", BEST_SELLERS, "POPULAR_ITEMS",
               "Best sellers: purchases over a recent window, with time decay.", "ECOMMERCE"),
        Recipe("aws-ecomm-popular-items-by-views", MOST_VIEWED, "POPULAR_ITEMS",
               "Most viewed: views over a recent window, with time decay.", "ECOMMERCE"),
        Recipe("aws-ecomm-recommended-for-you", RECOMMENDED_FOR_YOU, "USER_PERSONALIZATION",
               "Recommended for you: item-based model scored from the user's recent events.",
               "ECOMMERCE"),
        Recipe("aws-user-personalization", RECOMMENDED_FOR_YOU, "USER_PERSONALIZATION",
               "User personalization, with itemExplorationConfig."),
        Recipe("aws-user-personalization-v2", RECOMMENDED_FOR_YOU, "USER_PERSONALIZATION",
               "User personalization (v2)."),
        Recipe("aws-personalized-ranking", RANKING, "PERSONALIZED_RANKING",
               "Personalized ranking of a given list of items."),
        Recipe("aws-personalized-ranking-v2", RANKING, "PERSONALIZED_RANKING",
               "Personalized ranking (v2)."),
        Recipe("aws-sims", ALSO_VIEWED, "RELATED_ITEMS",
               "SIMS: items that co-occur in users' histories."),
        Recipe("aws-popularity-count", MOST_VIEWED, "POPULAR_ITEMS",
               "Popularity count: the most interacted-with items (of the solution's eventType)."),
        Recipe("aws-trending-now", MOST_VIEWED, "POPULAR_ITEMS",
               "Trending now: recent popularity with time decay."),
        Recipe("aws-item-affinity", RECOMMENDED_FOR_YOU, "USER_SEGMENTATION",
               "Item affinity: the users most likely to interact with each item (batch segment jobs)."),
    )
}


def use_case_for(recipe_arn: str, event_type: str | None = None, purchase_type: str = "Purchase") -> str:
    """The engine use case a solution or recommender of ``recipe_arn`` serves
    (a popular-items recipe on the purchase event type counts purchases)."""
    use_case = RECIPES[recipe_arn].use_case
    if use_case == MOST_VIEWED and event_type == purchase_type:
        return BEST_SELLERS
    return use_case


def list_recipes(domain: str | None) -> list[dict[str, Any]]:
    """Every recipe (of ``domain`` when given), as RecipeSummary members."""
    return [
        r.describe() for r in RECIPES.values() if domain is None or r.domain == domain
    ]
