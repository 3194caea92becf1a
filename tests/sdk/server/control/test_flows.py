"""The flows of AWS's own samples, end to end, with real boto3 clients."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.sdk.server.control.conftest import RECIPE, ROLE, build_group, train_solution


@pytest.fixture(scope="module")
def shop(plane):
    return build_group(plane, "shop")


@pytest.fixture(scope="module")
def custom(plane):
    """A custom dataset group with a user-personalization and a ranking solution."""
    arns = build_group(plane, "custom", domain=None)
    for role, recipe in (("up", "aws-user-personalization"), ("rank", "aws-personalized-ranking")):
        arns[f"{role}-solution"], arns[f"{role}-version"] = train_solution(plane, arns["group"], f"custom-{role}", recipe)
    return arns


def test_the_ecommerce_domain_flow_ends_in_filtered_recommendations(plane, shop):
    client = plane.personalize
    recommender = client.create_recommender(
        name="shop-rfy", datasetGroupArn=shop["group"], recipeArn=RECIPE + "aws-ecomm-recommended-for-you"
    )["recommenderArn"]
    described = plane.wait("Recommender", recommender)
    assert described["status"] == "ACTIVE", described.get("failureReason")
    filter_arn = client.create_filter(
        name="shop-hats", datasetGroupArn=shop["group"],
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("hats")',
    )["filterArn"]
    assert plane.wait("Filter", filter_arn)["status"] == "ACTIVE"

    answer = plane.runtime.get_recommendations(
        recommenderArn=recommender, userId="u3", numResults=10, filterArn=filter_arn
    )
    items = [entry["itemId"] for entry in answer["itemList"]]
    assert items and all(int(item[1:]) % 2 == 0 for item in items)  # even ids are hats
    unfiltered = plane.runtime.get_recommendations(recommenderArn=recommender, userId="u3", numResults=10)
    assert any(int(entry["itemId"][1:]) % 2 for entry in unfiltered["itemList"])


def test_a_recommender_whose_data_is_short_fails_naming_the_cause(plane):
    client = plane.personalize
    group = client.create_dataset_group(name="empty-shop", domain="ECOMMERCE")["datasetGroupArn"]
    plane.wait("DatasetGroup", group)
    recommender = client.create_recommender(
        name="empty-best", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-popular-items-by-purchases"
    )["recommenderArn"]
    described = plane.wait("Recommender", recommender)
    assert described["status"] == "CREATE FAILED"
    assert "best_sellers" in described["failureReason"]


def test_the_custom_flow_ends_in_a_personalized_ranking(plane, custom):
    client = plane.personalize
    metrics = client.get_solution_metrics(solutionVersionArn=custom["rank-version"])["metrics"]
    assert set(metrics) == {
        "coverage", "mean_reciprocal_rank_at_25",
        "normalized_discounted_cumulative_gain_at_5", "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5", "precision_at_10", "precision_at_25",
    }
    assert all(0 <= value <= 1 for value in metrics.values())
    assert metrics["coverage"] > 0
    campaign = client.create_campaign(
        name="custom-rank", solutionVersionArn=custom["rank-version"], minProvisionedTPS=1
    )["campaignArn"]
    assert plane.wait("Campaign", campaign)["status"] == "ACTIVE"

    ranked = plane.runtime.get_personalized_ranking(
        campaignArn=campaign, userId="u5", inputList=["i5", "i29", "i7", "i20"]
    )["personalizedRanking"]
    assert sorted(entry["itemId"] for entry in ranked) == ["i20", "i29", "i5", "i7"]
    assert ranked[0]["itemId"] in ("i5", "i7")  # u5 lives among items 5 to 10


def test_a_campaign_applies_its_item_exploration_config(plane, custom):
    client = plane.personalize
    plain, exploring = (
        client.create_campaign(
            name=f"custom-up-{weight}", solutionVersionArn=custom["up-version"],
            campaignConfig={"itemExplorationConfig": {"explorationWeight": weight, "explorationItemAgeCutOff": "30"}},
        )["campaignArn"]
        for weight in ("0", "1")
    )
    for campaign in (plain, exploring):
        assert plane.wait("Campaign", campaign)["status"] == "ACTIVE"
    described = client.describe_campaign(campaignArn=exploring)["campaign"]
    assert described["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "1"

    def reasons(campaign):
        answer = plane.runtime.get_recommendations(campaignArn=campaign, userId="u5", numResults=10)
        return [entry.get("reason") for entry in answer["itemList"]]

    assert not any(reasons(plain))
    assert any(reasons(exploring))


def test_put_events_through_the_event_tracker_change_the_next_answer(plane, custom):
    client = plane.personalize
    tracker = client.create_event_tracker(name="custom-tracker", datasetGroupArn=custom["group"])
    assert plane.wait("EventTracker", tracker["eventTrackerArn"])["status"] == "ACTIVE"
    campaign = client.create_campaign(name="custom-up", solutionVersionArn=custom["up-version"])["campaignArn"]
    plane.wait("Campaign", campaign)
    before = plane.runtime.get_recommendations(campaignArn=campaign, userId="newcomer", numResults=5)
    now = datetime.now(timezone.utc)
    plane.events.put_events(
        trackingId=tracker["trackingId"], userId="newcomer", sessionId="s-new",
        eventList=[{"eventType": "View", "itemId": f"i{n}", "sentAt": now} for n in (20, 21, 22, 23)],
    )
    after = plane.runtime.get_recommendations(campaignArn=campaign, userId="newcomer", numResults=5)
    assert [e["itemId"] for e in before["itemList"]] != [e["itemId"] for e in after["itemList"]]


def test_a_batch_inference_job_writes_where_the_samples_read(plane, custom):
    client = plane.personalize
    source = plane.upload("batch/users.json", "\n".join(json.dumps({"userId": f"u{n}"}) for n in range(3)) + "\n")
    job = client.create_batch_inference_job(
        jobName="custom-batch", solutionVersionArn=custom["up-version"], roleArn=ROLE, numResults=4,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": "s3://bucket/batch-out/"}},
    )["batchInferenceJobArn"]
    described = plane.wait("BatchInferenceJob", job)
    assert described["status"] == "ACTIVE", described.get("failureReason")
    lines = [json.loads(line) for line in plane.read("batch-out/users.json.out").splitlines()]
    assert [line["input"] for line in lines] == [{"userId": f"u{n}"} for n in range(3)]
    for line in lines:
        assert line["error"] is None
        assert len(line["output"]["recommendedItems"]) == 4
        assert len(line["output"]["scores"]) == 4


def test_everything_survives_a_restart(tmp_path_factory):
    from tests.sdk.server.control.conftest import make_plane

    plane, patch = make_plane(tmp_path_factory, "restart")
    try:
        arns = build_group(plane, "kept")
        recommender = plane.personalize.create_recommender(
            name="kept-views", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
        )["recommenderArn"]
        assert plane.wait("Recommender", recommender)["status"] == "ACTIVE"
        tracker = plane.personalize.create_event_tracker(name="kept", datasetGroupArn=arns["group"])
        plane.wait("EventTracker", tracker["eventTrackerArn"])
        plane.events.put_events(trackingId=tracker["trackingId"], userId="live", sessionId="s-live", eventList=[
            {"eventType": "View", "itemId": f"i{n}", "sentAt": datetime.now(timezone.utc), "eventId": f"live-{n}"}
            for n in (3, 4)
        ])
        first = plane.runtime.get_recommendations(recommenderArn=recommender, userId="u1")["itemList"]
        events = sorted(e.event_id for e in plane.app.control.ctx.groups.backend(arns["group"]).iter_events())
        resources = sorted((kind, arn, record.get("status")) for kind, arn, record in plane.app.control.ctx.store.all())
        plane.stop()
        plane.start()
        assert plane.personalize.describe_recommender(recommenderArn=recommender)["recommender"]["status"] == "ACTIVE"
        names = [d["name"] for d in plane.personalize.list_datasets(datasetGroupArn=arns["group"])["datasets"]]
        assert sorted(names) == ["kept-Interactions", "kept-Items"]
        again = plane.runtime.get_recommendations(recommenderArn=recommender, userId="u1")["itemList"]
        assert [e["itemId"] for e in again] == [e["itemId"] for e in first]
        assert sorted((kind, arn, record.get("status")) for kind, arn, record in plane.app.control.ctx.store.all()) == resources
        assert sorted(e.event_id for e in plane.app.control.ctx.groups.backend(arns["group"]).iter_events()) == events
        assert len(events) == 602 and {"live-3", "live-4"} <= set(events)
        plane.events.put_events(trackingId=tracker["trackingId"], userId="live", sessionId="s-live", eventList=[
            {"eventType": "View", "itemId": "i5", "sentAt": datetime.now(timezone.utc)}])  # the tracker still works
    finally:
        plane.stop()
        patch.undo()


def test_the_per_service_endpoint_variables_route_all_three_clients(plane, monkeypatch):
    import boto3

    for service in ("PERSONALIZE", "PERSONALIZE_RUNTIME", "PERSONALIZE_EVENTS"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", plane.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    recipes = boto3.client("personalize").list_recipes(domain="ECOMMERCE")["recipes"]
    assert len(recipes) == 5
    answer = boto3.client("personalize-runtime").get_recommendations(
        recommenderArn="arn:aws:personalize:local:000000000000:recommender/best_sellers", userId="u1"
    )
    assert "itemList" in answer
    boto3.client("personalize-events").put_events(
        trackingId="local-tracking-id", sessionId="s1",
        eventList=[{"eventType": "View", "itemId": "i1", "sentAt": datetime.now(timezone.utc)}],
    )


def test_users_import_and_put_items_and_put_users_reach_the_group_s_engine(plane, custom):
    client = plane.personalize
    users_schema = {"type": "record", "name": "Users", "fields": [
        {"name": "USER_ID", "type": "string"}, {"name": "TIER", "type": ["null", "string"], "categorical": True},
    ]}
    schema = client.create_schema(name="custom-users", schema=json.dumps(users_schema))["schemaArn"]
    users = client.create_dataset(name="custom-users", schemaArn=schema, datasetGroupArn=custom["group"],
                                  datasetType="Users")["datasetArn"]
    plane.wait("Dataset", users)
    job = client.create_dataset_import_job(
        jobName="custom-users", datasetArn=users, roleArn=ROLE,
        dataSource={"dataLocation": plane.upload("custom/users/part-1.csv", "USER_ID,TIER\nu1,gold\nu2,\n")},
    )["datasetImportJobArn"]
    assert plane.wait("DatasetImportJob", job)["status"] == "ACTIVE"
    plane.events.put_users(datasetArn=users, users=[{"userId": "u3", "properties": json.dumps({"tier": "silver"})}])
    plane.events.put_items(datasetArn=custom["Items"], items=[
        {"itemId": "i-new", "properties": json.dumps({"price": 3.5, "categoryL1": "hats"})},
    ])
    backend = plane.app.control.ctx.groups.backend(custom["group"])
    assert {u.user_id: u.properties for u in backend.iter_users()} == {
        "u1": {"tier": "gold"}, "u2": None, "u3": {"tier": "silver"},
    }
    assert "i-new" in {item.item_id for item in backend.iter_items()}
    assert "i-new" not in {item.item_id for item in plane.app.backend.iter_items()}  # the static backend's


def test_an_import_after_a_recommender_retrains_it(plane):
    import time

    from tests.sdk.server.control.conftest import PAUSE, POLLS

    arns = build_group(plane, "growing", items=False)
    recommender = plane.personalize.create_recommender(
        name="growing-views", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
    )["recommenderArn"]
    assert plane.wait("Recommender", recommender)["status"] == "ACTIVE"
    rows = "\n".join(f"u{n},i-hit,View,{1_700_100_000 + n}" for n in range(200))
    job = plane.personalize.create_dataset_import_job(
        jobName="growing-more", datasetArn=arns["Interactions"], roleArn=ROLE, importMode="INCREMENTAL",
        dataSource={"dataLocation": plane.upload("growing/more.csv", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + rows + "\n")},
    )["datasetImportJobArn"]
    assert plane.wait("DatasetImportJob", job)["status"] == "ACTIVE"
    for _ in range(POLLS):
        top = plane.runtime.get_recommendations(recommenderArn=recommender, userId="u1", numResults=1)["itemList"]
        if top and top[0]["itemId"] == "i-hit":
            break
        time.sleep(PAUSE)
    assert top[0]["itemId"] == "i-hit"


def test_an_interactions_import_larger_than_one_chunk_goes_in_whole_once(plane, monkeypatch):
    from personalize_sdk.engine import store

    from tests.sdk.server.control.conftest import interactions_csv

    monkeypatch.setattr(store, "IMPORT_CHUNK", 70)  # the job's 600 rows in 9 transactions
    arns = build_group(plane, "chunked", items=False)
    backend = plane.app.control.ctx.groups.backend(arns["group"])
    events = list(backend.iter_events())
    assert len(events) == 600 and len({e.event_id for e in events}) == 600
    # Each user's events keep the file's order across the chunks.
    expected = [line.split(",") for line in interactions_csv().splitlines()[1:]]
    for user in ("u0", "u7"):
        assert [e.item_id for e in events if e.user_id == user] == [i for u, i, *_ in expected if u == user]
    first = plane.personalize.describe_dataset_import_job(datasetImportJobArn=arns["Interactions-import"])
    again = plane.personalize.create_dataset_import_job(  # the same file again: its event ids are stored
        jobName="chunked-again", datasetArn=arns["Interactions"], roleArn=ROLE,
        dataSource=first["datasetImportJob"]["dataSource"],
    )["datasetImportJobArn"]
    assert plane.wait("DatasetImportJob", again)["status"] == "ACTIVE"
    assert backend.engine.store.count_events() == 600


def test_an_import_in_full_mode_replaces_the_bulk_data_and_keeps_what_came_one_by_one(plane):
    """Personalize: FULL "overwrites all existing bulk data in your dataset.
    Data you imported individually is not replaced"; INCREMENTAL appends."""
    arns = build_group(plane, "replaced")  # 600 interactions and 30 items, imported
    backend = plane.app.control.ctx.groups.backend(arns["group"])
    tracker = plane.personalize.create_event_tracker(name="replaced", datasetGroupArn=arns["group"])
    assert plane.wait("EventTracker", tracker["eventTrackerArn"])["status"] == "ACTIVE"
    plane.events.put_events(trackingId=tracker["trackingId"], userId="live", sessionId="s-live", eventList=[
        {"eventType": "View", "itemId": "i3", "sentAt": datetime.now(timezone.utc)},
    ])
    plane.events.put_items(datasetArn=arns["Items"], items=[
        {"itemId": "i-put", "properties": json.dumps({"price": 3.5, "categoryL1": "hats"})},
    ])

    def run(kind: str, mode: str, csv: str) -> None:
        job = plane.personalize.create_dataset_import_job(
            jobName=f"replaced-{kind}-{mode}-{len(csv)}", datasetArn=arns[kind], roleArn=ROLE, importMode=mode,
            dataSource={"dataLocation": plane.upload(f"replaced/{kind}-{mode}-{len(csv)}.csv", csv)},
        )["datasetImportJobArn"]
        described = plane.wait("DatasetImportJob", job)
        assert described["status"] == "ACTIVE", described.get("failureReason")

    rows = "".join(f"u{n},i{n % 5},View,{1_700_200_000 + n}\n" for n in range(30))
    run("Interactions", "FULL", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + rows)
    events = list(backend.iter_events())
    assert len(events) == 31  # the 30 of the new file, and the one put by PutEvents
    assert [e.user_id for e in events if not e.event_id.startswith("import-")] == ["live"]
    more = "".join(f"v{n},i{n % 5},View,{1_700_300_000 + n}\n" for n in range(10))
    run("Interactions", "INCREMENTAL", "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + more)
    assert backend.engine.store.count_events() == 41

    run("Items", "FULL", "ITEM_ID,PRICE,CATEGORY_L1\ni0,1.5,hats\ni1,2.5,shoes\n")
    assert sorted(item.item_id for item in backend.iter_items()) == ["i-put", "i0", "i1"]
    run("Items", "INCREMENTAL", "ITEM_ID,PRICE,CATEGORY_L1\ni2,3.5,hats\n")
    assert sorted(item.item_id for item in backend.iter_items()) == ["i-put", "i0", "i1", "i2"]
