"""A deliberately naive evaluator: walks the tree for every item.

It states the semantics of docs/filters.rst as directly as possible, so that
the compiled evaluator can be checked against it (on the 50,000-item catalogue
and on generated filters). Value conversions (number / whole text / tokens)
are shared with the real evaluator; they have their own unit tests.
"""

from __future__ import annotations

import operator

from personalize_sdk import InvalidRequestError
from personalize_sdk.filters import And, Membership, Number, Or, Placeholder, StringList
from personalize_sdk.filters.evaluate.catalog import as_number, as_text, as_tokens

OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def reference_pass(tree, item_ids, properties, context, history_limit=100):
    """The ids of items that pass, computed item by item."""
    props_by_id = dict(zip(item_ids, properties, strict=True))
    values = {k: ((v,) if isinstance(v, str) else tuple(v)) for k, v in (context.values or {}).items()}
    history = {}
    for event_type, ids in (context.interactions or {}).items():
        for item_id in list(ids)[:history_limit]:
            history.setdefault(item_id, set()).add(event_type.casefold())

    def current(name):
        if context.current_item is None:
            raise InvalidRequestError("item_id", "needs a current item")
        return (props_by_id.get(context.current_item) or {}).get(name)

    def single(name):
        if len(values[name]) != 1:
            raise InvalidRequestError(f"filter_values[{name!r}]", "needs exactly one value")
        return values[name][0]

    def compare(op, own, other, placeholder):
        if other is None:  # a CurrentItem without the field: nothing compares
            return False
        number = as_number(other)
        if number is not None:
            mine = as_number(own)
            return mine is not None and OPS[op](mine, number)
        if op in ("=", "!="):
            text = as_text(own)
            return text is not None and (text == as_text(other)) == (op == "=")
        if placeholder:
            raise InvalidRequestError(f"filter_values[{placeholder!r}]", "needs a number")
        return False

    def holds(condition, item_id, props):
        name = condition.field.name
        if isinstance(condition, Membership):
            v = condition.values
            if condition.field.dataset == "Interactions":
                wanted = {x.casefold() for x in (v.values if isinstance(v, StringList) else values[v.name])}
                kinds = history.get(item_id, set())
                found = bool(kinds) and ("*" in wanted or bool(kinds & wanted))
            else:
                if isinstance(v, StringList):
                    wanted = set(v.values)
                elif isinstance(v, Placeholder):
                    wanted = set(values[v.name])
                else:
                    wanted = set(as_tokens(current(v.name)))
                found = bool(set(as_tokens(props.get(name))) & wanted)
            return not found if condition.negated else found
        v = condition.value
        if isinstance(v, Number):
            other, placeholder = v.value, None
        elif isinstance(v, Placeholder):
            other, placeholder = single(v.name), v.name
        else:
            other, placeholder = current(v.name), None
        return compare(condition.operator, props.get(name), other, placeholder)

    def where_holds(where, item_id, props):
        # Lists, not generators: every condition is evaluated (no short
        # circuit), so request errors surface whatever the data.
        if isinstance(where, Or):
            return any([where_holds(t, item_id, props) for t in where.terms])
        if isinstance(where, And):
            return all([holds(c, item_id, props) for c in where.conditions])
        return holds(where, item_id, props)

    def if_holds(expression):
        user = context.user_properties
        if user is None:
            return False
        return all(holds(c, None, user) for c in expression.if_conditions)

    included, excluded, any_include = set(), set(), False
    for expression in tree.expressions:
        missing = [p for p in expression.placeholders if not values.get(p)]
        if missing:
            if expression.action == "INCLUDE":
                raise InvalidRequestError(f"filter_values[{missing[0]!r}]", "required")
            continue
        if expression.if_conditions and not if_holds(expression):
            continue
        chosen = {
            item_id
            for item_id, props in zip(item_ids, properties, strict=True)
            if where_holds(expression.where, item_id, props or {})
        }
        if expression.action == "INCLUDE":
            any_include = True
            included |= chosen
        else:
            excluded |= chosen
    base = included if any_include else set(item_ids)
    return base - excluded
