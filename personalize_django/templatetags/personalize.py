"""``{% load personalize %}``: recommendations and ranking in templates.

::

    {% recommendations "also_viewed" item=product limit=6 filter="in_stock" as recs %}
    {% recommendations "recommended_for_you" limit=8 CATEGORY="shoes" as recs %}
    {% recommendation_block "best_sellers" limit=4 title="Popular now" %}
    {% recommendation_block "recommended_for_you" limit=4 hide_fallback=True %}
    {% rank products as ranked %}
    {% personalize_js %}

Keyword arguments other than ``item``, ``limit``, ``filter``, ``context``,
``exclude`` and ``distinct`` (and ``template``, ``title`` and ``hide_fallback``
for the block) are filter values, by placeholder name (a list value means
several). The lists of one request share a page registry: an item shown by
one list is left out of the later ones (``distinct=False`` opts a list out).
A list shorter than ``limit`` has ``partial`` set, with a ``reason``: a filter
is never padded with items it excludes. The user, or the guest's session, comes
from the request (``django.template.context_processors.request`` must be on).

A backend error is logged and the fallback rendered; a configuration error
(unknown use case or filter, missing item, no item model registered) raises
when ``DEBUG`` is on and is logged (with the fallback rendered) otherwise.
"""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token
from django.template.loader import select_template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .. import pages
from ..conf import personalize_settings

register = template.Library()
logger = logging.getLogger("personalize_django")

#: the default templates, most specific first (``{use_case}`` is filled in)
BLOCK_TEMPLATES = ("personalize/blocks/{use_case}.html", "personalize/block.html")


def _request(context: template.Context) -> Any:
    request = context.get("request")
    if request is None and settings.DEBUG:
        raise ImproperlyConfigured(
            "personalize template tags need the request in the template context: add "
            "'django.template.context_processors.request' to the context processors"
        )
    return request


def _limit(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        if settings.DEBUG:
            raise template.TemplateSyntaxError(f"limit must be a number, not {value!r}") from None
        logger.error("personalize tag: limit must be a number, not %r; using 10", value)
        return 10


@register.simple_tag(takes_context=True)
def recommendations(
    context: template.Context,
    use_case: str,
    item: Any = None,
    limit: Any = 10,
    filter: str | None = None,
    context_values: dict | None = None,
    exclude: Any = (),
    distinct: bool = True,
    **filter_values: Any,
) -> pages.Recommendations:
    """Recommended item instances, in order, with ``.recommendation_id``,
    ``.source``, ``.reason`` and ``.partial``."""
    return pages.recommend(
        use_case,
        request=_request(context),
        item=item,
        limit=_limit(limit),
        filter=filter or None,
        filter_values=filter_values,
        context=context_values,
        exclude=_items(exclude),
        distinct=bool(distinct),
    )


def _items(value: Any) -> list[Any]:
    """``exclude=``: one item (an instance or id), or a list of them."""
    if value in (None, "", ()):
        return []
    if isinstance(value, (str, int)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


@register.simple_tag(takes_context=True)
def recommendation_block(
    context: template.Context,
    use_case: str,
    item: Any = None,
    limit: Any = 10,
    filter: str | None = None,
    template: str | None = None,
    title: str | None = None,
    context_values: dict | None = None,
    exclude: Any = (),
    distinct: bool = True,
    hide_fallback: bool = False,
    block: str | None = None,
    **filter_values: Any,
) -> str:
    """Render ``personalize/blocks/<use_case>.html`` or ``personalize/block.html``
    (or ``template``) with the recommendations, carrying the data attributes
    personalize.js reads. Nothing is rendered for an empty list, nor, with
    ``hide_fallback``, for a list that is all fallback (no item from the model).

    ``block`` names the placement, so that the console tells two blocks of one
    use case apart (``data-personalize-block``, sent as the events' ``block``
    property); by default, the name of the page's URL pattern."""
    recs = recommendations(
        context,
        use_case,
        item=item,
        limit=limit,
        filter=filter,
        context_values=context_values,
        exclude=exclude,
        distinct=distinct,
        **filter_values,
    )
    if hide_fallback and recs.is_fallback:
        return ""
    names = [template] if template else [name.format(use_case=use_case) for name in BLOCK_TEMPLATES]
    request = context.get("request")
    if block is None:
        match = getattr(request, "resolver_match", None)
        block = match.url_name if match is not None else None
    return select_template(names).render(
        {
            "recommendations": recs,
            "use_case": use_case,
            "title": title,
            "item": item,
            "block": block,
        },
        request,
    )


@register.simple_tag(takes_context=True)
def rank(
    context: template.Context,
    items: Any,
    filter: str | None = None,
    context_values: dict | None = None,
    **filter_values: Any,
) -> pages.Recommendations:
    """``items`` (a queryset or instances) reordered for the user, best first."""
    return pages.rank(
        items,
        request=_request(context),
        filter=filter or None,
        filter_values=filter_values,
        context=context_values,
    )


@register.simple_tag(takes_context=True)
def personalize_js(context: template.Context, events_url: str | None = None) -> str:
    """The ``<script>`` of personalize.js, with the events URL and a CSRF token
    (reading the token also makes Django set the CSRF cookie)."""
    request = context.get("request")
    if events_url is None:
        try:
            events_url = reverse("personalize_api:events")
        except NoReverseMatch:
            if settings.DEBUG:
                raise ImproperlyConfigured(
                    "{% personalize_js %} needs the API mounted: "
                    'path("api/personalize/", include("personalize_django.api.urls"))'
                ) from None
            logger.error("personalize_js: the API is not mounted; events are not recorded")
            return ""
    token = get_token(request) if request is not None else ""
    return format_html(
        '<script src="{}" defer data-personalize-events-url="{}" data-personalize-csrf-token="{}"'
        ' data-personalize-impression-type="{}" data-personalize-click-type="{}"></script>',
        static("personalize/personalize.js"),
        events_url,
        token,
        personalize_settings.IMPRESSION_EVENT_TYPE,
        personalize_settings.CLICK_EVENT_TYPE,
    )
