/* The place cascade: choosing a county, township or village fills the next list from
   /areas/<id>/children.json. Without JavaScript the "Show the places below" button
   sends the form back and the server fills the next list instead. */
(function () {
  "use strict";
  var box = document.querySelector("[data-area-cascade]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-url");
  var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-level]"));
  var fallback = Array.prototype.slice.call(document.querySelectorAll("[data-refine], [data-refine-hint]"));
  fallback.forEach(function (el) { el.hidden = true; });

  function clearFrom(index) {
    for (var i = index; i < selects.length; i++) {
      var select = selects[i];
      while (select.options.length > 1) select.remove(1);
      select.value = "";
      select.disabled = true;
    }
  }

  function load(select, next) {
    next.setAttribute("aria-busy", "true");
    fetch(url.replace("/0/", "/" + encodeURIComponent(select.value) + "/"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (select.value !== String(data.id)) return; /* the choice changed meanwhile */
        data.children.forEach(function (child) { next.add(new Option(child.name, child.id)); });
        next.disabled = data.children.length === 0;
        next.removeAttribute("aria-busy");
      })
      .catch(function () {
        /* Offline or an error: fall back to the server-side step. */
        next.removeAttribute("aria-busy");
        fallback.forEach(function (el) { el.hidden = false; });
      });
  }

  selects.forEach(function (select, index) {
    select.addEventListener("change", function () {
      clearFrom(index + 1);
      var next = selects[index + 1];
      if (next && select.value) load(select, next);
    });
  });
})();
