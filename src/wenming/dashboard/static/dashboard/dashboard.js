// 领导驾驶舱: every chart is drawn from the JSON of the table under it (dashboard.tables), so the
// chart, the table and the Excel export show the same figures. ECharts is served locally.
(function () {
  "use strict";
  var dark = document.body.classList.contains("dash-screen");
  var text = dark ? "#e8eef5" : "#333";
  var palette = ["#3a6ea5", "#f39c12", "#c0392b", "#8e44ad", "#1e9e5a", "#16a085"];

  function bars(spec) {
    return {
      color: palette, tooltip: { trigger: "axis" }, legend: { top: 0, textStyle: { color: text } },
      grid: { left: 48, right: 16, top: 36, bottom: 64 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { rotate: spec.labels.length > 6 ? 30 : 0, color: text } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: text } },
      series: spec.series.map(function (s) { return { type: "bar", name: s.name, data: s.values }; })
    };
  }

  function hbar(spec) {
    var labels = spec.labels.slice().reverse();
    var values = spec.values.slice().reverse();
    var colors = (spec.colors || []).slice().reverse();
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "暂无" : v + spec.unit; } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", axisLabel: { color: text } },
      yAxis: { type: "category", data: labels, axisLabel: { color: text, width: 160, overflow: "truncate" } },
      series: [{ type: "bar", data: values.map(function (v, i) {
        return { value: v, itemStyle: { color: colors[i] || "#3a6ea5" } };
      }), label: { show: true, position: "right", color: text } }]
    };
  }

  function cells(spec) {
    var encode = window.echarts.format.encodeHTML;
    var most = Math.max.apply(null, spec.cells.map(function (c) { return c[3]; }).concat([1]));
    return {
      tooltip: { formatter: function (item) {
        var c = item.value;
        return encode("经度 " + c[0] + "，纬度 " + c[1]) + "<br>点位 " + c[3] + " 个，达标率 " + (c[2] < 0 ? "暂无" : c[2] + "%");
      } },
      grid: { left: 56, right: 16, top: 16, bottom: 64 },
      xAxis: { type: "value", name: "经度", scale: true, axisLabel: { color: text, formatter: function (v) { return v.toFixed(2); } } },
      yAxis: { type: "value", name: "纬度", scale: true, axisLabel: { color: text, formatter: function (v) { return v.toFixed(2); } } },
      visualMap: { type: "piecewise", dimension: 2, orient: "horizontal", left: "center", bottom: 4, textStyle: { color: text },
        pieces: [{ lt: 0, label: "暂无得分", color: "#9aa5b1" }, { gte: 0, lt: 60, label: "60%以下", color: "#d64541" },
                 { gte: 60, lt: 80, label: "60–80%", color: "#f39c12" }, { gte: 80, lt: 90, label: "80–90%", color: "#9acd32" },
                 { gte: 90, label: "90%及以上", color: "#1e9e5a" }] },
      series: [{ type: "scatter", data: spec.cells, symbolSize: function (c) { return 4 + 14 * Math.sqrt(c[3] / most); } }]
    };
  }

  function heat(spec) {
    var most = Math.max.apply(null, spec.cells.map(function (c) { return c[2]; }).concat([1]));
    return {
      tooltip: { formatter: function (item) {
        return window.echarts.format.encodeHTML(spec.y[item.value[1]] + " · " + spec.x[item.value[0]]) + "：" + item.value[2] + " 件";
      } },
      grid: { left: 8, right: 16, top: 8, bottom: 72, containLabel: true },
      xAxis: { type: "category", data: spec.x, axisLabel: { rotate: 30, color: text } },
      yAxis: { type: "category", data: spec.y, axisLabel: { color: text } },
      visualMap: { min: 0, max: most, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                   inRange: { color: ["#fff5e6", "#f39c12", "#c0392b"] }, textStyle: { color: text } },
      series: [{ type: "heatmap", data: spec.cells.map(function (c) { return [c[1], c[0], c[2]]; }), label: { show: true } }]
    };
  }

  var kinds = { bars: bars, hbar: hbar, cells: cells, heat: heat };

  function start() {
    var boxes = document.querySelectorAll("[data-chart]");
    if (!window.echarts) { boxes.forEach(function (b) { b.hidden = true; }); return; }
    var charts = [];
    boxes.forEach(function (box) {
      var source = document.getElementById(box.dataset.chart);
      var spec = source ? JSON.parse(source.textContent) : null;
      var empty = !spec || (spec.labels && !spec.labels.length) || (spec.cells && !spec.cells.length);
      if (empty || !kinds[spec.kind]) { box.hidden = true; return; }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      var option = kinds[spec.kind](spec);
      option.animation = false;
      option.textStyle = { color: text };
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
