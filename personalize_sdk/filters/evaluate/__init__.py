"""The filter evaluator of the local engine (needs numpy: the ``local`` extra).

::

    from personalize_sdk.filters.evaluate import ItemCatalog, FilterContext, compile_filter

    catalog = ItemCatalog(item_ids, properties)        # once per catalog version
    compiled = compile_filter(expression, catalog)     # once per (filter, catalog)
    mask = compiled.mask(FilterContext(values={"CATEGORY": ("shoes",)}))   # per request

``mask`` is a numpy boolean array with one entry per catalog item, True where
the item may be recommended. See docs/filters.rst for the semantics.
"""

from ...exceptions import ImproperlyInstalled

try:
    import numpy  # noqa: F401
except ModuleNotFoundError as err:  # pragma: no cover - exercised in a subprocess test
    if err.name != "numpy":
        raise
    raise ImproperlyInstalled("numpy", "local", feature="The filter evaluator") from err

from .catalog import Column, ItemCatalog  # noqa: E402
from .compiler import HISTORY_LIMIT, CompiledFilter, FilterContext, compile_filter  # noqa: E402

__all__ = ["HISTORY_LIMIT", "Column", "CompiledFilter", "FilterContext", "ItemCatalog", "compile_filter"]
