// Forms that grow on the page (no inline script: the Content-Security-Policy forbids it).
//   <template data-formset-template="fields">…__prefix__…</template>
//   <tbody data-formset-rows="fields">        where the new rows go
//   <button type="button" data-formset-add="fields">  adds one row
// The Django formset's management form (<input name="fields-TOTAL_FORMS">) counts the rows.
//   <form data-confirm-when="mode=replace" data-confirm-text="…">  asks only when that choice is made
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-formset-add]");
    if (!button) {
      return;
    }
    var prefix = button.getAttribute("data-formset-add");
    var template = document.querySelector('template[data-formset-template="' + prefix + '"]');
    var rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
    var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    if (!template || !rows || !total) {
      return;
    }
    var index = Number(total.value) || 0;
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    while (holder.firstElementChild) {
      rows.appendChild(holder.firstElementChild);
    }
    total.value = String(index + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input, select");
    if (first) {
      first.focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var rule = form.getAttribute && form.getAttribute("data-confirm-when");
    if (!rule) {
      return;
    }
    var parts = rule.split("=");
    var chosen = form.querySelector('[name="' + parts[0] + '"]:checked') || form.querySelector('[name="' + parts[0] + '"]');
    if (chosen && chosen.value === parts[1] && !window.confirm(form.getAttribute("data-confirm-text") || "确定吗?")) {
      event.preventDefault();
    }
  });
})();
