"""Schemathesis hooks of the schema fuzz run (tests/django/integration/test_schema_fuzz.py).

What JSON Schema cannot say, told to the generator: also_viewed and
bought_together need ``item``, and a trusted caller's recommended_for_you and
ranking need the user (no schema makes a member required by another's value,
or by who calls). Cases meant to be valid always carry them, with known
values; cases meant to be invalid are sent as generated.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

ITEM = os.environ.get("PERSONALIZE_FUZZ_ITEM", "1")
USER = "fuzz-user"


def meant_valid(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode.is_positive


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if not meant_valid(case):
        return
    path = case.operation.path
    if path.endswith("/recommendations/{use_case}/"):
        case.query = {**(case.query or {}), "item": ITEM, "user": USER}
    elif path.endswith("/ranking/") and isinstance(case.body, dict):
        case.body = {**case.body, "user_id": USER}
