/*!
 * personalize.js: records impressions and clicks of recommendation blocks.
 * Part of personalize-django. No dependencies.
 *
 * Include it with {% personalize_js %}, which sets the two attributes read
 * below on the <script> tag. It looks for blocks carrying
 *
 *   data-personalize-use-case="also_viewed"
 *   data-personalize-recommendation-id="RID-..."
 *   data-personalize-block="product"   (optional: the placement, sent as the block property)
 *
 * with items inside carrying data-personalize-item-id="42", and records
 *   - one impression event per block, the first time at least half of it is
 *     visible (or half the viewport, for blocks taller than that);
 *   - a click event for a click on an item, with the recommendation id.
 * Events are batched for a short moment and sent with navigator.sendBeacon
 * (falling back to fetch with keepalive) to the events endpoint. Beacons
 * cannot carry headers, so the CSRF token travels in the body as csrf_token.
 *
 * window.personalize.scan(root) looks for new blocks (it runs by itself on
 * load and when the page changes), window.personalize.record(event) queues
 * any event, window.personalize.flush() sends at once.
 */
(function () {
  "use strict";

  if (window.personalize && window.personalize.version) {
    return; // included twice
  }

  var script = document.currentScript;
  var attr = function (name, fallback) {
    var value = script && script.getAttribute("data-personalize-" + name);
    return value === null || value === undefined || value === "" ? fallback : value;
  };
  var config = {
    url: attr("events-url", null),
    csrfToken: attr("csrf-token", ""),
    impressionType: attr("impression-type", "Impression"),
    clickType: attr("click-type", "Click"),
    delay: parseInt(attr("delay", "1000"), 10), // ms to gather a batch
    maxBatch: 25, // events per request (the server caps batches too)
    maxImpression: 25 // Personalize takes at most 25 impression ids per event
  };
  var BLOCK = "[data-personalize-use-case]";
  var ITEM = "[data-personalize-item-id]";

  var queue = [];
  var timer = null;
  var seen = typeof WeakSet === "function" ? new WeakSet() : null;
  var watched = typeof WeakSet === "function" ? new WeakSet() : null;

  function has(set, el, flag) {
    return set ? set.has(el) : el[flag] === true;
  }
  function add(set, el, flag) {
    if (set) { set.add(el); } else { el[flag] = true; }
  }

  function send(body) {
    var json = JSON.stringify(body);
    try {
      // text/plain needs no CORS preflight; the server reads it as JSON.
      if (navigator.sendBeacon && navigator.sendBeacon(config.url, new Blob([json], {type: "text/plain;charset=UTF-8"}))) {
        return;
      }
    } catch (e) { /* fall through to fetch */ }
    if (window.fetch) {
      window.fetch(config.url, {
        method: "POST",
        body: json,
        keepalive: true,
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": config.csrfToken}
      })["catch"](function () { /* recording must never disturb the page */ });
    }
  }

  function flush() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (!config.url) {
      queue = [];
      return;
    }
    while (queue.length) {
      send({events: queue.splice(0, config.maxBatch), csrf_token: config.csrfToken});
    }
  }

  function record(event) {
    queue.push(event);
    if (queue.length >= config.maxBatch) {
      flush();
    } else if (timer === null) {
      timer = setTimeout(flush, config.delay);
    }
  }

  function itemIds(block) {
    var ids = [];
    var nodes = block.querySelectorAll(ITEM);
    for (var i = 0; i < nodes.length && ids.length < config.maxImpression; i++) {
      var id = nodes[i].getAttribute("data-personalize-item-id");
      if (id && ids.indexOf(id) < 0) { ids.push(id); }
    }
    return ids;
  }

  function eventFor(block, type) {
    var event = {
      event_type: type,
      use_case: block.getAttribute("data-personalize-use-case"),
      sent_at: new Date().toISOString()
    };
    var rid = block.getAttribute("data-personalize-recommendation-id");
    if (rid) { event.recommendation_id = rid; }
    var name = block.getAttribute("data-personalize-block");
    if (name) { event.properties = {block: name}; }
    var ids = itemIds(block);
    if (ids.length) { event.impression = ids; }
    return event;
  }

  function impression(block) {
    if (has(seen, block, "__personalizeSeen")) { return; }
    add(seen, block, "__personalizeSeen");
    if (observer) { observer.unobserve(block); }
    if (block.querySelector(ITEM)) { record(eventFor(block, config.impressionType)); }
  }

  var observer = null;
  if (typeof IntersectionObserver === "function") {
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) { return; }
        var viewport = entry.rootBounds ? entry.rootBounds.height : window.innerHeight;
        // Half the block, or half the screen for a block taller than the screen.
        if (entry.intersectionRatio >= 0.5 || entry.intersectionRect.height >= viewport / 2) {
          impression(entry.target);
        }
      });
    }, {threshold: [0, 0.25, 0.5, 0.75, 1]});
  }

  function scan(root) {
    var scope = root || document;
    var blocks = scope.querySelectorAll ? scope.querySelectorAll(BLOCK) : [];
    var list = Array.prototype.slice.call(blocks);
    if (scope.matches && scope.matches(BLOCK)) { list.push(scope); }
    list.forEach(function (block) {
      if (has(watched, block, "__personalizeWatched")) { return; }
      add(watched, block, "__personalizeWatched");
      if (observer) { observer.observe(block); } else { impression(block); }
    });
  }

  function onClick(e) {
    if (e.type === "auxclick" && e.button !== 1) { return; } // middle click opens a tab
    var target = e.target && e.target.closest ? e.target : null;
    var item = target && target.closest(ITEM);
    var block = item && item.closest(BLOCK);
    if (!block) { return; }
    impression(block); // a click proves the block was seen
    var event = eventFor(block, config.clickType);
    event.item_id = item.getAttribute("data-personalize-item-id");
    record(event);
    flush(); // the page may be leaving: a beacon survives that
  }

  document.addEventListener("click", onClick, true);
  document.addEventListener("auxclick", onClick, true);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);

  if (typeof MutationObserver === "function") {
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        for (var i = 0; i < m.addedNodes.length; i++) {
          if (m.addedNodes[i].nodeType === 1) { scan(m.addedNodes[i]); }
        }
      });
    }).observe(document.documentElement, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }

  window.personalize = {version: "1", scan: scan, record: record, flush: flush, config: config};
})();
