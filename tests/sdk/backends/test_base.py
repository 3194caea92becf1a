"""The backend contract's optional capabilities: the flags each backend sets,
the error a backend without one raises, and the memory backend's own."""

from __future__ import annotations

import pytest

from personalize_sdk import ConfigurationError, Event, InvalidRequestError, Item, User
from personalize_sdk.backends import Backend, CapabilityError, backend_class, load_backend
from personalize_sdk.backends.aws import AwsBackend
from personalize_sdk.backends.http import HttpBackend
from personalize_sdk.backends.local import LocalBackend
from personalize_sdk.backends.memory import MemoryBackend
from personalize_sdk.recommendations import RecommendationList

FLAGS = (
    "can_train",
    "can_forget_users",
    "can_iterate_data",
    "filters_by_arn",
    "has_personalize_jobs",
    "can_import_events",
    "is_local_engine",
)


class Minimal(Backend):
    """Only what every backend must have."""

    name = "minimal"

    def put_events(self, events):
        pass

    def recommend(self, request):
        return RecommendationList(())

    def rank(self, request):
        return RecommendationList(())


@pytest.mark.parametrize(
    "cls, expected",
    [
        (
            LocalBackend,
            {"can_train", "can_forget_users", "can_iterate_data", "can_import_events", "is_local_engine"},
        ),
        (MemoryBackend, {"can_forget_users", "can_iterate_data"}),
        (AwsBackend, {"filters_by_arn", "has_personalize_jobs"}),
        (HttpBackend, set()),
        (Minimal, set()),
    ],
)
def test_each_backend_announces_its_capabilities(cls, expected):
    assert {flag for flag in FLAGS if getattr(cls, flag)} == expected


def test_only_a_backend_with_files_here_names_their_folder(tmp_path):
    assert LocalBackend(str(tmp_path / "engine")).data_folder == str(tmp_path / "engine")
    assert LocalBackend(tmp_path / "as-path").data_folder == str(tmp_path / "as-path")
    assert LocalBackend().data_folder is None  # in memory
    assert MemoryBackend().data_folder is None and Minimal().data_folder is None


@pytest.mark.parametrize(
    "call, capability",
    [
        (lambda b: b.train(), "can_train"),
        (lambda b: b.train(background=True), "can_train"),
        (lambda b: b.report(), "can_train"),
        (lambda b: b.forget_user("u1"), "can_forget_users"),
        (lambda b: b.iter_events(), "can_iterate_data"),
        (lambda b: b.iter_items(), "can_iterate_data"),
        (lambda b: b.iter_users(), "can_iterate_data"),
        (lambda b: b.import_events([]), "can_import_events"),
    ],
)
def test_a_missing_capability_is_an_error_naming_the_backend_and_the_flag(call, capability):
    with pytest.raises(CapabilityError) as info:
        call(Minimal())
    assert isinstance(info.value, ConfigurationError)
    assert info.value.backend == "minimal" and info.value.capability == capability
    assert str(info.value).startswith("The minimal backend cannot ")
    assert f"({capability} is False)" in str(info.value)


def test_a_backend_without_a_name_is_named_by_its_class():
    class Nameless(Minimal):
        name = ""

    with pytest.raises(CapabilityError, match="^The Nameless backend cannot train"):
        Nameless().train()


def test_backends_that_evaluate_filters_themselves_can_use_any_filter():
    assert Minimal.can_use_filter("available", {}) is True
    assert LocalBackend.can_use_filter("available", {"filters": {}}) is True


def test_a_filters_by_arn_backend_without_an_override_uses_no_filter():
    class ByArn(Minimal):
        filters_by_arn = True

    assert ByArn.can_use_filter("available", {"filters": {"available": "arn:..."}}) is False


def test_the_aws_backend_uses_a_filter_only_once_its_arn_is_mapped():
    arn = "arn:aws:personalize:us-east-1:123456789012:filter/available"
    assert AwsBackend.can_use_filter("available", {"filters": {"available": arn}}) is True
    assert AwsBackend.can_use_filter("available", {"filters": {"in_stock": arn}}) is False
    assert AwsBackend.can_use_filter("available", {}) is False
    assert AwsBackend.can_use_filter("available", {"filters": None}) is False


def test_backend_class_reads_the_class_without_building_it():
    assert backend_class("memory") is MemoryBackend
    assert backend_class(None) is LocalBackend
    assert backend_class(AwsBackend) is AwsBackend
    assert backend_class(MemoryBackend()) is MemoryBackend
    with pytest.raises(ConfigurationError, match="neither a Backend instance"):
        backend_class(42)


def test_load_backend_still_refuses_what_is_not_a_backend():
    with pytest.raises(ConfigurationError, match="neither a Backend instance"):
        load_backend(dict)


# -- the memory backend's capabilities -------------------------------------------
def test_the_memory_backend_gives_back_what_it_keeps():
    backend = MemoryBackend()
    backend.put_events([Event("View", "s1", "i1", "u1"), Event("View", "s1", "i2", "u1")])
    backend.put_items([Item("i1", {"PRICE": 3}), Item("i1", {"PRICE": 4})])
    backend.put_users([User("u1")])
    assert [e.item_id for e in backend.iter_events()] == ["i1", "i2"]
    assert [i.properties["PRICE"] for i in backend.iter_items()] == [4]
    assert [u.user_id for u in backend.iter_users()] == ["u1"]


def test_the_memory_backend_gives_the_events_since_a_time():
    from datetime import datetime, timezone

    backend = MemoryBackend()
    backend.put_events([Event("View", "s1", f"i{n}", "u1", sent_at=1_700_000_000 + n) for n in range(4)])
    since = datetime.fromtimestamp(1_700_000_002, timezone.utc)
    assert [e.item_id for e in backend.iter_events(since=since)] == ["i2", "i3"]


def test_the_memory_backend_forgets_a_user_and_their_guest_sessions_only():
    backend = MemoryBackend()
    backend.put_events([Event("View", "guest", "i1")])
    backend.put_events([Event("Login", "guest", user_id="zed")])
    backend.put_events([Event("View", "zed-s", "i2", "zed")])
    backend.put_events([Event("View", "other-guest", "i3")])
    backend.put_events([Event("View", "amy-s", "i4", "amy")])
    backend.put_users([User("zed"), User("amy")])

    assert backend.forget_user("zed") == {"events": 2, "guest_events": 1, "users": 1}

    assert [(e.user_id, e.item_id) for e in backend.events] == [(None, "i3"), ("amy", "i4")]
    assert list(backend.users) == ["amy"]
    assert backend.forget_user("zed") == {"events": 0, "guest_events": 0, "users": 0}


@pytest.mark.parametrize("user_id", ["", None, 42])
@pytest.mark.parametrize("make", [MemoryBackend, lambda: LocalBackend(auto_train=False)])
def test_forgetting_needs_a_user_id(make, user_id):
    backend = make()
    with pytest.raises(InvalidRequestError, match="^user_id: "):
        backend.forget_user(user_id)
    backend.close()
