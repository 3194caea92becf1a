"""Submitting a page's form the way a browser would, with the test client:
the values the page shows, overridden by the test's."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.data: dict[str, Any] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or a.get("id") == self.form_id
        if not self.inside or not a.get("name"):
            if tag == "option" and self.select and "selected" in a:
                self.data[self.select] = a.get("value", "")
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.data[name] = a.get("value") or ""
        elif tag == "select":
            self.select = name
            self.data.setdefault(name, "")
        elif tag == "textarea":
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select":
            self.select = None


def form_values(html: str, form_id: str | None = None) -> dict[str, Any]:
    """The values a browser would submit from the form ``form_id`` (the first
    form when None) as the page shows them."""
    parser = _FormParser(form_id)
    parser.feed(html)
    return parser.data
