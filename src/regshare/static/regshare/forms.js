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

// Long generated files (reports): <a href="…" data-busy-text="正在生成…"> shows a moving progress bar until
// the file arrives (the server answers with the cookie regshare_ready_<token>) or two minutes pass.
(function () {
  "use strict";

  function token() {
    return Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy-text]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    var id = token();
    var box = document.createElement("div");
    box.className = "busy";
    box.setAttribute("role", "status");
    box.setAttribute("data-testid", "busy");
    var text = document.createElement("p");
    text.textContent = link.getAttribute("data-busy-text") + ",请稍候……";
    var bar = document.createElement("div");
    bar.className = "busy-bar";
    bar.appendChild(document.createElement("div"));
    box.appendChild(text);
    box.appendChild(bar);
    document.body.appendChild(box);
    var started = Date.now();
    var timer = window.setInterval(function () {
      var ready = document.cookie.indexOf("regshare_ready_" + id + "=") !== -1;
      if (ready || Date.now() - started > 120000) {
        window.clearInterval(timer);
        box.remove();
        document.cookie = "regshare_ready_" + id + "=; Max-Age=0; path=/";
      }
    }, 400);
    var url = link.href + (link.href.indexOf("?") === -1 ? "?" : "&") + "progress=" + id;
    window.location.href = url;
  });
})();
