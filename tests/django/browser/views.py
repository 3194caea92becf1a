"""A shop page for the browser tests: a recommendation block below the fold
and personalize.js, rendered as a shop's own template would."""

from django.http import HttpRequest, HttpResponse
from django.template import RequestContext, Template

PAGE = Template("""{% load personalize %}<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>{% personalize_js %}</head>
<body>
  <div id="top" style="height: 2500px">A long product page.</div>
  {% recommendation_block "best_sellers" limit=3 title="Popular now" %}
  <div style="height: 2500px">The footer.</div>
</body></html>""")


def recommended_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render(RequestContext(request)))
