"""The console's pages: who may see them, and what they show."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGES = ("overview", "preview", "training", "performance")


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_who_is_not_staff_gets_the_login_page(client, django_user_model, page):
    user = django_user_model.objects.create_user("shopper", password="pw")
    client.force_login(user)
    response = client.get(f"/admin/personalize/console/{page}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("page", PAGES)
def test_staff_without_the_permission_is_refused(client, django_user_model, page):
    user = django_user_model.objects.create_user("intern", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(f"/admin/personalize/console/{page}/").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_staff_with_the_view_permission_sees_each_page(staff_client, page):
    response = staff_client.get(f"/admin/personalize/console/{page}/")
    assert response.status_code == 200
    assert f"Personalize: {page}" in response.content.decode()


def test_the_admin_index_links_the_console(admin_client):
    text = admin_client.get("/admin/").content.decode()
    for page in PAGES:
        assert f'href="/admin/personalize/console/{page}/"' in text


def test_overview_counts_events_per_type_and_the_outbox(admin_client, history):
    response = admin_client.get("/admin/personalize/console/overview/?days=7")
    figures = response.context["figures"]
    assert figures.totals == {"Click": 1, "Impression": 1, "Purchase": 1, "View": 2}
    assert sum(figures.per_day["View"]) == 2 and len(figures.per_day["View"]) == 7
    text = response.content.decode()
    assert 'class="personalize-chart" data-points="' in text
    assert 'data-points="0"' not in text.split("Events per type per day")[0][-200:]
    assert figures.backend.name == "memory"


def test_overview_shows_the_oldest_pending_row(admin_client, settings, shop):
    from personalize_django.recording import record_event

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    record_event("View", item=str(shop["boot"].pk), user="u1", session_id="s1")
    response = admin_client.get("/admin/personalize/console/overview/")
    assert response.context["figures"].depth >= 1
    assert response.context["oldest_pending_seconds"] is not None


def test_overview_says_when_delivery_has_stalled(admin_client, settings, shop):
    from datetime import timedelta

    from django.utils import timezone

    from personalize_django.models import OutboxEvent
    from personalize_django.recording import record_event

    settings.PERSONALIZE = {"BACKEND": "memory", "DELIVERY": "manual"}
    record_event("View", item=str(shop["boot"].pk), user="u1", session_id="s1")
    page = admin_client.get("/admin/personalize/console/overview/")
    assert page.context["figures"].health.ok is True
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(hours=1))
    page = admin_client.get("/admin/personalize/console/overview/")
    health = page.context["figures"].health
    assert health.ok is False
    card = page.content.decode().split('id="delivery-health"')[1].split("</div>")[0]
    assert "stalled" in card and health.reason in card


def test_a_bad_window_is_answered_400_naming_the_parameter(admin_client):
    response = admin_client.get("/admin/personalize/console/overview/?days=5")
    assert response.status_code == 400
    assert "days: must be one of 7, 14, 30, 60" in response.content.decode()


def test_performance_attributes_clicks_and_conversions(admin_client, history):
    response = admin_client.get("/admin/personalize/console/performance/?days=7&hours=24")
    blocks = response.context["figures"].blocks
    assert list(blocks) == ["also_viewed"]
    counts = blocks["also_viewed"]
    assert (counts.impressions, counts.clicks, counts.conversions) == (1, 1, 1)
    assert counts.ctr == 1.0
    text = response.content.decode()
    assert 'data-block="also_viewed"' in text and "Download CSV" in text


def test_a_purchase_outside_the_conversion_window_does_not_convert(admin_client, history):
    response = admin_client.get("/admin/personalize/console/performance/?hours=1")
    assert response.context["figures"].blocks["also_viewed"].conversions == 0


def test_performance_csv_download(admin_client, history):
    response = admin_client.get("/admin/personalize/console/performance/?days=7&download=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="personalize-performance-7d.csv"' in response["Content-Disposition"]
    header, *rows = response.content.decode().splitlines()
    assert header == "day,block,impressions,clicks,ctr,conversions"
    assert [row.split(",")[1:] for row in rows] == [["also_viewed", "1", "1", "1.0000", "1"]]


def test_performance_csv_with_a_bad_window_names_it(admin_client):
    response = admin_client.get("/admin/personalize/console/performance/?hours=2&download=csv")
    assert response.status_code == 400
    assert response.content.decode() == "hours: must be one of 1, 24, 72, 168"


def test_preview_shows_the_list_its_source_and_the_history(admin_client, backend, history):
    backend.set_recommendations(
        "recommended_for_you", [history["cap"], history["boot"]], recommendation_id="RID-p"
    )
    response = admin_client.get(
        "/admin/personalize/console/preview/?use_case=recommended_for_you&user=u1&limit=5"
    )
    assert response.status_code == 200
    assert [row.item_id for row in response.context["rows"]] == [history["cap"], history["boot"]]
    assert response.context["rows"][0].title == "Cap"
    assert response.context["recs"].source == "model"
    assert [e["event_type"] for e in response.context["history"]] == [
        "Purchase",
        "Click",
        "Impression",
        "View",
    ]
    assert "RID-p" in response.content.decode()


def test_preview_of_a_fallback_says_why(admin_client, backend, shop):
    from personalize_sdk import NotReadyError

    backend.fail_next(NotReadyError("no model yet"), method="recommend")
    backend.set_recommendations("best_sellers", [str(shop["boot"].pk)])
    response = admin_client.get("/admin/personalize/console/preview/?use_case=recommended_for_you&user=u9")
    recs = response.context["recs"]
    assert recs.source == "fallback"
    assert "served best_sellers" in recs.reason
    assert "because" in response.content.decode()


def test_preview_marks_exploration_slots(admin_client, backend, shop):
    from personalize_sdk.recommendations import Recommendation, RecommendationList

    explored = RecommendationList(
        (
            Recommendation(str(shop["boot"].pk), 0.9),
            Recommendation(str(shop["cap"].pk), 0.1, reason=("Exploration",)),
        ),
        recommendation_id="RID-x",
    )
    backend.set_recommendations("best_sellers", explored)
    response = admin_client.get("/admin/personalize/console/preview/?use_case=best_sellers")
    assert [row.explored for row in response.context["rows"]] == [False, True]
    assert response.context["explored"] == 1
    assert 'class="personalize-explored"' in response.content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("use_case=nope", "use_case: must be one of also_viewed, best_sellers"),
        ("use_case=best_sellers&limit=0", "limit: must be an integer between 1 and"),
        ("use_case=best_sellers&user=a&session=b", "session: give a user or a guest session"),
        ("use_case=best_sellers&values=CATEGORY", "values: line 1 must read NAME=value"),
        ("use_case=also_viewed", "item: is required for the &#x27;also_viewed&#x27; use case"),
    ],
)
def test_preview_names_the_field_of_a_bad_request(admin_client, query, message):
    response = admin_client.get(f"/admin/personalize/console/preview/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_recorded_event_refreshes_the_figures_kept(admin_client, history):
    from personalize_django.recording import record_event

    url = "/admin/personalize/console/overview/?days=7"
    assert admin_client.get(url).context["figures"].totals["View"] == 2
    record_event("View", item=history["boot"], user="u3", session_id="s3")
    assert admin_client.get(url).context["figures"].totals["View"] == 3


def test_two_blocks_of_one_use_case_are_told_apart_by_their_block_property(admin_client, shop):
    from datetime import timedelta

    from django.utils import timezone

    from personalize_django.recording import record_event

    now = timezone.now() - timedelta(hours=1)
    cap = str(shop["cap"].pk)
    for n, block in enumerate(("product", "cart", "cart")):
        rid = f"RID-block-{n}"
        record_event("Impression", user="u1", session_id=f"s{n}", recommendation_id=rid,
                     impression=[cap], properties={"useCase": "also_viewed", "block": block},
                     sent_at=now)
        if block == "cart":  # the click carries no property: its recommendation id tells
            record_event("Click", item=cap, user="u1", session_id=f"s{n}",
                         recommendation_id=rid, sent_at=now + timedelta(minutes=1))
    blocks = admin_client.get("/admin/personalize/console/performance/").context["figures"].blocks
    assert {b: (c.impressions, c.clicks) for b, c in blocks.items()} == {
        "also_viewed/cart": (2, 2),
        "also_viewed/product": (1, 0),
    }
