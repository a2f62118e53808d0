/* The dispute form: "Add another person" copies the empty block in the page instead of
   sending the form back, and more than the allowed number of files is refused at once.
   Without JavaScript both are done by the server. */
(function () {
  "use strict";

  var button = document.querySelector("[data-add-party]");
  var template = document.getElementById("party-template");
  var list = document.querySelector("[data-party-list]");
  if (button && template && list && "content" in template) {
    var prefix = button.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = parseInt(button.getAttribute("data-max"), 10) || 10;
    var attributes = ["id", "name", "for", "aria-describedby"];
    button.addEventListener("click", function (event) {
      var count = parseInt(total.value, 10) || 0;
      event.preventDefault();
      if (count >= max) return;
      var block = template.content.cloneNode(true);
      Array.prototype.forEach.call(block.querySelectorAll("[id], [name], [for], [aria-describedby]"), function (el) {
        attributes.forEach(function (name) {
          var value = el.getAttribute(name);
          if (value) el.setAttribute(name, value.replace(/__prefix__/g, String(count)));
        });
      });
      var legend = block.querySelector("legend");
      if (legend) legend.textContent = legend.textContent.replace("__num__", String(count + 1));
      list.appendChild(block);
      total.value = String(count + 1);
      var added = list.lastElementChild;
      var first = added && added.querySelector("select, input");
      if (first) first.focus();
      if (count + 1 >= max) button.disabled = true;
    });
  }

  var files = document.querySelector("input[type=file][data-max-files]");
  if (files) {
    files.addEventListener("change", function () {
      var max = parseInt(files.getAttribute("data-max-files"), 10);
      files.setCustomValidity(files.files.length > max ? files.getAttribute("data-too-many") : "");
      files.reportValidity();
    });
  }
})();
