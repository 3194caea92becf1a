"""Forgetting a user: everything this app holds about them, and on AWS a data deletion job.

    report = forget_locally("42")
    report.outbox_events, report.backend   # what was removed, to verify the deletion

Locally that is the user's outbox rows (their events, the guest events of
the sessions they logged in from, their user record), the backend's stored
data when it ``can_forget_users`` (the local engine: their events, the
anonymous events of the sessions joined to them, their profile, the lists
served to them or to those sessions, then, as it ``can_train``, a retraining
so the saved model no longer holds them), and their cached recommendation
lists. The shop's own tables (orders, carts) are the shop's to delete or
anonymise; until then, ``personalize_export`` finds the user's events in them
again.

Lists cached for the user in *other* processes go too: the forget also
replaces the cache's forget version (:func:`personalize_django.caching.forget`),
which every list key holds, so every process's next lookup misses, for any
identity, including sessions the outbox no longer names.

The report proves it (:func:`scan_for`): a scan for the user id and their
session ids as raw bytes in the backend's files and as text in this app's
tables. The files are read as bytes, not through SQLite: a deleted row may
survive in a database's free pages, its write-ahead log (``-wal``) or a
saved model, all of which SQL no longer sees. Every occurrence is counted, so
an id of a few characters may also match inside unrelated data (``42`` in a
timestamp); ids of some length make the count exact.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from personalize_sdk import ConfigurationError
from personalize_sdk.backends import Backend
from personalize_sdk.provisioning import forget_users, parse_s3_uri, plan

from . import aws, caching
from .client import get_backend
from .models import OutboxEvent
from .outbox import outbox_db


@dataclass
class ForgetReport:
    """What :func:`forget_locally` removed (or, in a dry run, would remove)."""

    user_id: str
    #: session ids whose guest events were removed with the user's
    sessions: list[str] = field(default_factory=list)
    outbox_events: int = 0
    outbox_users: int = 0
    #: what the backend removed, by kind (``None``: it cannot forget, or a dry run)
    backend: dict[str, int] | None = None
    #: why ``backend`` is ``None``, or what remains to know
    backend_note: str = ""
    retrained: bool = False
    dry_run: bool = False
    #: where the user's ids were still found afterwards (``None`` in a dry run)
    traces: TraceScan | None = None
    #: what the forget could not reach in the cache, if anything
    cache_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["traces"] = self.traces.as_dict() if self.traces is not None else None
        return data

    def __str__(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        text = (
            f"user {self.user_id}: {verb} {self.outbox_events} outbox event row(s) "
            f"({len(self.sessions)} session(s)) and {self.outbox_users} outbox user row(s)"
        )
        if self.backend is not None:
            text += "; backend " + ", ".join(f"{k} {v}" for k, v in self.backend.items())
        if self.retrained:
            text += "; model retrained without them"
        if self.backend_note:
            text += f" ({self.backend_note})"
        if self.traces is not None:
            text += f"\n  {self.traces}"
        if self.cache_note:
            text += f"\n  {self.cache_note}"
        return text


#: bytes read at a time from a file being scanned
_CHUNK = 1 << 20


@dataclass
class TraceScan:
    """Where the ids were found: hits per file and per table (only places with hits)."""

    needles: list[str]
    files_scanned: int = 0
    tables_scanned: int = 0
    #: path relative to the backend's folder -> occurrences
    files: dict[str, int] = field(default_factory=dict)
    #: table -> rows mentioning an id
    tables: dict[str, int] = field(default_factory=dict)
    #: why the backend's files were not scanned, if they were not
    note: str = ""

    @property
    def hits(self) -> int:
        return sum(self.files.values()) + sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "files_scanned": self.files_scanned,
            "tables_scanned": self.tables_scanned,
            "files": dict(self.files),
            "tables": dict(self.tables),
            "note": self.note,
        }

    def __str__(self) -> str:
        text = (
            f"traces {self.hits} (the ids scanned for in {self.files_scanned} backend file(s), "
            f"as bytes, and {self.tables_scanned} table(s))"
        )
        found = [f"{name} {n}" for name, n in {**self.files, **self.tables}.items()]
        if found:
            text += ": " + ", ".join(found)
        if self.note:
            text += f"; {self.note}"
        return text


def count_in_file(path: str, needles: Sequence[bytes]) -> int:
    """Occurrences of each of ``needles`` in the file's bytes, summed (read in
    chunks that overlap by the longest needle, so none is cut in two)."""
    overlap = max((len(n) for n in needles), default=1) - 1
    total, tail = 0, b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return total
            data = tail + chunk
            for needle in needles:
                # Only matches that end in the new bytes: those in ``tail`` were counted.
                start = 0
                while True:
                    at = data.find(needle, start)
                    if at < 0:
                        break
                    if at + len(needle) > len(tail):
                        total += 1
                    start = at + 1
            tail = data[-overlap:] if overlap else b""


def scan_files(folder: str, needles: Sequence[str], scan: TraceScan) -> None:
    encoded = [n.encode("utf-8") for n in needles if n]
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.join(root, name)
            try:
                hits = count_in_file(path, encoded)
            except OSError:
                continue  # removed while we walked (a WAL after a checkpoint)
            scan.files_scanned += 1
            if hits:
                scan.files[os.path.relpath(path, folder)] = hits


def _text_fields(model: type[models.Model]) -> list[str]:
    kinds = (models.CharField, models.TextField, models.JSONField)
    return [f.name for f in model._meta.concrete_fields if isinstance(f, kinds)]


def scan_tables(needles: Sequence[str], scan: TraceScan, using: str | None) -> None:
    """Rows of this app's tables whose text or JSON fields contain an id."""
    seen: set[str] = set()
    for model in apps.get_app_config("personalize").get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        fields = _text_fields(model)
        if not fields:
            continue
        query = Q()
        annotations = {f"_text_{name}": Cast(name, models.TextField()) for name in fields}
        for name in fields:
            for needle in needles:
                query |= Q(**{f"_text_{name}__contains": needle})
        rows = model._base_manager.db_manager(using).annotate(**annotations).filter(query).count()
        scan.tables_scanned += 1
        if rows:
            scan.tables[meta.db_table] = rows


def scan_for(
    needles: Iterable[str], *, folder: str | None, using: str | None = None
) -> TraceScan:
    """Scan the backend's ``folder`` (``None``: it keeps no files here) and this
    app's tables for ``needles`` (a user id and their session ids)."""
    wanted = sorted({n for n in needles if n})
    scan = TraceScan(needles=wanted)
    if folder and os.path.isdir(folder):
        scan_files(folder, wanted, scan)
    else:
        scan.note = "the backend keeps no files here to scan"
    scan_tables(wanted, scan, using)
    return scan


def _user_event_rows(user_id: str, db: str) -> tuple[Any, list[str]]:
    """The outbox event rows of ``user_id``: their own, and guest events of the
    sessions they used (a guest's history joined at login is theirs too).
    Guest rows of those sessions carry no user id; rows of *another* user in a
    shared session are left alone."""
    rows = OutboxEvent.objects.using(db).filter(kind=OutboxEvent.KIND_EVENT)
    own = rows.filter(payload__user_id=user_id)
    sessions = {f"user-{user_id}"}
    for payload in own.values_list("payload", flat=True).iterator():
        if isinstance(payload, dict) and payload.get("session_id"):
            sessions.add(str(payload["session_id"]))
    guest = Q(payload__user_id__isnull=True) | Q(payload__user_id=None)
    matching = rows.filter(
        Q(payload__user_id=user_id) | (Q(payload__session_id__in=sessions) & guest)
    )
    return matching, sorted(sessions)


def forget_locally(
    user_id: str,
    *,
    retrain: bool = True,
    dry_run: bool = False,
    backend: Backend | None = None,
) -> ForgetReport:
    """Remove ``user_id`` from the outbox, the backend's store (when it
    ``can_forget_users``) and the recommendation cache; see the module
    docstring. ``retrain`` trains the backend again (when it ``can_train``)
    after it removed something, so that the saved model forgets too."""
    db = outbox_db()
    report = ForgetReport(str(user_id), dry_run=dry_run)
    events, report.sessions = _user_event_rows(report.user_id, db)
    users = OutboxEvent.objects.using(db).filter(
        kind=OutboxEvent.KIND_USER, payload__user_id=report.user_id
    )
    backend = backend or get_backend()
    cannot = f"the {backend.display_name} backend keeps no data this app can remove"
    if dry_run:
        report.outbox_events, report.outbox_users = events.count(), users.count()
        report.backend_note = (
            "the backend's data is counted only when it is removed"
            if backend.can_forget_users
            else cannot
        )
        return report
    with transaction.atomic(using=db):
        report.outbox_events = events.delete()[0]
        report.outbox_users = users.delete()[0]
    if backend.can_forget_users:
        report.backend = dict(backend.forget_user(report.user_id))
        if retrain and backend.can_train and any(report.backend.values()):
            backend.train()
            report.retrained = True
    else:
        report.backend_note = cannot
    report.cache_note = caching.forget(
        caching.identity_key(report.user_id, None),
        *(caching.identity_key(None, session) for session in report.sessions),
    )
    report.traces = scan_for(
        [report.user_id, *report.sessions], folder=backend.data_folder, using=db
    )
    return report


def forget_on_aws(
    user_ids: Sequence[str],
    *,
    s3_uri: str | None = None,
    role_arn: str | None = None,
    dataset_group_arn: str | None = None,
    wait: bool = False,
    progress: Callable[[Any], None] | None = None,
) -> tuple[Any, str, bool]:
    """Start a data deletion job for ``user_ids`` in the dataset group; return
    the :class:`~personalize_sdk.provisioning.JobResult`, the S3 URI of the
    deletion list and whether that list was deleted (only after a job waited
    for: the list itself holds the user ids)."""
    client = aws.personalize_client()
    if dataset_group_arn is None:
        dataset_group_arn = plan(client, aws.desired_config()).state.dataset_group_arn
        if dataset_group_arn is None:
            raise ConfigurationError(
                "The dataset group of PERSONALIZE['PROVISIONING'] does not exist in this account"
            )
    # A random name: the key must not reveal whom the list is about.
    uri = aws.s3_location(s3_uri, "forget", f"{aws.stamp()}-{secrets.token_hex(6)}.csv")
    s3 = aws.s3_client()
    job = forget_users(
        client,
        s3,
        dataset_group_arn=dataset_group_arn,
        user_ids=list(user_ids),
        s3_uri=uri,
        role_arn=aws.role_arn(role_arn),
        wait=wait,
        progress=progress,
        sleep=aws.sleep,
    )
    removed = False
    if wait:
        bucket, key = parse_s3_uri(uri)
        s3.delete_object(Bucket=bucket, Key=key)
        removed = True
    return job, uri, removed
