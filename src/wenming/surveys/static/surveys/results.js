// The rates chart of a campaign's results page: one bar group per unit, a line at the 90 % bar.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-chart='rates-data']");
  var source = document.getElementById("rates-data");
  if (!box || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(box);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, bottom: 60, top: 32 },
    xAxis: { type: "category", data: data.units, axisLabel: { rotate: data.units.length > 8 ? 40 : 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: data.series.map(function (s, i) {
      var out = { name: s.name, type: "bar", data: s.data };
      if (i === 0) { out.markLine = { silent: true, symbol: "none", data: [{ yAxis: 90, name: "90%" }] }; }
      return out;
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
