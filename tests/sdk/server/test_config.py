"""ServerConfig: defaults, ARNs, checks, files; and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from personalize_sdk.exceptions import ConfigurationError
from personalize_sdk.server import RANKING, ServerConfig
from personalize_sdk.server.__main__ import (
    backend_options_from_args,
    build_parser,
    config_from_args,
)


def test_the_defaults_serve_every_use_case_as_recommender_and_campaign():
    config = ServerConfig()

    assert (
        config.recommender_arn("best_sellers")
        == "arn:aws:personalize:local:000000000000:recommender/best_sellers"
    )
    assert config.resolve(config.recommender_arn("also_viewed"), "recommender") == "also_viewed"
    assert config.campaigns["personalized-ranking"] == RANKING
    assert config.items_dataset_arn == "arn:aws:personalize:local:000000000000:dataset/local/ITEMS"
    assert config.users_dataset_arn.endswith(":dataset/local/USERS")
    assert config.tracking_ids == ("local-tracking-id",)
    assert config.access_keys == {} and config.fault_rate == 0.0


def test_arns_follow_region_and_account():
    config = ServerConfig(
        region="eu-west-1",
        account_id="123456789012",
        recommenders={"for-you": "recommended_for_you"},
    )

    arn = "arn:aws:personalize:eu-west-1:123456789012:recommender/for-you"
    assert config.recommender_arn("for-you") == arn
    assert config.resolve(arn, "recommender") == "for-you"
    assert config.resolve(arn.replace("eu-west-1", "local"), "recommender") is None
    assert config.resolve(config.recommender_arn("recommended_for_you"), "recommender") is None
    assert config.resolve(arn, "campaign") is None


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"recommenders": {"x": "personalized_ranking"}}, "recommenders"),
        ({"campaigns": {"x": "top_picks"}}, "top_picks"),
        ({"recommenders": {"bad name": "best_sellers"}}, "resource name"),
        ({"account_id": "123"}, "12 digits"),
        ({"fault_rate": 1.5}, "fault_rate"),
        ({"fault_kinds": ["gremlins"]}, "fault_kinds"),
        ({"tracking_ids": [""]}, "tracking_ids"),
        ({"filters": {"f": ""}}, "expression"),
        ({"access_keys": {"AKID": ""}}, "access_keys"),
    ],
)
def test_bad_settings_are_configuration_errors(settings, match):
    with pytest.raises(ConfigurationError, match=match):
        ServerConfig(**settings)


def test_from_mapping_refuses_unknown_keys():
    with pytest.raises(ConfigurationError, match="Unknown server setting.*recomenders"):
        ServerConfig.from_mapping({"recomenders": {}})


def test_from_file_reads_json(tmp_path):
    path = tmp_path / "local.json"
    path.write_text(
        json.dumps(
            {"tracking_ids": ["t-1"], "filters": {"cheap": "INCLUDE ItemID WHERE Items.PRICE < 10"}}
        )
    )

    config = ServerConfig.from_file(str(path))

    assert config.tracking_ids == ("t-1",)
    assert config.filter_arn("cheap") in config.describe()["filters"]


def test_describe_never_shows_secrets():
    description = json.dumps(ServerConfig(access_keys={"AKID": "s3cr3t"}).describe())

    assert "s3cr3t" not in description and "SigV4" in description


def test_a_filter_that_does_not_parse_fails_at_start_up():
    from personalize_sdk.backends.memory import MemoryBackend
    from personalize_sdk.server import PersonalizeServer

    with pytest.raises(ConfigurationError, match="'broken'"):
        PersonalizeServer(MemoryBackend(), {"filters": {"broken": "INCLUDE ItemID WHERE"}})


def test_command_line_settings_override_the_file(tmp_path):
    path = tmp_path / "local.json"
    path.write_text(
        json.dumps(
            {
                "region": "eu-west-1",
                "tracking_ids": ["from-file"],
                "filters": {"a": 'EXCLUDE ItemID WHERE Items.X IN ("y")'},
            }
        )
    )
    args = build_parser().parse_args(
        [
            "--config",
            str(path),
            "--tracking-id",
            "t-1",
            "--tracking-id",
            "t-2",
            "--recommender",
            "for-you=recommended_for_you",
            "--filter",
            'b=INCLUDE ItemID WHERE Items.X IN ("z")',
            "--access-key",
            "AKID:se:cret",
            "--fault-rate",
            "0.25",
            "--fault-seed",
            "3",
            "--fault-kinds",
            "throttling, internal",
            "--lenient-inputs",
        ]
    )

    config = config_from_args(args)

    assert config.region == "eu-west-1"
    assert config.tracking_ids == ("t-1", "t-2")
    assert config.recommenders == {"for-you": "recommended_for_you"}
    assert set(config.filters) == {"a", "b"}
    assert config.access_keys == {"AKID": "se:cret"}  # split at the first colon
    assert (config.fault_rate, config.fault_seed, config.fault_kinds) == (
        0.25,
        3,
        ("throttling", "internal"),
    )
    assert config.strict_inputs is False


def test_backend_options_are_read_as_json_where_they_parse():
    args = build_parser().parse_args(
        [
            "--path", "var/p",
            "--backend-option", "min_data_scale=0.01",
            "--backend-option", "auto_train=false",
            "--backend-option", 'event_weights={"View": 1}',
            "--backend-option", "synchronous=FULL",
        ]
    )  # fmt: skip

    assert backend_options_from_args(args) == {
        "path": "var/p",
        "min_data_scale": 0.01,
        "auto_train": False,
        "event_weights": {"View": 1},
        "synchronous": "FULL",
    }


def test_python_m_serves_until_stopped(tmp_path):
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("numpy")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "personalize_sdk.server", "--path", str(tmp_path / "data"),
            "--port", "0", "--quiet", "--backend-option", "min_data_scale=0.01",
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()  # printed once the port is bound
        assert banner.startswith("Local Personalize serving on http://127.0.0.1:")
        url = banner.split(" on ")[1].strip()
        client = boto3.client(
            "personalize-events",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
        client.put_items(datasetArn=ServerConfig().items_dataset_arn, items=[{"itemId": "1"}])
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
    assert (tmp_path / "data").exists()  # the engine kept its data under --path


def test_a_bad_command_line_exits_with_the_reason(capsys):
    from personalize_sdk.server.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(["--recommender", "nonsense"])

    assert info.value.code == 2
    assert "--recommender takes NAME=VALUE" in capsys.readouterr().err


def test_the_server_imports_and_runs_with_the_standard_library_alone():
    # botocore is needed only for SigV4, numpy only by the local engine.
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"boto3", "botocore", "numpy", "scipy", "django", "requests"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.server import PersonalizeServer
app = PersonalizeServer(MemoryBackend())
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.stdout.strip() == "ok", result.stderr
