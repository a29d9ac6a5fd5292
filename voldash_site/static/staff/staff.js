/* voldash staff pages: small comforts on top of plain HTML forms (everything works without it). */
(function () {
  "use strict";

  // The bulk bar shows only the fields of the chosen action.
  function bulkBar(select) {
    var bar = select.closest("fieldset, form");
    function sync() {
      bar.querySelectorAll(".bulk-fields").forEach(function (fields) {
        var chosen = fields.getAttribute("data-for") === select.value;
        fields.hidden = !chosen;
        fields.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !chosen; });
      });
    }
    select.addEventListener("change", sync);
    sync();
  }

  // A long people picker filters as you type (the select itself stays the form field).
  function filterable(select) {
    var label = document.createElement("label");
    label.className = "picker-filter";
    label.textContent = "Find a person";
    var input = document.createElement("input");
    input.type = "search";
    input.setAttribute("data-picker-filter", select.name);
    input.placeholder = "Type a name…";
    label.appendChild(input);
    select.parentNode.insertBefore(label, select);
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !option.value || option.text.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !match;
        if (match && option.value && first === null) { first = option; }
      });
      var current = select.selectedOptions[0];
      if (needle && first && (!current || current.hidden || !current.value)) { first.selected = true; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-bulk-action]").forEach(bulkBar);
    document.querySelectorAll("select[data-filterable]").forEach(filterable);
  });
})();

// The QR sheet's Print button (no inline handlers: the staff CSP allows only this file).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
