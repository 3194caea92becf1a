"""Admin pages: the outbox (with counts by state) and the dead letters (with
their reasons and a replay action). Rows are read-only: they are a log of
what was recorded and what became of it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .outbox import replay, state_counts
from .models import DeadLetter, OutboxEvent


@admin.action(description="Replay the selected dead letters", permissions=["change"])
def replay_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = replay(queryset.filter(state=OutboxEvent.DEAD))
    modeladmin.message_user(
        request, f"{count} dead letter(s) queued for delivery again.", messages.SUCCESS
    )


class _ReadOnlyOutboxAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "summary",
        "state",
        "attempts",
        "reclaims",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("state", "kind")
    search_fields = ("record_id", "last_error")
    date_hierarchy = "created_at"
    actions = [replay_selected]
    readonly_fields = (
        "kind",
        "record_id",
        "payload",
        "state",
        "attempts",
        "reclaims",
        "next_attempt_at",
        "claimed_at",
        "claimed_by",
        "last_error",
        "created_at",
        "delivered_at",
    )
    list_per_page = 100
    show_full_result_count = False  # counting a large outbox on every page is costly

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnlyOutboxAdmin):
    change_list_template = "admin/personalize/outboxevent/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = dict(extra_context or {})
        counts = state_counts()
        extra_context["personalize_state_counts"] = [
            (label, counts.get(state, 0), state) for state, label in OutboxEvent.STATE_CHOICES
        ]
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(DeadLetter)
class DeadLetterAdmin(_ReadOnlyOutboxAdmin):
    list_display = ("id", "kind", "summary", "attempts", "reason", "created_at")
    list_filter = ("kind",)

    @admin.display(description="reason")
    def reason(self, obj: OutboxEvent) -> str:
        text = obj.last_error or ""
        return text if len(text) <= 200 else text[:199] + "…"
