/* 收件箱: keeps the header's unread badge live on every staff page, and on the inbox page offers to
   reload when new messages arrived. Polls the summary API every data-poll-seconds with the last ETag
   (If-None-Match): while nothing changed the answer is an empty 304. Without JavaScript the badge
   shows the count of the page load and the inbox page its own list; nothing else depends on this. */
(function () {
  "use strict";
  var badge = document.querySelector("[data-inbox-count]");
  if (!badge || !window.fetch) return;
  var url = badge.getAttribute("data-summary-url");
  var seconds = parseInt(badge.getAttribute("data-poll-seconds"), 10) || 60;
  var bar = document.querySelector("[data-inbox-new]");
  if (bar && bar.getAttribute("data-since")) {
    url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(bar.getAttribute("data-since"));
  }
  var etag = null;
  var timer = null;
  var stopped = false;

  function show(data) {
    badge.textContent = data.unread_display;
    badge.setAttribute("aria-label", data.unread_label);
    badge.hidden = !data.unread;
    if (bar && data.new) {
      var link = bar.querySelector("a");
      if (link) link.textContent = data.new_label;
      bar.hidden = false;
    }
  }

  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, seconds * 1000);
  }

  function poll() {
    if (document.hidden) { schedule(); return; }  // a background tab asks again when it is shown
    // X-Background-Poll: not the person's activity, so an unattended page still times out (core/security.py).
    var headers = { "Accept": "application/json", "X-Background-Poll": "1" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 401 || response.status === 403) { stopped = true; return null; }  // signed out
        if (!response.ok) return null;
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* offline or restarting: try again at the next tick */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !stopped) { clearTimeout(timer); poll(); }
  });
  schedule();
})();
