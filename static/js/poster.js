/* The poster page: a print button (without JavaScript, the browser's own Print works the same). */
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button || !window.print) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
