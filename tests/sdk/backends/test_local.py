"""LocalBackend as a Backend: loading, options, limits, errors."""

from __future__ import annotations

import pytest

from personalize_sdk import BackendError, Client, ConfigurationError, Event
from personalize_sdk.backends import load_backend
from personalize_sdk.backends.local import LocalBackend


def test_the_local_alias_and_options_build_a_local_backend(tmp_path):
    backend = load_backend("local", {"path": str(tmp_path / "e"), "exploration_weight": 0.1, "auto_train": False})
    assert isinstance(backend, LocalBackend) and backend.name == "local"
    assert backend.engine.config.exploration_weight == 0.1
    backend.close()
    backend.close()  # twice is harmless


def test_an_unknown_option_is_named():
    with pytest.raises(ConfigurationError, match="exploration_wieght"):
        LocalBackend(None, exploration_wieght=0.1)


def test_a_bad_option_value_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="exploration_weight"):
        LocalBackend(None, exploration_weight=2)


def test_it_takes_big_mixed_session_batches():
    assert LocalBackend.max_events_per_call >= 500 and LocalBackend.one_session_per_call is False
    backend = LocalBackend(auto_train=False)
    client = Client(backend, sync_mode=True)
    client.record_many(Event("View", f"s{n % 7}", f"i{n}", f"u{n % 3}", sent_at=1_700_000_000 + n) for n in range(1200))
    assert backend.engine.store.count_events() == 1200
    client.close()


def test_more_events_than_the_limit_in_one_call_is_refused():
    backend = LocalBackend(auto_train=False)
    events = [Event("View", "s", "i", sent_at=1_700_000_000) for _ in range(501)]
    with pytest.raises(BackendError, match="limit"):
        backend.put_events(events)
    backend.close()


def test_a_locked_database_is_a_retryable_error(tmp_path, monkeypatch):
    import sqlite3

    backend = LocalBackend(str(tmp_path / "e"), auto_train=False)

    def locked(events):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(backend.engine, "put_events", locked)
    with pytest.raises(BackendError) as info:
        backend.put_events([Event("View", "s", "i", sent_at=1_700_000_000)])
    assert info.value.retryable and info.value.backend == "local"
    backend.close()


def test_path_may_be_a_pathlib_path(tmp_path):
    backend = LocalBackend(tmp_path / "engine", auto_train=False)
    backend.put_events([Event("View", "s", "i1", "u1", sent_at=1_700_000_000)])
    assert (tmp_path / "engine" / "engine.sqlite3").exists()
    backend.close()


def test_training_reports_through_the_backend():
    backend = LocalBackend(min_data_scale=0.001, auto_train=False)
    backend.put_events([Event("View", "s", f"i{n % 5}", f"u{n % 4}", sent_at=1_700_000_000 + n) for n in range(40)])
    report = backend.train()
    assert report.interactions == 40 and backend.report() == report
    assert "recommended_for_you: ready" in str(report)
    backend.close()
