"""Training: atomic swap under concurrent reads, background runs, persistence
(memory-mapped, shared between processes), blocked pair counts."""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import threading

import numpy as np
import pytest
import scipy.sparse as sp

from personalize_sdk import Event
from personalize_sdk.engine import cooccurrence, interactions, training
from personalize_sdk.engine import model as model_module

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


# -- memory-mapped models, shared by the processes of a machine ---------------
def _arrays(model):
    """Every numpy array reachable from the model's fields (one level of dicts,
    dataclasses and sparse matrices down)."""
    found = []

    def walk(value, depth=0):
        if isinstance(value, np.ndarray):
            found.append(value)
        elif sp.issparse(value):
            found.extend([value.data, value.indices, value.indptr])
        elif depth < 3 and isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif depth < 3 and dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), depth + 1)

    walk(model)
    return [a for a in found if a.nbytes >= training.MAPPED_MIN_BYTES]


@pytest.mark.parametrize("options", [{}, {"ease_max_items": 0}], ids=["ease", "knn"])
def test_a_reloaded_model_maps_its_arrays_read_only_and_serves_the_same(tmp_path, options):
    folder = str(tmp_path / "engine")
    worker = make_backend(folder, **options)
    fill(make_client(worker))
    worker.train()
    web = make_backend(folder, **options)
    model = web.engine.model
    arrays = _arrays(model)
    assert model.personal.kind == ("knn" if options else "ease")
    similarity = model.personal.similarity
    assert training.is_mapped(similarity if not options else similarity.data)
    assert training.is_mapped(model.also_viewed.indices) and training.is_mapped(model.personal.transition.data)
    assert all(training.is_mapped(a) and not a.flags.writeable for a in arrays)
    # the trainer serves from the mapped copy too, not from the one it built
    assert all(training.is_mapped(a) for a in _arrays(worker.engine.model))
    for use_case, kw in REQUESTS:
        ours = make_client(web).recommend(use_case, num_results=6, **kw)
        theirs = make_client(worker).recommend(use_case, num_results=6, **kw)
        assert [r.item_id for r in ours] == [r.item_id for r in theirs] and len(ours) == 6
    ranked = make_client(web).rank(user_id="u3", item_ids=[f"i{k}" for k in range(20)])
    assert len(ranked) == 20
    for b in (web, worker):
        b.close()


def test_a_second_holder_sees_each_new_model_whole_and_old_arrays_go(tmp_path):
    folder = str(tmp_path / "engine")
    worker = make_backend(folder)
    client = make_client(worker)
    fill(client)
    first = worker.train().model_version
    web = make_backend(folder)
    assert web.engine.model.version == first
    client.record_many(Event("View", "late", f"i{k}", "late-user", sent_at=shop.START + k) for k in range(10))
    second = worker.train().model_version
    assert web.engine.model.version == first  # until it looks again
    assert web.engine.holder.refresh()
    model = web.engine.model
    assert model.version == second and model.report.interactions == worker.engine.model.report.interactions
    # one saved model on disk: the arrays of the first are gone
    assert [name.endswith(second) for name in os.listdir(os.path.join(folder, training.ARRAYS_FOLDER))] == [True]
    for b in (web, worker):
        b.close()


def test_a_save_that_fails_midway_leaves_the_previous_model(tmp_path, monkeypatch):
    folder = str(tmp_path / "engine")
    worker = make_backend(folder)
    fill(make_client(worker))
    first = worker.train().model_version
    written = []

    def failing_save(handle, array, **kw):
        if written:
            raise OSError("disk full")
        written.append(array)
        handle.write(b"x")

    monkeypatch.setattr(training.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        worker.train()
    monkeypatch.undo()
    later = make_backend(folder)
    assert later.engine.model.version == first
    assert len(os.listdir(os.path.join(folder, training.ARRAYS_FOLDER))) == 1  # nothing half-written left
    assert [n for n in os.listdir(folder) if n.endswith(".tmp")] == []
    for b in (later, worker):
        b.close()


def test_a_model_file_of_the_older_format_is_ignored_and_retrained(tmp_path, caplog):
    folder = tmp_path / "engine"
    worker = make_backend(str(folder))
    fill(make_client(worker))
    built = model_module.build(worker.engine.store, worker.engine.config)
    with open(folder / training.MODEL_FILENAME, "wb") as handle:
        pickle.dump((1, built), handle)  # the layout of the previous version
    with caplog.at_level(logging.WARNING, logger="personalize_sdk.engine"):
        web = make_backend(str(folder))
    assert web.engine.model.version == "untrained"
    assert "written by another version" in caplog.text
    report = web.train()
    assert make_backend(str(folder)).engine.model.version == report.model_version
    for b in (web, worker):
        b.close()


# -- blocked pair counts ------------------------------------------------------
def _shop_data(**options):
    backend = make_backend(**options)
    fill(make_client(backend))
    config = backend.engine.config
    data = interactions.load(backend.engine.store, config)
    backend.close()
    return data, config


def test_also_viewed_in_blocks_equals_the_whole_computation():
    data, config = _shop_data(neighbours=5)
    whole = cooccurrence.also_viewed(data, dataclasses.replace(config, training_block_size=10**9))
    assert whole.nnz > 300
    for block in (1, 37, 500):
        part = cooccurrence.also_viewed(data, dataclasses.replace(config, training_block_size=block))
        assert (part != whole).nnz == 0 and np.array_equal(part.indices, whole.indices)
    # and both are the definition, computed densely: the asymmetric cosine with shrinkage
    baskets = cooccurrence.basket_matrix(data, np.ones(len(data.item), dtype=bool), config).toarray()
    c = baskets.T.astype(np.float64) @ baskets
    n = np.diag(c).copy()
    np.fill_diagonal(c, 0.0)
    a = config.also_viewed_normalisation
    with np.errstate(divide="ignore", invalid="ignore"):
        dense = np.nan_to_num(c / (np.power(n[:, None], 1 - a) * np.power(n[None, :], a)) * (c / (c + 2.0)))
    wide = cooccurrence.also_viewed(data, dataclasses.replace(config, neighbours=data.n_items, training_block_size=50))
    np.testing.assert_allclose(wide.toarray(), dense, rtol=1e-6)
    kept = np.diff(whole.indptr)
    assert kept.max() == config.neighbours  # rows were cut to their best neighbours
    for row in np.flatnonzero(kept == config.neighbours)[:10]:
        best = np.sort(dense[row])[::-1][: config.neighbours]
        np.testing.assert_allclose(np.sort(whole[row].data)[::-1], best, rtol=1e-6)


def test_top_k_rows_keeps_each_rows_largest_first_stored_on_ties():
    matrix = sp.csr_matrix(np.array([[3, 1, 3, 2, -1], [0, 0, 1, 0, 0], [-2, -1, -3, 0, 0]], dtype=np.float32))
    top = cooccurrence.top_k_rows(matrix, 2).toarray()
    assert top.tolist() == [[3, 0, 3, 0, 0], [0, 0, 1, 0, 0], [-2, -1, 0, 0, 0]]
