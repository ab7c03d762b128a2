// Behaviour of the platform's pages. No page carries inline script (the Content-Security-Policy
// forbids it): a template marks an element with a data- attribute and this file gives it life.
//   <form data-confirm="确定吗?">          asks before submitting
//   <select data-autosubmit>               submits its form when changed
//   <div data-quality-chart="ID">          a quality line chart of the JSON in <script id="ID">
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });

  var QUALITY_SERIES = [["完整性", "completeness"], ["有效性", "validity"], ["唯一性", "uniqueness"],
                        ["及时性", "timeliness"]];

  function drawQualityChart(element) {
    if (element.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    element.setAttribute("data-drawn", "1");
    var data = JSON.parse(document.getElementById(element.getAttribute("data-quality-chart")).textContent);
    window.echarts.init(element).setOption({
      // richText draws the tooltip on the canvas: the HTML tooltip would need inline styles.
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: QUALITY_SERIES.map(function (s) { return s[0]; })},
      xAxis: {type: "category", data: data.map(function (d) { return d.date; })},
      yAxis: {type: "value", min: 0, max: 1},
      series: QUALITY_SERIES.map(function (s) {
        return {name: s[0], type: "line", data: data.map(function (d) { return d[s[1]]; })};
      })
    });
  }

  function activate(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-quality-chart]"), drawQualityChart);
    // Progress bars: the width is set through the DOM, which the policy allows, not a style attribute.
    Array.prototype.forEach.call(root.querySelectorAll("[data-progress]"), function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.getAttribute("data-progress")) || 0)) + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { activate(document); });
  // Content that htmx swaps in (the import progress, for instance).
  document.addEventListener("htmx:load", function (event) { activate(event.target); });
})();
