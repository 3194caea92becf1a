"""The console's pages (admin views: staff only, through ``site.admin_view``).

Each page needs ``personalize.view_outboxevent`` (:data:`VIEW_PERMISSION`);
"train now" also needs ``personalize.change_outboxevent`` (:data:`TRAIN_PERMISSION`).
A staff user without them is answered 403; a visitor who is not staff gets
the admin's login page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import TemplateView

from personalize_sdk import InvalidRequestError, PersonalizeError
from personalize_sdk.use_cases import USE_CASES

from ..client import get_backend
from ..conf import personalize_settings
from ..models import OutboxEvent
from ..outbox.waking import celery_app_configured
from . import charts, preview, training
from .events import DAY_CHOICES, cached_figures, window_from
from .metrics import HEADLINE
from .overview import overview
from .performance import CONVERSION_HOURS, conversion_window_from, performance

#: (page, title): the console's pages, in the order of its navigation
PAGES = (
    ("overview", "Overview"),
    ("preview", "Preview"),
    ("training", "Training"),
    ("performance", "Performance"),
)
VIEW_PERMISSION = "personalize.view_outboxevent"
TRAIN_PERMISSION = "personalize.change_outboxevent"


def may_view(user: Any) -> bool:
    """Whether ``user`` may see the console's pages."""
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


def runs_on_a_worker() -> bool:
    """Whether a Celery worker runs this process's tasks (not eagerly)."""
    if not celery_app_configured():
        return False
    from celery import current_app

    return not current_app.conf.task_always_eager


def start_training(user: str = "") -> str:
    """Train through Celery when a worker runs tasks, else inline; return
    what the page tells the person."""
    if runs_on_a_worker():
        from .tasks import train_model

        train_model.delay(user=user)
        return "Training queued for a Celery worker: its report appears here when it is done."
    entry = training.train_now("console", user)
    cases = entry["report"].get("use_cases", {})
    ready = [name for name, status in cases.items() if status.get("ready")]
    return (
        f"Trained in {entry['report'].get('seconds', 0):.2f} s: "
        f"{len(ready)} use case(s) ready ({', '.join(ready) or 'none'})."
    )


class ConsoleView(TemplateView):
    """Base: the permission check, the admin's context and the page's errors."""

    admin_site: AdminSite | None = None
    page = ""
    title = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view(request.user):
            raise PermissionDenied(f"The console needs the {VIEW_PERMISSION!r} permission.")
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        return [f"admin/personalize/console/{self.page}.html"]

    def page_context(self) -> dict[str, Any]:
        """The page's own figures (subclasses)."""
        return {}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = {
            **(self.admin_site.each_context(request) if self.admin_site else {}),
            "title": f"Personalize: {self.title}",
            "page": self.page,
            "pages": [
                (page, title, reverse(f"{self.admin_site.name}:personalize_console_{page}"))
                for page, title in PAGES
            ],
            "day_choices": DAY_CHOICES,
        }
        status = 200
        try:
            context.update(self.page_context())
        except InvalidRequestError as err:
            context.update(error=err, error_field=err.field)
            status = 400
        return self.render_to_response(context, status=status)


class OverviewView(ConsoleView):
    page, title = "overview", "overview"

    def page_context(self) -> dict[str, Any]:
        window = window_from(self.request.GET)
        figures = overview(window)
        states = [(label, figures.states.get(state, 0)) for state, label in OutboxEvent.STATE_CHOICES]
        return {
            "days": window.days,
            "figures": figures,
            "events_chart": charts.line_chart(
                "Events per type per day", window.labels, figures.per_day
            ),
            "outbox_chart": charts.bar_chart("Outbox rows by state", states),
            "oldest_pending_seconds": (
                None
                if figures.oldest_pending is None
                else int(figures.oldest_pending.total_seconds())
            ),
        }


class PreviewView(ConsoleView):
    page, title = "preview", "preview"

    def page_context(self) -> dict[str, Any]:
        query = self.request.GET
        context: dict[str, Any] = {
            "use_cases": sorted(USE_CASES),
            "filters": sorted(personalize_settings.FILTERS or {}),
            "form": {k: query.get(k, "") for k in preview.FORM_FIELDS},
        }
        req = preview.preview_request(query)
        if req is None:
            return context
        try:
            recs, rows = preview.recommend(req)
        except PersonalizeError as err:
            if isinstance(err, InvalidRequestError):
                raise
            context["backend_error"] = f"{type(err).__name__}: {err}"
            return context
        context.update(
            request_shown=req,
            recs=recs,
            rows=rows,
            explored=sum(row.explored for row in rows),
            history=preview.history_rows(preview.recent_history(req)),
        )
        return context


class TrainingView(ConsoleView):
    page, title = "training", "training"

    def page_context(self) -> dict[str, Any]:
        backend = get_backend()
        entries = training.history(backend) if backend.can_train else []
        report = None
        if backend.can_train:
            try:
                current = backend.report()
            except Exception:  # no model yet
                current = None
            report = current.to_dict() if hasattr(current, "to_dict") else current
        latest = entries[0] if entries else None
        metrics = (latest or {}).get("metrics") or {}
        return {
            "backend_name": backend.display_name,
            "can_train": backend.can_train,
            "may_train": self.request.user.has_perm(TRAIN_PERMISSION),
            "on_a_worker": runs_on_a_worker(),
            "report": report,
            "entries": entries,
            "latest": latest,
            "metrics": metrics,
            "headline": HEADLINE,
            "metric_rows": [
                (use_case, [(label, values.get(name)) for name, label in HEADLINE])
                for use_case, values in (metrics.get("by_use_case") or {}).items()
            ],
            "history_chart": charts.line_chart(
                "NDCG@10 of recommended_for_you per training",
                [e["at"][:16].replace("T", " ") for e in reversed(entries)],
                {
                    "NDCG@10": [
                        ((e.get("metrics") or {}).get("by_use_case") or {})
                        .get("recommended_for_you", {})
                        .get("normalized_discounted_cumulative_gain_at_10", 0)
                        for e in reversed(entries)
                    ]
                },
            ),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view(request.user) or not request.user.has_perm(TRAIN_PERMISSION):
            raise PermissionDenied(f"Training needs the {TRAIN_PERMISSION!r} permission.")
        try:
            messages.success(request, start_training(request.user.get_username()))
        except PersonalizeError as err:
            messages.error(request, f"Training failed: {type(err).__name__}: {err}")
        return HttpResponseRedirect(request.path)


class PerformanceView(ConsoleView):
    page, title = "performance", "performance"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("download") == "csv":
            try:
                figures = self.figures()
            except InvalidRequestError as err:
                return HttpResponse(str(err), status=400, content_type="text/plain")
            response = HttpResponse(figures.to_csv(), content_type="text/csv; charset=utf-8")
            name = f"personalize-performance-{figures.window.days}d.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return super().get(request, *args, **kwargs)

    def figures(self) -> Any:
        query = self.request.GET
        window, hours = window_from(query), conversion_window_from(query)
        name = f"performance:{window.days}:{hours.total_seconds():.0f}"
        return cached_figures(name, lambda: performance(window, hours))

    def page_context(self) -> dict[str, Any]:
        figures = self.figures()
        labels = figures.window.labels
        return {
            "days": figures.window.days,
            "hours": int(figures.conversion_window.total_seconds() // 3600),
            "hour_choices": CONVERSION_HOURS,
            "figures": figures,
            "query": self.request.GET.urlencode(),
            "impressions_chart": charts.line_chart(
                "Impressions per block per day", labels, figures.series("impressions")
            ),
            "clicks_chart": charts.line_chart(
                "Clicks per block per day", labels, figures.series("clicks")
            ),
            "ctr_chart": charts.line_chart(
                "Click-through rate per block per day", labels, figures.series("ctr"), percent=True
            ),
            "conversions_chart": charts.bar_chart(
                "Conversions per block",
                [(block, c.conversions) for block, c in figures.blocks.items()],
            ),
        }
