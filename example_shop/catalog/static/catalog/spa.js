/* The example shop's single-page view: plain JavaScript over the REST API.
 *
 * - lists come from GET /api/personalize/recommendations/<use case>/;
 * - product details from the shop's GET /api/shop/products/<id>/;
 * - a product opened here is recorded as a View with window.personalize.record
 *   (personalize.js, included by {% personalize_js %}), which also records the
 *   impressions and clicks of every block carrying data-personalize-* attributes.
 */
(function () {
  "use strict";

  var API = "/api/personalize/recommendations/";
  var list = document.getElementById("spa-list");
  var panel = document.getElementById("spa-panel");
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".spa-tabs button"));
  var current = "recommended_for_you";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
      if (!r.ok) { throw new Error(url + " answered " + r.status); }
      return r.json();
    });
  }

  function block(data, className) {
    // The attributes personalize.js needs to record impressions and clicks.
    return el("div", {
      "class": className,
      "data-personalize-use-case": data.use_case,
      "data-personalize-recommendation-id": data.recommendation_id || "",
      "data-personalize-block": "app",
      "data-testid": "spa-" + data.use_case
    });
  }

  function card(item) {
    return el("article", {"class": "card", "data-personalize-item-id": item.item_id, "tabindex": "0"}, [
      el("img", {src: item.image, alt: "", width: "200", height: "200"}),
      el("span", {"class": "card-kind", text: item.category}),
      el("span", {"class": "card-title", text: item.title}),
      el("span", {"class": "card-price", text: "$" + item.price})
    ]);
  }

  function showList(useCase) {
    current = useCase;
    tabs.forEach(function (t) { t.setAttribute("aria-selected", String(t.dataset.useCase === useCase)); });
    return getJSON(API + useCase + "/?limit=12").then(function (data) {
      list.dataset.answers = String(Number(list.dataset.answers || 0) + 1);
      // A tab chosen while this list was on its way wins: a late answer never replaces it.
      if (current !== useCase) { return; }
      var grid = block(data, "grid");
      data.items.forEach(function (item) { grid.appendChild(card(item)); });
      list.replaceChildren(grid);
    }).catch(function (err) {
      if (current !== useCase) { return; }
      list.replaceChildren(el("p", {"class": "hint", text: "Could not load the list: " + err.message}));
    });
  }

  function openProduct(itemId) {
    var viewed = recordView(itemId);
    return Promise.all([
      getJSON("/api/shop/products/" + encodeURIComponent(itemId) + "/"),
      getJSON(API + "also_viewed/?item=" + encodeURIComponent(itemId) + "&limit=6")
    ]).then(function (answers) {
      var p = answers[0], also = answers[1];
      var mini = block(also, "spa-mini");
      also.items.forEach(function (item) {
        mini.appendChild(el("button", {"data-personalize-item-id": item.item_id, type: "button"}, [
          el("img", {src: item.image, alt: "", width: "90", height: "90"}),
          el("span", {text: item.title})
        ]));
      });
      panel.replaceChildren(
        el("img", {src: p.image, alt: p.title, width: "320", height: "320"}),
        el("p", {"class": "brand", text: p.brand}),
        el("h2", {text: p.title, "data-testid": "spa-title"}),
        el("p", {"class": "price", text: "$" + p.price}),
        el("p", {"class": "description", text: p.description}),
        el("a", {href: p.url, text: "Open the product page ›"}),
        el("h3", {text: "Customers who viewed this also viewed"}),
        mini
      );
      // What is "for you" changes with this view: ask again once it is recorded.
      // The tab is read once the view is recorded: the shopper may have changed it meanwhile.
      return viewed.then(function () {
        if (current === "recommended_for_you") { return showList(current); }
      });
    });
  }

  function recordView(itemId) {
    // A plain POST (not personalize.js's beacon), so we know when it is recorded.
    var config = window.personalize && window.personalize.config;
    if (!config || !config.url) { return Promise.resolve(); }
    return fetch(config.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": config.csrfToken},
      body: JSON.stringify({events: [{event_type: "View", item_id: String(itemId)}]})
    })["catch"](function () { /* recording must not break the page */ });
  }

  function onPick(e) {
    var target = e.target.closest("[data-personalize-item-id]");
    if (target) { openProduct(target.getAttribute("data-personalize-item-id")); }
  }

  list.addEventListener("click", onPick);
  panel.addEventListener("click", onPick);
  list.addEventListener("keydown", function (e) { if (e.key === "Enter") { onPick(e); } });
  tabs.forEach(function (t) { t.addEventListener("click", function () { showList(t.dataset.useCase); }); });
  showList(current);
})();
