// Staff dashboards: draw every element with a data-chart attribute using Apache ECharts.
// The page puts the figures in the attribute as JSON ({kind, title, unit, labels, values});
// values are decimal strings (10k yuan) and are turned into numbers only for drawing.
(function () {
  "use strict";

  var PALETTE = ["#1a7f5a", "#e0a100", "#d9822b", "#c0392b", "#7f1d1d"];

  function option(spec) {
    var values = spec.values.map(Number);
    var title = { text: spec.title, left: "center", textStyle: { fontSize: 14 } };
    var unit = function (v) { return v + " " + spec.unit; };
    if (spec.kind === "pie") {
      return {
        title: title,
        color: PALETTE,
        tooltip: { trigger: "item", valueFormatter: unit },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          type: "pie",
          radius: ["35%", "62%"],
          center: ["50%", "52%"],
          label: { formatter: "{b}\n{d}%" },
          data: spec.labels
            .map(function (label, i) { return { name: label, value: values[i] }; })
            .filter(function (slice) { return slice.value > 0; })
        }]
      };
    }
    return {
      title: title,
      color: PALETTE,
      tooltip: { trigger: "axis", valueFormatter: unit },
      grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", name: spec.unit },
      series: [{ type: "bar", data: values, barMaxWidth: 48 }]
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined") {
      return; // the tables below the charts carry the same figures
    }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(JSON.parse(element.getAttribute("data-chart"))));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  });
})();
