"""The staff console in a real browser: each page shows its charts with
data to a staff user, and a shopper is sent to the admin's login instead."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("overview", "preview", "training", "performance")


@pytest.fixture
def recorded(shop):
    """Views, a block's impression and click, and a purchase after it."""
    from django.utils import timezone

    from personalize_django.recording import record_event

    now = timezone.now()
    cap, boot = str(shop["cap"].pk), str(shop["boot"].pk)
    for day in range(3):
        at = now - timedelta(days=day, hours=1)
        record_event("View", item=boot, user="u1", session_id=f"s{day}", sent_at=at)
        record_event(
            "Impression",
            user="u1",
            session_id=f"s{day}",
            recommendation_id=f"RID-{day}",
            impression=[cap, boot],
            properties={"useCase": "also_viewed"},
            sent_at=at + timedelta(minutes=1),
        )
        record_event(
            "Click",
            item=cap,
            user="u1",
            session_id=f"s{day}",
            recommendation_id=f"RID-{day}",
            properties={"useCase": "also_viewed"},
            sent_at=at + timedelta(minutes=2),
        )
        record_event("Purchase", item=cap, user="u1", session_id=f"s{day}", sent_at=at + timedelta(minutes=9))
    return {"cap": cap, "boot": boot}


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def staff(page, live_server, admin_user):
    log_in(page, live_server, "admin", "password")
    return page


@pytest.mark.parametrize("name", ["overview", "performance"])
def test_staff_see_charts_with_data(staff, live_server, recorded, name):
    staff.goto(live_server.url + f"/admin/personalize/console/{name}/?days=7")
    charts = staff.locator("figure.personalize-chart")
    assert charts.count() >= 2
    points = [int(v) for v in charts.evaluate_all("els => els.map(e => e.dataset.points)")]
    assert all(p > 0 for p in points), points
    # the SVG is drawn: its lines or bars have a size on the screen
    box = charts.first.locator("svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 80
    assert staff.locator("circle, rect").first.is_visible()


def test_staff_preview_a_list(staff, live_server, recorded, backend):
    backend.set_recommendations("best_sellers", [recorded["cap"], recorded["boot"]], recommendation_id="RID-b")
    staff.goto(live_server.url + "/admin/personalize/console/preview/")
    staff.locator("#id_use_case").select_option("best_sellers")
    staff.locator("#id_user").fill("u1")
    staff.locator("#preview-form input[type=submit]").click()
    rows = staff.locator("#preview-list tbody tr")
    assert rows.count() == 2
    assert "Cap" in rows.first.inner_text()
    assert "source: model" in staff.locator("#preview-source").inner_text()
    assert staff.locator("#preview-history tbody tr").count() == 12


def test_staff_train_from_the_training_page(staff, live_server, settings, tmp_path):
    from django.utils import timezone

    from personalize_django.client import get_backend
    from personalize_sdk import Event

    settings.PERSONALIZE = {
        "BACKEND": "local",
        "OPTIONS": {"path": str(tmp_path / "engine"), "min_data_scale": 0.001, "auto_train": False},
    }
    start = timezone.now() - timedelta(days=2)
    get_backend().put_events([
        Event("View", session_id=f"s{u}", user_id=f"u{u}", item_id=f"i{(u + k) % 12}",
              sent_at=start + timedelta(minutes=u * 20 + k))
        for u in range(30)
        for k in range(5)
    ])
    staff.goto(live_server.url + "/admin/personalize/console/training/")
    staff.locator("#train-now input[type=submit]").click()
    staff.wait_for_load_state()
    assert "Trained in" in staff.locator(".messagelist").inner_text()
    assert staff.locator("#training-history tbody tr").count() == 1
    assert staff.locator("#use-cases tbody tr").count() == 5
    assert staff.locator("#offline-metrics tbody tr").count() == 2
    # the history's chart holds the training's NDCG@10
    chart = staff.locator("figure.personalize-chart")
    assert [int(v) for v in chart.evaluate_all("els => els.map(e => e.dataset.points)")] == [1]
    assert chart.locator("circle").count() == 1 and chart.locator("circle").first.is_visible()


@pytest.mark.parametrize("name", PAGES)
def test_a_shopper_is_refused(page, live_server, django_user_model, name):
    django_user_model.objects.create_user("shopper", password="pw")
    log_in(page, live_server, "shopper", "pw")
    page.goto(live_server.url + f"/admin/personalize/console/{name}/")
    assert "/admin/login/" in page.url
    assert page.locator("figure.personalize-chart").count() == 0
