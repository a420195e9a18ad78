// 工作方案 · 进度时间轴: drawn from the JSON of the table under it (one bar per task, from its start to its
// deadline; the stages as shaded bands; today as a line). ECharts is served locally.
(function () {
  "use strict";
  var DAY = 86400000;
  var colours = { "未下发": "#9aa5b1", "推进中": "#3a6ea5", "已完成": "#1e9e5a", "滞后": "#f39c12", "逾期": "#c0392b" };

  function day(text) { return Date.parse(text + "T00:00:00"); }

  function draw(box) {
    var spec = JSON.parse(document.getElementById(box.dataset.chart).textContent);
    if (!window.echarts || !spec.tasks.length) { return; }
    var labels = spec.tasks.map(function (t) { return t.label; }).reverse();
    var tasks = spec.tasks.slice().reverse();
    var chart = window.echarts.init(box);
    chart.setOption({
      tooltip: { formatter: function (item) {
        var t = tasks[item.dataIndex];
        var encode = window.echarts.format.encodeHTML;
        return encode(t.label) + "<br>" + t.start + " 至 " + t.end + "<br>" + t.state +
          (t.percent === null ? "" : "，进度 " + t.percent + "%");
      } },
      grid: { left: 8, right: 24, top: 24, bottom: 32, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: labels, axisLabel: { width: 220, overflow: "truncate" } },
      series: [{
        type: "custom",
        renderItem: function (params, api) {
          var start = api.coord([api.value(0), params.dataIndex]);
          var end = api.coord([api.value(1) + DAY, params.dataIndex]);
          var height = api.size([0, 1])[1] * 0.6;
          return { type: "rect", shape: { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2),
                                          height: height },
                   style: { fill: colours[tasks[params.dataIndex].state] || "#3a6ea5" } };
        },
        encode: { x: [0, 1], y: 2 },
        data: tasks.map(function (t, i) { return [day(t.start), day(t.end), i]; }),
        markLine: { symbol: "none", silent: true, label: { formatter: "今天" }, lineStyle: { color: "#c0392b" },
                    data: [{ xAxis: day(spec.today) }] },
        markArea: { silent: true, itemStyle: { color: "rgba(58, 110, 165, 0.06)" },
                    label: { position: "insideTop", color: "#555" },
                    data: spec.stages.map(function (s) { return [{ name: s.name, xAxis: day(s.start) },
                                                                  { xAxis: day(s.end) + DAY }]; }) }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
