// Charts of the risk pages: <div data-risk-chart="ID"> draws the JSON in <script id="ID">
// ({type: "bar", categories: [...], series: [{name, data}]}). No inline script (Content-Security-Policy).
(function () {
  "use strict";

  function draw(element) {
    if (element.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    element.setAttribute("data-drawn", "1");
    var spec = JSON.parse(document.getElementById(element.getAttribute("data-risk-chart")).textContent);
    window.echarts.init(element).setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {data: spec.series.map(function (s) { return s.name; })},
      grid: {left: 48, right: 48, bottom: 48, containLabel: true},
      xAxis: {type: "category", data: spec.categories, axisLabel: {interval: 0, rotate: spec.categories.length > 6 ? 30 : 0}},
      yAxis: [{type: "value", name: "平均风险分"}, {type: "value", name: "主体数"}],
      series: spec.series.map(function (s, i) { return {name: s.name, type: spec.type, data: s.data, yAxisIndex: i}; })
    });
  }

  function activate() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-risk-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", activate);
  } else {
    activate();
  }
})();
