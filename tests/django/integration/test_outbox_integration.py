"""The outbox end to end: PostgreSQL, Redis as the broker, real ``celery
worker`` and ``runserver`` processes.

Each scenario records product views through HTTP requests (each request a new
visitor), and asserts on the recording backend's ledger: every event arrives,
how many times, and what the engine keeps.
"""

from __future__ import annotations

import pytest

from tests import services

from .harness import Database, Stack, create_products, migrate, run_python, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    services.require_postgres()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        services.unavailable("psycopg is not installed (pip install -e '.[dev]')")
    db = Database()
    try:
        migrate(db, tmp_path_factory.mktemp("migrate"))
        products = create_products(db)
        yield db, products
    finally:
        db.drop()


@pytest.fixture
def stack(pg, tmp_path):
    db, _ = pg
    db.query("TRUNCATE personalize_outboxevent, django_session RESTART IDENTITY")
    stacks: list[Stack] = []

    def make(**options: str) -> Stack:
        new = Stack(db, tmp_path, **options)
        stacks.append(new)
        return new

    yield make
    for made in stacks:
        made.close()


def wait_recorded(db: Database, total: int, timeout: float = 30.0) -> int:
    """Until the outbox holds ``total`` rows (product pages write their View once
    the response has been sent, so the last ones may trail the responses)."""

    def recorded():
        count = db.value("SELECT count(*) FROM personalize_outboxevent")
        return count if count >= total else None

    return wait_for(recorded, f"{total} outbox rows", timeout)


def wait_delivered(stack: Stack, db: Database, total: int, timeout: float = 90.0) -> None:
    """Until the engine holds ``total`` events and the outbox marks them all delivered."""

    def done():
        states = db.states()
        seen = (stack.ledger.engine(), states)
        return seen if seen[0] == total and states.get("delivered") == total else None

    try:
        wait_for(done, f"{total} events delivered", timeout)
    except AssertionError as err:
        raise AssertionError(
            f"{err}\nengine={stack.ledger.engine()} received={stack.ledger.received()} "
            f"outbox={db.states()}\n"
            f"{stack.logs()}"
        ) from None


def test_concurrent_requests_all_arrive_exactly_once(pg, stack):
    db, products = pg
    it = stack()
    it.start_redis()
    it.start_worker()
    it.start_web()

    statuses = it.views(products, 1000, threads=16)

    assert statuses.count(200) == 1000
    assert wait_recorded(db, 1000) == 1000
    assert (
        db.value("SELECT count(DISTINCT payload->>'session_id') FROM personalize_outboxevent")
        == 1000
    )
    wait_delivered(it, db, 1000)
    assert it.ledger.received() == 1000  # no event sent twice
    assert it.ledger.distinct() == 1000
    assert db.value("SELECT max(attempts) FROM personalize_outboxevent") == 1


def test_a_broker_down_while_recording_loses_nothing(pg, stack):
    db, products = pg
    it = stack()
    it.start_redis()
    it.start_worker()
    it.start_web()
    assert it.views(products, 100).count(200) == 100
    wait_delivered(it, db, 100)

    it.stop_redis()
    statuses = it.views(products, 200)
    assert statuses.count(200) == 200  # the requests never noticed
    assert wait_recorded(db, 300) == 300
    assert it.ledger.engine() == 100  # nothing could be queued meanwhile

    it.start_redis()  # empty: the tasks published before the stop are gone too
    wait_delivered(it, db, 300)  # the periodic sweep found the rows
    assert it.ledger.received() == 300
    assert it.ledger.distinct() == 300


def test_a_worker_killed_mid_batch_loses_nothing_and_the_engine_keeps_each_event_once(
    pg, stack, tmp_path
):
    db, products = pg
    engine_path = tmp_path / "engine"
    marker = tmp_path / "hung"
    # Claims of 50 rows, calls of 10 events, a short lease.
    it = stack(lease="3", batch_size="50", engine=str(engine_path))
    it.start_redis()
    it.start_web()
    assert it.views(products, 300).count(200) == 300
    assert wait_recorded(db, 300) == 300
    assert db.states() == {"pending": 300}

    # This worker's backend hangs inside its 8th call, after storing it: the
    # middle of a claim, with calls delivered that the outbox does not know of.
    worker = it.start_worker(hang_after="8", hang_marker=str(marker))
    wait_for(marker.exists, "the worker to be in the middle of a batch", 90)
    worker.kill()
    in_flight_at_kill = db.states().get("in_flight", 0)
    unmarked_at_kill = it.ledger.received() - db.states().get("delivered", 0)
    assert in_flight_at_kill > 0
    assert unmarked_at_kill > 0  # the backend holds events still in flight in the outbox

    it.start_worker()
    wait_delivered(it, db, 300, timeout=120)

    reclaimed = db.value("SELECT coalesce(sum(reclaims), 0) FROM personalize_outboxevent")
    redelivered = it.ledger.received() - it.ledger.distinct()
    assert reclaimed >= in_flight_at_kill  # every row of the killed batch was claimed again...
    assert redelivered >= unmarked_at_kill  # ...and those the backend had taken came twice
    assert redelivered <= reclaimed
    assert it.ledger.distinct() == 300

    # The engine (a real LocalBackend) keeps each event once, by event id.
    for process in it.processes:
        process.stop()
    from personalize_sdk.backends.local import LocalBackend

    engine = LocalBackend(str(engine_path), auto_train=False)
    try:
        ids = [event.event_id for event in engine.iter_events()]
    finally:
        engine.close()
    assert len(ids) == 300 == len(set(ids))
    assert set(ids) == {row[0] for row in db.query("SELECT record_id FROM personalize_outboxevent")}


def test_a_throttling_backend_gets_everything_exactly_once(pg, stack):
    db, products = pg
    it = stack(throttle="0.3")
    it.start_redis()
    it.start_worker()
    it.start_web()
    assert it.views(products, 500).count(200) == 500

    wait_delivered(it, db, 500, timeout=120)
    assert it.ledger.throttled() > 0
    assert db.value("SELECT count(*) FROM personalize_outboxevent WHERE attempts > 1") > 0
    assert it.ledger.received() == 500  # a throttled call stores nothing: no duplicates
    assert db.states() == {"delivered": 500}


RECORD_TWICE = """
import django
django.setup()
from django.db import transaction
from personalize_django.outbox.writing import _unobserved
from personalize_django.recording import record_event
from django.db import connection
assert _unobserved(connection), "the INSERT must take the driver's cursor here"
with transaction.atomic():
    first = record_event("View", item="1", session_id="s", event_id="evt-repeated")
    again = record_event("View", item="1", session_id="s", event_id="evt-repeated")
    after = record_event("View", item="2", session_id="s")  # the transaction is still usable
print(first is not None, again is None, after is not None)
"""


def test_a_repeated_event_id_is_recorded_once_through_the_drivers_cursor(pg, tmp_path):
    # psycopg's UniqueViolation must reach record_event as Django's IntegrityError,
    # as it does through Django's cursor.
    db, _ = pg
    db.query("TRUNCATE personalize_outboxevent RESTART IDENTITY")
    result = run_python(
        db, ["-c", RECORD_TWICE], PERSONALIZE_IT_LEDGER=str(tmp_path / "ledger.sqlite3")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]
    assert db.value(
        "SELECT count(*) FROM personalize_outboxevent WHERE record_id = 'evt-repeated'"
    ) == 1
    assert db.value("SELECT count(*) FROM personalize_outboxevent") == 2
