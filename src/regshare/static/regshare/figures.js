// Charts of the dashboards and the cockpit: <div data-figure="ID"> draws the JSON in <script id="ID">
// ({kind: "bar"|"stacked"|"line"|"pie"|"hbar", unit, second_unit, categories, series: [{name, data, kind, axis}],
//   marks: [{name, value}]}), written by core.dashboard.Figure.spec. No inline script (Content-Security-Policy).
(function () {
  "use strict";

  var COLOURS = ["#2f6fb5", "#e08a2e", "#3a9b5b", "#c0392b", "#7d5ba6", "#17a2b8", "#8c8c8c", "#b8860b"];

  function cartesian(spec) {
    var horizontal = spec.kind === "hbar";
    var categoryAxis = {type: "category", data: spec.categories,
                        axisLabel: {interval: 0, rotate: !horizontal && spec.categories.length > 6 ? 30 : 0}};
    var twoAxes = !horizontal && spec.series.some(function (s) { return s.axis === 1; });

    function valueAxisOf(axis, name) {
      var counts = spec.series.every(function (s) {
        return (s.axis || 0) !== axis || s.data.every(function (v) { return v === null || Math.floor(v) === v; });
      });
      var result = {type: "value", name: name || ""};
      if (counts) {
        result.minInterval = 1;  // counts of things: no 0.2 件 on the axis
      }
      return result;
    }

    var valueAxis = twoAxes ? [valueAxisOf(0, spec.unit), valueAxisOf(1, spec.second_unit)] : valueAxisOf(0, spec.unit);
    var series = spec.series.map(function (s, index) {
      var kind = s.kind || (spec.kind === "line" ? "line" : "bar");
      var item = {name: s.name, type: kind, data: s.data, connectNulls: true, barMaxWidth: 40};
      if (twoAxes) {
        item.yAxisIndex = s.axis === 1 ? 1 : 0;
      }
      if (kind === "line") {
        item.showSymbol = true;  // a month with one value is a point, not an invisible line
        item.symbolSize = 7;
      }
      if (spec.kind === "stacked" && kind === "bar") {
        item.stack = "total";
      }
      if (index === 0 && spec.marks && spec.marks.length) {
        item.markLine = {symbol: "none", label: {formatter: "{b}"},
                         data: spec.marks.map(function (m) { return {name: m.name, yAxis: m.value}; })};
      }
      return item;
    });
    return {
      color: COLOURS,
      // Drawn at once: a page printed or captured right after loading shows the real heights, not a growing bar.
      animation: false,
      // richText draws the tooltip on the canvas: the HTML tooltip would need inline styles.
      tooltip: {trigger: "axis", renderMode: "richText"},
      legend: {type: "scroll", data: spec.series.map(function (s) { return s.name; })},
      grid: {left: 40, right: 32, top: 48, bottom: 16, containLabel: true},
      xAxis: horizontal ? valueAxis : categoryAxis,
      // A second axis on the right when a series counts something else than the first (a score and a count).
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  function pie(spec) {
    var values = spec.series[0] ? spec.series[0].data : [];
    return {
      color: COLOURS,
      animation: false,
      tooltip: {trigger: "item", renderMode: "richText"},
      legend: {type: "scroll", bottom: 0},
      series: [{type: "pie", radius: ["35%", "65%"], label: {formatter: "{b}: {c}"},
                data: spec.categories.map(function (name, i) { return {name: name, value: values[i]}; })}]
    };
  }

  function draw(element) {
    if (element.getAttribute("data-drawn") || typeof window.echarts === "undefined") {
      return;
    }
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source) {
      return;
    }
    element.setAttribute("data-drawn", "1");
    var spec = JSON.parse(source.textContent);
    window.echarts.init(element).setOption(spec.kind === "pie" ? pie(spec) : cartesian(spec));
  }

  function activate() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-figure]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", activate);
  } else {
    activate();
  }
})();
