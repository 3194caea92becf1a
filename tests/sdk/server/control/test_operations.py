"""One test (or parametrized case) per operation of botocore's personalize
model, with real boto3 clients; the last test checks none is left out."""

from __future__ import annotations

import json

import pytest
from botocore.loaders import Loader

from tests.sdk.server.control.conftest import INTERACTIONS_SCHEMA, RECIPE, ROLE, build_group, snake, train_solution

#: every operation some test below calls
COVERED: set[str] = set()


def covers(*operations: str):
    COVERED.update(operations)
    return lambda test: test


@pytest.fixture(scope="module")
def world(plane):
    """One of every resource kind, all ACTIVE."""
    client = plane.personalize
    arns = build_group(plane, "world")
    solution, version = train_solution(plane, arns["group"], "world-up", "aws-user-personalization",
                                       tags=[{"tagKey": "team", "tagValue": "shop"}])
    _, segment_version = train_solution(plane, arns["group"], "world-affinity", "aws-item-affinity")
    arns.update(solution=solution, version=version, segment_version=segment_version)
    arns["campaign"] = client.create_campaign(name="world-up", solutionVersionArn=version)["campaignArn"]
    arns["recommender"] = client.create_recommender(
        name="world-views", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
    )["recommenderArn"]
    arns["filter"] = client.create_filter(
        name="world-no-purchase", datasetGroupArn=arns["group"],
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    )["filterArn"]
    arns["tracker"] = client.create_event_tracker(name="world", datasetGroupArn=arns["group"])["eventTrackerArn"]
    arns["attribution"] = client.create_metric_attribution(
        name="world", datasetGroupArn=arns["group"],
        metrics=[{"eventType": "Purchase", "metricName": "REVENUE", "expression": "SUM(Items.PRICE)"}],
        metricsOutputConfig={"roleArn": ROLE},
    )["metricAttributionArn"]
    users = plane.upload("world/users.json", '{"userId": "u1"}\n{"userId": "u2"}\n')
    arns["batch"] = client.create_batch_inference_job(
        jobName="world", solutionVersionArn=version, roleArn=ROLE,
        jobInput={"s3DataSource": {"path": users}}, jobOutput={"s3DataDestination": {"path": "s3://bucket/world-out/"}},
    )["batchInferenceJobArn"]
    items = plane.upload("world/items.json", '{"itemId": "i3"}\n')
    arns["segment"] = client.create_batch_segment_job(
        jobName="world", solutionVersionArn=segment_version, roleArn=ROLE, numResults=5,
        jobInput={"s3DataSource": {"path": items}}, jobOutput={"s3DataDestination": {"path": "s3://bucket/world-seg/"}},
    )["batchSegmentJobArn"]
    arns["export"] = client.create_dataset_export_job(
        jobName="world", datasetArn=arns["Interactions"], roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": "s3://bucket/world-export/"}},
    )["datasetExportJobArn"]
    arns["deletion"] = client.create_data_deletion_job(
        jobName="world", datasetGroupArn=arns["group"], roleArn=ROLE,
        dataSource={"dataLocation": plane.upload("world/forget.csv", "USER_ID\nu39\n")},
    )["dataDeletionJobArn"]
    for operation, key in KINDS:
        described = plane.wait(operation, arns[key])
        assert described["status"] == "ACTIVE", (operation, described.get("failureReason"))
    return arns


#: (Describe suffix, world key) of every kind with a status
KINDS = [
    ("DatasetGroup", "group"), ("Dataset", "Interactions"), ("DatasetImportJob", "Interactions-import"),
    ("DatasetExportJob", "export"), ("Solution", "solution"), ("SolutionVersion", "version"),
    ("Campaign", "campaign"), ("Recommender", "recommender"), ("Filter", "filter"), ("EventTracker", "tracker"),
    ("MetricAttribution", "attribution"), ("BatchInferenceJob", "batch"), ("BatchSegmentJob", "segment"),
    ("DataDeletionJob", "deletion"),
]
COVERED.update(f"Create{op}" for op, _ in KINDS)
COVERED.update(f"Describe{op}" for op, _ in KINDS)
COVERED.update({"CreateSchema", "GetSolutionMetrics"})


@pytest.mark.parametrize("operation, key", KINDS)
def test_describe_answers_the_resource_as_its_shape(plane, world, operation, key):
    described = getattr(plane.personalize, snake(f"Describe{operation}"))(
        **{_member(operation): world[key]}
    )[_member(operation)[:-3]]
    assert described[_member(operation)] == world[key]
    assert described["status"] == "ACTIVE"
    assert not [member for member in described if member.startswith("_")]


LISTS = [
    ("ListDatasetGroups", "datasetGroups", None), ("ListDatasets", "datasets", ("datasetGroupArn", "group")),
    ("ListDatasetImportJobs", "datasetImportJobs", ("datasetArn", "Interactions")),
    ("ListDatasetExportJobs", "datasetExportJobs", ("datasetArn", "Interactions")),
    ("ListSolutions", "solutions", ("datasetGroupArn", "group")),
    ("ListSolutionVersions", "solutionVersions", ("solutionArn", "solution")),
    ("ListCampaigns", "campaigns", ("solutionArn", "solution")),
    ("ListRecommenders", "recommenders", ("datasetGroupArn", "group")),
    ("ListFilters", "Filters", ("datasetGroupArn", "group")),
    ("ListEventTrackers", "eventTrackers", ("datasetGroupArn", "group")),
    ("ListMetricAttributions", "metricAttributions", ("datasetGroupArn", "group")),
    ("ListBatchInferenceJobs", "batchInferenceJobs", ("solutionVersionArn", "version")),
    ("ListBatchSegmentJobs", "batchSegmentJobs", ("solutionVersionArn", "segment_version")),
    ("ListDataDeletionJobs", "dataDeletionJobs", ("datasetGroupArn", "group")),
    ("ListSchemas", "schemas", None),
]
COVERED.update(op for op, _, _ in LISTS)


@pytest.mark.parametrize("operation, key, parent", LISTS)
def test_every_list_pages_with_next_token(plane, world, operation, key, parent):
    params = {parent[0]: world[parent[1]]} if parent else {}
    call = getattr(plane.personalize, snake(operation))
    everything = call(**params)[key]
    assert everything
    seen, token = [], None
    for _ in range(len(everything)):
        page = call(maxResults=1, **params, **({"nextToken": token} if token else {}))
        seen += page[key]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == everything


@covers("ListRecipes", "DescribeRecipe")
def test_recipes_list_the_ecommerce_use_cases_and_describe_each(plane):
    recipes = plane.personalize.list_recipes(domain="ECOMMERCE")["recipes"]
    assert {r["name"] for r in recipes} == {
        "aws-ecomm-customers-who-viewed-x-also-viewed", "aws-ecomm-frequently-bought-together",
        "aws-ecomm-popular-items-by-purchases", "aws-ecomm-popular-items-by-views", "aws-ecomm-recommended-for-you",
    }
    described = plane.personalize.describe_recipe(recipeArn=RECIPE + "aws-sims")["recipe"]
    assert described["recipeType"] == "RELATED_ITEMS"
    pages = list(plane.personalize.get_paginator("list_recipes").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) > 1
    assert len({r["name"] for page in pages for r in page["recipes"]}) == sum(len(p["recipes"]) for p in pages)


@covers("TagResource", "UntagResource", "ListTagsForResource")
def test_tags_are_set_listed_and_removed(plane, world):
    client = plane.personalize
    assert client.list_tags_for_resource(resourceArn=world["solution"])["tags"] == [{"tagKey": "team", "tagValue": "shop"}]
    client.tag_resource(resourceArn=world["solution"], tags=[{"tagKey": "env", "tagValue": "dev"}])
    client.untag_resource(resourceArn=world["solution"], tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=world["solution"])["tags"] == [{"tagKey": "env", "tagValue": "dev"}]


@covers("UpdateCampaign")
def test_update_campaign_records_the_new_settings(plane, world):
    plane.personalize.update_campaign(campaignArn=world["campaign"], minProvisionedTPS=2)
    described = plane.wait_update("Campaign", world["campaign"])
    assert described["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert described["minProvisionedTPS"] == 2
    assert described["latestCampaignUpdate"]["solutionVersionArn"] == world["version"]


@covers("UpdateRecommender", "StopRecommender", "StartRecommender")
def test_recommenders_update_stop_and_start(plane, world):
    client = plane.personalize
    client.update_recommender(recommenderArn=world["recommender"], recommenderConfig={"minRecommendationRequestsPerSecond": 2})
    described = plane.wait_update("Recommender", world["recommender"])
    assert described["latestRecommenderUpdate"]["status"] == "ACTIVE"
    assert described["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 2}
    client.stop_recommender(recommenderArn=world["recommender"])
    assert plane.wait("Recommender", world["recommender"])["status"] == "INACTIVE"
    with pytest.raises(plane.runtime.exceptions.ResourceNotFoundException):
        plane.runtime.get_recommendations(recommenderArn=world["recommender"], userId="u1")
    client.start_recommender(recommenderArn=world["recommender"])
    assert plane.wait("Recommender", world["recommender"])["status"] == "ACTIVE"


@covers("UpdateSolution", "UpdateDataset", "UpdateMetricAttribution", "ListMetricAttributionMetrics")
def test_updates_of_solutions_datasets_and_metric_attributions(plane, world):
    client = plane.personalize
    client.update_solution(solutionArn=world["solution"], performAutoTraining=False)
    described = plane.wait_update("Solution", world["solution"])
    assert described["latestSolutionUpdate"]["status"] == "ACTIVE"
    assert described["performAutoTraining"] is False
    wider = dict(INTERACTIONS_SCHEMA, fields=INTERACTIONS_SCHEMA["fields"] + [{"name": "EVENT_VALUE", "type": ["null", "float"]}])
    schema = client.create_schema(name="world-wider", schema=json.dumps(wider), domain="ECOMMERCE")["schemaArn"]
    client.update_dataset(datasetArn=world["Interactions"], schemaArn=schema)
    described = plane.wait_update("Dataset", world["Interactions"])
    assert described["latestDatasetUpdate"]["status"] == "ACTIVE"
    assert described["schemaArn"] == schema
    client.update_metric_attribution(
        metricAttributionArn=world["attribution"],
        addMetrics=[{"eventType": "View", "metricName": "VIEWS", "expression": "SAMPLECOUNT()"}],
    )
    names = [m["metricName"] for m in client.list_metric_attribution_metrics(metricAttributionArn=world["attribution"])["metrics"]]
    assert names == ["REVENUE", "VIEWS"]
    first = client.list_metric_attribution_metrics(metricAttributionArn=world["attribution"], maxResults=1)
    second = client.list_metric_attribution_metrics(metricAttributionArn=world["attribution"], maxResults=1,
                                                    nextToken=first["nextToken"])
    assert [m["metricName"] for m in first["metrics"] + second["metrics"]] == names
    assert "nextToken" not in second


@covers("StopSolutionVersionCreation")
def test_stopping_a_finished_version_is_refused(plane, world):
    with pytest.raises(plane.personalize.exceptions.ResourceInUseException):
        plane.personalize.stop_solution_version_creation(solutionVersionArn=world["version"])


def test_the_jobs_wrote_their_output(plane, world):
    assert "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP" in plane.read("world-export/world/interactions.csv")
    segment = json.loads(plane.read("world-seg/items.json.out"))
    assert segment["input"] == {"itemId": "i3"} and segment["output"]["usersList"]
    assert plane.personalize.describe_data_deletion_job(dataDeletionJobArn=world["deletion"])["dataDeletionJob"]["numDeleted"] == 1


@covers("DescribeAlgorithm", "DescribeFeatureTransformation")
@pytest.mark.parametrize("operation, member", [("describe_algorithm", "algorithmArn"),
                                               ("describe_feature_transformation", "featureTransformationArn")])
def test_what_exists_only_on_aws_answers_a_modeled_error(plane, operation, member):
    with pytest.raises(plane.personalize.exceptions.InvalidInputException, match="not available in the local"):
        getattr(plane.personalize, operation)(**{member: "arn:aws:personalize:::algorithm/aws-hrnn"})


DELETES = ["DeleteCampaign", "DeleteRecommender", "DeleteFilter", "DeleteEventTracker", "DeleteMetricAttribution",
           "DeleteSolution", "DeleteDataset", "DeleteSchema", "DeleteDatasetGroup"]
COVERED.update(DELETES)


def test_deletes_come_children_first_and_end_in_not_found(plane):
    client = plane.personalize
    arns = build_group(plane, "doomed", items=False)
    solution = client.create_solution(name="doomed", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-sims")["solutionArn"]
    plane.wait("Solution", solution)
    recommender = client.create_recommender(
        name="doomed", datasetGroupArn=arns["group"], recipeArn=RECIPE + "aws-ecomm-popular-items-by-views"
    )["recommenderArn"]
    plane.wait("Recommender", recommender)
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.delete_dataset_group(datasetGroupArn=arns["group"])
    client.delete_recommender(recommenderArn=recommender)
    plane.gone("Recommender", recommender)
    version = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    plane.wait("SolutionVersion", version)
    client.delete_solution(solutionArn=solution)
    plane.gone("Solution", solution)
    plane.gone("SolutionVersion", version)  # a solution's versions go with it
    client.delete_dataset(datasetArn=arns["Interactions"])
    plane.gone("Dataset", arns["Interactions"])
    plane.gone("DatasetImportJob", arns["Interactions-import"])
    client.delete_schema(schemaArn=arns["Interactions-schema"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_schema(schemaArn=arns["Interactions-schema"])
    client.delete_dataset_group(datasetGroupArn=arns["group"])
    plane.gone("DatasetGroup", arns["group"])
    assert not (plane.data / "dataset-groups" / "doomed").exists()


def test_the_small_resources_delete_too(plane, world):
    client = plane.personalize
    group = world["group"]
    filter_arn = client.create_filter(name="world-temp", datasetGroupArn=group,
                                      filterExpression='EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("hats")')["filterArn"]
    plane.wait("Filter", filter_arn)
    campaign = client.create_campaign(name="world-temp", solutionVersionArn=world["version"])["campaignArn"]
    plane.wait("Campaign", campaign)
    for operation, arn in (("Filter", filter_arn), ("Campaign", campaign), ("EventTracker", world["tracker"]),
                           ("MetricAttribution", world["attribution"])):
        getattr(client, snake(f"Delete{operation}"))(**{_member(operation): arn})
        plane.gone(operation, arn)


def test_every_operation_of_the_model_is_tested():
    model = Loader().load_service_model("personalize", "service-2")
    COVERED.add("DescribeSchema")  # in test_deletes_come_children_first_and_end_in_not_found
    assert sorted(set(model["operations"]) - COVERED) == []


def _member(operation: str) -> str:
    return operation[0].lower() + operation[1:] + "Arn"
