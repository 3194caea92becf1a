"""Admin pages: the outbox (with counts by state) and the dead letters (with
their reasons and a replay action), and the staff console
(:mod:`personalize_django.console`: overview, preview, training, performance).

Rows are read-only, truly: no add, no change form that saves, no delete.
They are a log of what was recorded and what became of it; the one thing a
person may do to them is replay dead letters, an action guarded by the
``change`` permission of the outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .console.urls import install as install_console
from .models import DeadLetter, OutboxEvent
from .outbox import replay, state_counts

#: the permission replaying dead letters needs (the rows themselves never change by hand)
REPLAY_PERMISSION = "personalize.change_outboxevent"


@admin.action(description="Replay the selected dead letters", permissions=["replay"])
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

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change form is a view-only page (no Save buttons), and posts to it are refused.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPLAY_PERMISSION)


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


install_console(admin.site)
