"""Updates and recommender switches move their statuses as AWS reports them:
an update's summary goes CREATE PENDING, CREATE IN_PROGRESS, ACTIVE (or
CREATE FAILED) while the resource stays ACTIVE and serves with its previous
settings; StopRecommender and StartRecommender go through their PENDING and
IN_PROGRESS statuses; a delete goes DELETE PENDING, DELETE IN_PROGRESS, then
Describe answers ResourceNotFoundException."""

from __future__ import annotations

import threading
from collections import defaultdict

import pytest

from personalize_sdk.server.control.jobs import JobFailed
from tests.sdk.server.control.conftest import RECIPE, build_group, train_solution

#: an exploring campaign's config (items up to 30 days old count as new)
EXPLORING = {"itemExplorationConfig": {"explorationWeight": "1", "explorationItemAgeCutOff": "30"}}
QUIET = {"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}}


@pytest.fixture(scope="module")
def custom(plane):
    """A custom group with a user-personalization version and a campaign that does not explore."""
    arns = build_group(plane, "updates", domain=None)
    _, arns["version"] = train_solution(plane, arns["group"], "updates-up", "aws-user-personalization")
    return arns


@pytest.fixture
def campaign(plane, custom, request):
    client = plane.personalize
    arn = client.create_campaign(
        name=f"updates-{request.node.name[5:40].replace('_', '-')}", solutionVersionArn=custom["version"],
        campaignConfig=QUIET,
    )["campaignArn"]
    assert plane.wait("Campaign", arn)["status"] == "ACTIVE"
    yield arn
    client.delete_campaign(campaignArn=arn)
    plane.gone("Campaign", arn)


@pytest.fixture
def statuses(plane, monkeypatch):
    """Every status the control plane writes, by ARN (a resource's own) and
    by (ARN, summary member) (an update's), in order."""
    store = plane.app.control.ctx.store
    seen: dict = defaultdict(list)
    original = store.update

    def update(arn, changes, **options):
        for member, value in changes.items():
            if member == "status":
                seen[arn].append(value)
            elif member.startswith("latest") and isinstance(value, dict) and "status" in value:
                seen[(arn, member)].append(value["status"])
        return original(arn, changes, **options)

    monkeypatch.setattr(store, "update", update)
    return seen


@pytest.fixture
def held(plane, monkeypatch):
    """The check of a campaign's update, held until the test releases it."""
    started, release = threading.Event(), threading.Event()
    updates = plane.app.control.ctx.jobs.updates
    check = updates["campaign"]

    def holding(ctx, record, summary):
        started.set()
        assert release.wait(60)
        check(ctx, record, summary)

    monkeypatch.setitem(updates, "campaign", holding)
    yield started, release
    release.set()


def reasons(plane, campaign) -> list:
    answer = plane.runtime.get_recommendations(campaignArn=campaign, userId="u5", numResults=10)
    return [entry.get("reason") for entry in answer["itemList"]]


def test_a_campaign_serves_its_old_settings_until_its_update_is_active(plane, campaign, statuses, held):
    client = plane.personalize
    started, release = held
    assert not any(reasons(plane, campaign))

    client.update_campaign(campaignArn=campaign, minProvisionedTPS=3, campaignConfig=EXPLORING)
    assert started.wait(60)
    during = client.describe_campaign(campaignArn=campaign)["campaign"]
    assert during["status"] == "ACTIVE"
    assert during["latestCampaignUpdate"]["status"] == "CREATE IN_PROGRESS"
    assert during["latestCampaignUpdate"]["minProvisionedTPS"] == 3
    assert (during["minProvisionedTPS"], during["campaignConfig"]) == (1, QUIET)
    assert not any(reasons(plane, campaign))  # still the campaign's previous configuration
    with pytest.raises(client.exceptions.ResourceInUseException, match="update CREATE IN_PROGRESS"):
        client.update_campaign(campaignArn=campaign, minProvisionedTPS=4)

    release.set()
    after = plane.wait_update("Campaign", campaign)
    assert statuses[(campaign, "latestCampaignUpdate")] == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    assert (after["status"], after["minProvisionedTPS"], after["campaignConfig"]) == ("ACTIVE", 3, EXPLORING)
    assert any(reasons(plane, campaign))


def test_a_failed_campaign_update_keeps_the_campaign_as_it_was(plane, campaign, monkeypatch):
    def refuse(ctx, record, summary):
        raise JobFailed("The model cannot serve recommended_for_you: too few events.")

    monkeypatch.setitem(plane.app.control.ctx.jobs.updates, "campaign", refuse)
    plane.personalize.update_campaign(campaignArn=campaign, minProvisionedTPS=5, campaignConfig=EXPLORING)

    after = plane.wait_update("Campaign", campaign)
    assert after["latestCampaignUpdate"]["status"] == "CREATE FAILED"
    assert "too few events" in after["latestCampaignUpdate"]["failureReason"]
    assert (after["status"], after["minProvisionedTPS"], after["campaignConfig"]) == ("ACTIVE", 1, QUIET)
    assert not any(reasons(plane, campaign))


def test_a_recommender_update_stop_and_start_go_through_each_status(plane, statuses):
    client = plane.personalize
    arns = build_group(plane, "switched", items=False)
    recommender = client.create_recommender(
        name="switched-views", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
    )["recommenderArn"]
    assert plane.wait("Recommender", recommender)["status"] == "ACTIVE"

    client.update_recommender(recommenderArn=recommender, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
    updated = plane.wait_update("Recommender", recommender)
    client.stop_recommender(recommenderArn=recommender)
    assert plane.wait("Recommender", recommender)["status"] == "INACTIVE"
    client.start_recommender(recommenderArn=recommender)
    assert plane.wait("Recommender", recommender)["status"] == "ACTIVE"

    assert statuses[(recommender, "latestRecommenderUpdate")] == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    assert updated["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 3}
    assert statuses[recommender] == [
        "CREATE IN_PROGRESS", "ACTIVE",
        "STOP PENDING", "STOP IN_PROGRESS", "INACTIVE",
        "START PENDING", "START IN_PROGRESS", "ACTIVE",
    ]
    assert plane.runtime.get_recommendations(recommenderArn=recommender, userId="u1")["itemList"]


def test_a_delete_goes_pending_then_in_progress_then_is_gone(plane, custom, statuses):
    client = plane.personalize
    arn = client.create_filter(name="updates-doomed", datasetGroupArn=custom["group"],
                               filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")')["filterArn"]
    assert plane.wait("Filter", arn)["status"] == "ACTIVE"

    client.delete_filter(filterArn=arn)
    plane.gone("Filter", arn)

    assert statuses[arn] == ["CREATE IN_PROGRESS", "ACTIVE", "DELETE PENDING", "DELETE IN_PROGRESS"]


def test_a_campaign_may_name_its_solution_s_latest_version(plane, custom):
    client = plane.personalize
    solution = client.describe_solution_version(solutionVersionArn=custom["version"])["solutionVersion"]["solutionArn"]
    with pytest.raises(client.exceptions.InvalidInputException, match="SolutionArn/\\$LATEST"):
        client.create_campaign(name="updates-latest", solutionVersionArn=custom["version"],
                               campaignConfig={"syncWithLatestSolutionVersion": True})
    campaign = client.create_campaign(name="updates-latest", solutionVersionArn=f"{solution}/$LATEST",
                                      campaignConfig={"syncWithLatestSolutionVersion": True})["campaignArn"]
    assert plane.wait("Campaign", campaign)["status"] == "ACTIVE"
    assert plane.runtime.get_recommendations(campaignArn=campaign, userId="u5", numResults=3)["itemList"]

    newer = client.create_solution_version(solutionArn=solution, trainingMode="UPDATE")["solutionVersionArn"]
    assert plane.wait("SolutionVersion", newer)["status"] == "ACTIVE"
    client.update_campaign(campaignArn=campaign, minProvisionedTPS=2)
    assert plane.wait_update("Campaign", campaign)["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert client.describe_campaign(campaignArn=campaign)["campaign"]["solutionVersionArn"] == f"{solution}/$LATEST"
    client.delete_campaign(campaignArn=campaign)
    plane.gone("Campaign", campaign)
