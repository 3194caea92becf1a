"""Views written once the response has been sent (after_response.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.views import View

from personalize_django import after_response
from personalize_django.decorators import track_item_view
from personalize_django.mixins import TrackItemViewMixin
from tests.django.conftest import outbox_payloads
from tests.django.settings import MIDDLEWARE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_thread_state():
    """A failing test must not leave work or a request under way to the next."""
    yield
    after_response._pending.work.clear()
    after_response._pending.serving = False


def views():
    return [p["item_id"] for p in outbox_payloads("event") if p["event_type"] == "View"]


@pytest.fixture
def keep_connection():
    """Django's connection-closing receivers off, as the test client turns them
    off around its requests (the test's transaction stays usable)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi_server(keep_connection):
    """Serve a path as a WSGI server does: call the application, send the body,
    then close it. Returns (body, close)."""
    handler = WSGIHandler()

    def serve(path: str):
        statuses: list[str] = []
        result = handler(RequestFactory().get(path).environ, lambda s, h: statuses.append(s))
        body = b"".join(result)
        assert statuses == ["200 OK"], statuses
        return body, result.close

    return serve


def test_the_view_is_written_once_the_body_has_been_sent(wsgi_server, shop):
    body, close = wsgi_server(f"/products/{shop['boot'].pk}/")
    assert body
    assert views() == []  # the visitor has the page; nothing written yet
    close()
    assert views() == [str(shop["boot"].pk)]


def test_the_class_based_mixin_writes_after_the_response_too(wsgi_server, shop):
    _, close = wsgi_server(f"/cbv/products/{shop['cap'].pk}/")
    assert views() == []
    close()
    assert views() == [str(shop["cap"].pk)]


def test_with_the_setting_off_the_view_is_written_in_the_request(wsgi_server, shop):
    with override_settings(
        PERSONALIZE={"BACKEND": "memory", "RECORD_VIEWS_AFTER_RESPONSE": False}
    ):
        _, close = wsgi_server(f"/products/{shop['boot'].pk}/")
        assert views() == [str(shop["boot"].pk)]
        close()
    assert len(views()) == 1


def test_the_session_id_is_set_before_the_response(client, shop):
    response = client.get(f"/products/{shop['boot'].pk}/")
    assert "sessionid" in response.cookies  # the new session was saved with the page
    assert outbox_payloads()[0]["session_id"] == client.session["_personalize_session_id"]


class Replace:
    """A middleware answering with a new response object (the original is never closed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        return HttpResponse(response.content, status=response.status_code)


def test_a_response_replaced_by_a_middleware_still_gets_its_view_written(client, shop):
    with override_settings(MIDDLEWARE=[*MIDDLEWARE, f"{__name__}.Replace"]):
        assert client.get(f"/products/{shop['boot'].pk}/").status_code == 200
    assert views() == [str(shop["boot"].pk)]


def test_a_view_called_outside_a_served_request_is_written_at_once(shop):
    from tests.django.testapp.views import product

    request = RequestFactory().get("/")
    request.session = {}
    product(request, pk=shop["boot"].pk)
    assert views() == [str(shop["boot"].pk)]


def test_a_failed_write_is_logged_with_the_event_and_the_page_is_served(
    client, shop, monkeypatch, caplog
):
    from django.db import OperationalError

    from personalize_django import recording

    def down(*args, **kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(recording, "insert_row", down)
    with caplog.at_level(logging.ERROR, logger="personalize_django"):
        assert client.get(f"/products/{shop['boot'].pk}/").status_code == 200
    (record,) = caplog.records
    assert "recording View" in record.getMessage()
    assert f"of item {shop['boot'].pk}" in record.getMessage()
    assert "failed after the response was sent" in record.getMessage()
    assert "the database went away" in caplog.text


def test_a_view_can_choose_to_write_in_the_request(keep_connection, db):
    @track_item_view(lambda request: "7", write_after_response=False)
    def view(request):
        return HttpResponse()

    class Detail(TrackItemViewMixin, View):
        personalize_write_after_response = False

        def get(self, request):
            self.object = "8"
            return HttpResponse()

    request_started.send(sender=None)
    for called in (view, Detail.as_view()):
        request = RequestFactory().get("/")
        request.session = {}
        called(request)
    assert views() == ["7", "8"]  # before any close
    request_finished.send(sender=None)


def test_work_runs_on_close_before_the_request_finished_receivers(keep_connection):
    order: list[str] = []

    def probe(**_):
        order.append("request_finished")

    # The probe goes before after_response's own receiver, as Django's
    # close_old_connections does: the work must not wait for that receiver.
    request_finished.disconnect(dispatch_uid="personalize_django.after_response")
    request_finished.connect(probe)
    after_response.connect()
    try:
        request_started.send(sender=None)
        response = HttpResponse()
        after_response.defer(response, lambda: order.append("work"), "test work")
        assert order == []
        response.close()
    finally:
        request_finished.disconnect(probe)
    assert order == ["work", "request_finished"]


def test_work_left_by_a_request_whose_close_never_came_runs_before_the_next(keep_connection):
    done: list[int] = []
    request_started.send(sender=None)
    after_response.defer(HttpResponse(), lambda: done.append(1), "test work")
    assert done == []
    request_started.send(sender=None)  # the thread's next request
    assert done == [1]
    request_finished.send(sender=None)


def test_outside_a_request_work_runs_at_once():
    done: list[int] = []
    after_response.defer(HttpResponse(), lambda: done.append(1), "test work")
    assert done == [1]


def test_over_asgi_the_view_is_written_once_the_body_has_been_sent(keep_connection, shop):
    from asgiref.sync import async_to_sync, sync_to_async
    from django.core.handlers.asgi import ASGIHandler

    seen_when_sent: list[list[str]] = []

    async def receive():
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        if message["type"] == "http.response.body" and not message.get("more_body"):
            seen_when_sent.append(await sync_to_async(views)())

    received: list[bool] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/products/{shop['boot'].pk}/",
        "raw_path": f"/products/{shop['boot'].pk}/".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async_to_sync(ASGIHandler())(scope, receive, send)
    assert seen_when_sent == [[]]  # the page was sent before the View was written
    assert views() == [str(shop["boot"].pk)]


def test_under_the_async_test_client_the_view_is_written_in_the_request(shop):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def get():
        return await AsyncClient().get(f"/products/{shop['boot'].pk}/")

    # AsyncClient closes responses in a worker thread, outside the test's transaction.
    response = async_to_sync(get)()
    assert response.status_code == 200
    assert views() == [str(shop["boot"].pk)]


def test_work_runs_once_whichever_thread_closes_the_response():
    import threading

    done: list[str] = []
    request_started.send(sender=None)
    response = HttpResponse()
    after_response.defer(response, lambda: done.append(threading.current_thread().name), "work")
    closer = threading.Thread(target=response.close, name="closer")
    closer.start()
    closer.join()
    request_finished.send(sender=None)  # this thread's fallback: nothing left to run
    assert done == ["closer"]


def test_record_event_with_after_response_writes_when_that_response_closes(keep_connection, db):
    from personalize_django.recording import record_event

    request_started.send(sender=None)
    response = HttpResponse()
    event = record_event("QuickLook", session_id="s-1", item="7", after_response=response)
    assert event is not None and event.event_type == "QuickLook"
    assert outbox_payloads() == []
    response.close()
    assert [(p["event_type"], p["event_id"]) for p in outbox_payloads()] == [
        ("QuickLook", event.event_id)
    ]
