// The points' scatter chart on /points/: longitude × latitude, coloured by the latest score.
// Data come from places:scatter as [code, lng, lat, score|null, name] rows; a click opens the point.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("points-chart");
    var note = document.getElementById("points-chart-note");
    if (!box) return;
    if (!window.echarts) { note.textContent = "图表组件未能加载。"; box.hidden = true; return; }
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { draw(box, note, data); })
      .catch(function () { note.textContent = "点位分布数据加载失败，请刷新页面重试。"; box.hidden = true; });
  }

  function draw(box, note, data) {
    var rows = data.points;
    if (!rows.length) { box.hidden = true; note.textContent = "筛选结果中没有带坐标的点位。"; return; }
    // [lng, lat, score (-1 when none), index]
    var values = rows.map(function (p, i) { return [p[1], p[2], p[3] === null ? -1 : p[3], i]; });
    var encode = window.echarts.format.encodeHTML;
    var chart = window.echarts.init(box);
    var many = rows.length > 3000;
    chart.setOption({
      animation: false,
      grid: { left: 64, right: 24, top: 28, bottom: 72 },
      tooltip: {
        trigger: "item",
        formatter: function (item) {
          var p = rows[item.value[3]];
          return encode(p[4]) + "<br>" + encode(p[0]) + "<br>最近得分：" + (p[3] === null ? "暂无" : p[3]);
        }
      },
      xAxis: { type: "value", name: "经度", scale: true, axisLabel: { formatter: function (v) { return v.toFixed(2); } } },
      yAxis: { type: "value", name: "纬度", scale: true, axisLabel: { formatter: function (v) { return v.toFixed(2); } } },
      visualMap: {
        type: "piecewise", dimension: 2, orient: "horizontal", left: "center", bottom: 8,
        pieces: [
          { lt: 0, label: "暂无得分", color: "#9aa5b1" },
          { gte: 0, lt: 60, label: "60分以下", color: "#d64541" },
          { gte: 60, lt: 80, label: "60–80分", color: "#f39c12" },
          { gte: 80, lt: 90, label: "80–90分", color: "#9acd32" },
          { gte: 90, label: "90分及以上", color: "#1e9e5a" }
        ]
      },
      dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
      series: [{
        type: "scatter", data: values, symbolSize: many ? 5 : 10, cursor: "pointer",
        itemStyle: { opacity: many ? 0.75 : 0.9, borderColor: "#fff", borderWidth: many ? 0 : 1 },
        progressive: 2000, progressiveThreshold: 5000
      }]
    });
    chart.on("click", function (item) {
      var p = rows[item.value[3]];
      if (p) window.location.href = box.dataset.detail + encodeURIComponent(p[0]) + "/";
    });
    window.addEventListener("resize", function () { chart.resize(); });
    note.textContent = "图中共 " + rows.length + " 个点位" +
      (data.truncated ? "（只显示前 " + data.limit + " 个，请缩小筛选范围）" : "") + "。";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
