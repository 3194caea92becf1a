"""Writing outbox rows: the request path's only write.

:func:`insert_row` writes one pending row for an event, with one prepared
INSERT (and, when nothing observes queries, straight to the driver's cursor);
:func:`insert_rows` writes items and users in bulk. Neither asks for
delivery: the caller does, with
:func:`personalize_django.outbox.waking.schedule_on_commit`, once per
transaction.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple

from django.db import connections, router
from django.db.backends import utils as django_db_utils
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from personalize_sdk import Item, User

from ..conf import personalize_settings
from ..models import OutboxEvent


def outbox_db() -> str:
    """The database alias of the outbox."""
    return personalize_settings.DATABASE or router.db_for_write(OutboxEvent)


# The row's columns: what varies per event first, then the constants of a new row.
_INSERT_COLUMNS = (
    "kind", "record_id", "payload", "next_attempt_at", "created_at",
    "state", "attempts", "reclaims", "claimed_by", "last_error",
)  # fmt: skip
_NEW_ROW = (OutboxEvent.PENDING, 0, 0, "", "")


class _InsertPlan(NamedTuple):
    #: the statement for Django's cursor (``%s`` placeholders)
    sql: str
    #: the same for the driver's own cursor, or ``None`` where only Django's is used
    driver_sql: str | None
    returning: bool
    #: the payload field's JSON encoder
    encoder: Any
    #: the constant columns, already adapted for the database
    constants: list[Any]


_insert_plans: dict[str, _InsertPlan] = {}
#: database vendors whose cursors report the new row's id as ``lastrowid``
LASTROWID_VENDORS = frozenset({"sqlite", "mysql"})
#: placeholder of each driver the INSERT may be sent to directly
DRIVER_PLACEHOLDERS = {"sqlite": "?", "postgresql": "%s"}


def _is_djangos_execute(execute: Any) -> bool:
    """Whether ``execute`` is Django's own ``CursorWrapper.execute``, not a wrapper."""
    code = getattr(execute, "__code__", None)
    return (
        code is not None
        and not hasattr(execute, "__wrapped__")
        and code.co_filename == getattr(django_db_utils, "__file__", None)
    )


# Django's own CursorWrapper.execute, or None if a tool wrapped it before this
# module was imported; compared by identity on every recorded event.
_DJANGOS_EXECUTE = CursorWrapper.execute if _is_djangos_execute(CursorWrapper.execute) else None


def _insert_plan(connection: Any) -> _InsertPlan:
    """The INSERT statement and the adapted constants, built once per database vendor."""
    plan = _insert_plans.get(connection.vendor)
    if plan is None:
        meta = OutboxEvent._meta
        fields = [meta.get_field(name) for name in _INSERT_COLUMNS]
        quote = connection.ops.quote_name
        # The cursor's lastrowid is exact where the driver has it (and cheaper
        # than RETURNING: about 8 us of SQLite's time per row); RETURNING elsewhere.
        returning = (
            connection.vendor not in LASTROWID_VENDORS
            and connection.features.can_return_columns_from_insert
        )
        sql = "INSERT INTO {} ({}) VALUES ({}){}".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
            f" RETURNING {quote(meta.pk.column)}" if returning else "",
        )
        placeholder = DRIVER_PLACEHOLDERS.get(connection.vendor)
        constants = [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields[-len(_NEW_ROW) :], _NEW_ROW)
        ]
        plan = _insert_plans[connection.vendor] = _InsertPlan(
            sql,
            sql.replace("%s", placeholder) if placeholder else None,
            returning,
            fields[2].encoder,
            constants,
        )
    return plan


def _unobserved(connection: Any) -> bool:
    """Whether nothing watches queries through Django's cursor: not DEBUG nor a
    test counting queries, no ``execute_wrapper()`` hook, no tool that replaced
    the connection's ``cursor()`` (django-debug-toolbar) or Django's cursor
    wrapper (Sentry). Then the INSERT may skip Django's cursor layers."""
    return (
        _DJANGOS_EXECUTE is not None
        and CursorWrapper.execute is _DJANGOS_EXECUTE
        and not (
            connection.queries_logged
            or connection.execute_wrappers
            or "cursor" in connection.__dict__
        )
    )


def insert_row(
    db: str, kind: str, record_id: str, payload: dict[str, Any], connection: Any = None
) -> int:
    """INSERT one pending outbox row; returns its id.

    This is the request path's only write, so it skips ``Model.save()`` (model
    signals, field defaults, instance state): one prepared INSERT whose constant
    values are adapted once per database vendor, the payload by its field and
    the time by the database's operations. On SQLite and PostgreSQL, when
    nothing observes queries through Django's cursor (see :func:`_unobserved`),
    it goes to the driver's cursor with the checks and the error translation
    Django's cursor applies; about a third of the CPU time of going through it.
    """
    if connection is None:
        connection = connections[db]
    plan = _insert_plan(connection)
    # kind and record_id are strings already (a constant, a validated event id);
    # timezone.now() needs none of DateTimeField's checks of naive values.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [kind, record_id, connection.ops.adapt_json_value(payload, plan.encoder), now, now]
    params.extend(plan.constants)
    if plan.driver_sql is None or not _unobserved(connection):
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            return cursor.fetchone()[0] if plan.returning else cursor.lastrowid
    # What connection.cursor() and CursorWrapper.execute() do, without their layers.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    cursor = None
    try:
        cursor = connection.connection.cursor()
        cursor.execute(plan.driver_sql, params)
        return cursor.fetchone()[0] if plan.returning else cursor.lastrowid
    except Exception:
        # Django's error translation (IntegrityError and the rest), as its cursor
        # applies it, paid only when there is an error to translate.
        with connection.wrap_database_errors:
            raise
    finally:
        if cursor is not None:
            cursor.close()


def insert_rows(db: str, kind: str, records: Iterable[Item | User], batch_size: int = 500) -> int:
    """INSERT pending rows of items or users in bulk; returns how many."""
    rows = [OutboxEvent(kind=kind, payload=record.to_dict()) for record in records]
    if rows:
        OutboxEvent.objects.using(db).bulk_create(rows, batch_size=batch_size)
    return len(rows)
