"""Training: atomic swap under concurrent reads, background runs, persistence."""

from __future__ import annotations

import threading

from personalize_sdk import Event

from . import shop
from .conftest import fill, make_backend, make_client

REQUESTS = (
    ("recommended_for_you", {"user_id": "u3"}),
    ("also_viewed", {"item_id": "i10"}),
    ("bought_together", {"item_id": "i10"}),
    ("best_sellers", {}),
    ("most_viewed", {}),
)


def test_readers_never_fail_nor_see_half_a_model_while_training_repeats(backend):
    client = make_client(backend)
    fill(client)
    versions = [backend.train().model_version]
    errors: list[BaseException] = []
    seen: list[tuple[str, str, int]] = []
    stop = threading.Event()
    progress = threading.Condition()
    done = [0, 0, 0]

    def reader(slot: int) -> None:
        n = 0
        while not stop.is_set():
            use_case, kw = REQUESTS[n % len(REQUESTS)]
            n += 1
            try:
                result = client.recommend(use_case, num_results=6, **kw)
                seen.append((result.extra["model_version"], use_case, len(result)))
            except BaseException as err:  # noqa: B902 - any failure is the finding
                errors.append(err)
            with progress:
                done[slot] += 1
                progress.notify_all()

    threads = [threading.Thread(target=reader, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for round_ in range(6):
        client.record_many(
            Event("View", f"extra-{round_}", f"i{(round_ * 7 + k) % 100}", f"extra{k}", sent_at=shop.START + k)
            for k in range(30)
        )
        versions.append(backend.train().model_version)
        # Let every reader finish requests against the new model before training again.
        with progress:
            target = [d + 2 for d in done]
            progress.wait_for(lambda: all(d >= t for d, t in zip(done, target)), timeout=30)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen and all(version in versions for version, _uc, _n in seen)
    assert all(n == 6 for _v, _uc, n in seen)
    assert len({version for version, _uc, _n in seen}) > 1


def test_background_training_returns_a_future_and_swaps_when_done(backend):
    client = make_client(backend)
    fill(client)
    before = backend.engine.model.version
    future = backend.train(background=True)
    report = future.result(timeout=60)
    assert report.model_version == backend.engine.model.version != before


def test_retraining_after_n_new_events():
    backend = make_backend(auto_train=True, retrain_every_events=100)
    client = make_client(backend)
    client.record_many(shop.events()[:99])
    assert backend.engine.trainer.last_future is None
    client.record_many(shop.events()[99:100])
    report = backend.engine.trainer.last_future.result(timeout=60)
    assert report.interactions == 100
    backend.close()


def test_first_request_starts_training_in_the_background_when_auto_train():
    backend = make_backend(auto_train=True)
    client = make_client(backend)
    fill(client)
    first = client.recommend("best_sellers")
    assert first.source == "fallback"  # nobody waited for the training
    backend.engine.trainer.last_future.result(timeout=60)
    assert client.recommend("best_sellers").source == "model"
    backend.close()


def test_a_model_trained_by_another_process_is_picked_up(tmp_path):
    folder = str(tmp_path / "engine")
    web = make_backend(folder)
    worker = make_backend(folder)
    fill(make_client(worker))
    report = worker.train()
    assert web.engine.model.version == "untrained"
    assert web.engine.holder.refresh()
    assert web.engine.model.version == report.model_version
    # and a process started later loads the saved model at once
    later = make_backend(folder)
    assert later.engine.model.version == report.model_version
    for b in (web, worker, later):
        b.close()
