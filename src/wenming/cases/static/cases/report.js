/* The report form's place: the phone's location, a point picked on the plan view, or a unit
   found by name — never a typed code (cases/intake/locate.py answers with the unit). */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var placeUrl = form.dataset.placeUrl, planUrl = form.dataset.planUrl;
  var lat = document.getElementById("id_latitude"), lon = document.getElementById("id_longitude");

  function status(text) {
    var box = document.getElementById("place");
    box.innerHTML = "";
    var p = document.createElement("p");
    p.className = "muted";
    p.id = "geo-status";
    p.textContent = text;
    box.appendChild(p);
  }

  function ask(params) {
    htmx.ajax("GET", placeUrl + "?" + new URLSearchParams(params).toString(), {target: "#place", swap: "innerHTML"});
  }

  function placeAt(latitude, longitude) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    ask({latitude: lat.value, longitude: lon.value});
  }

  function locate() {
    if (!navigator.geolocation) { status("此设备不能定位，请在示意图上点选或按名称查找。"); return; }
    status("正在获取手机定位……");
    navigator.geolocation.getCurrentPosition(function (pos) {
      placeAt(pos.coords.latitude, pos.coords.longitude);
    }, function () {
      status("未能定位（可能未允许定位），请在示意图上点选，或按名称查找。");
    }, {timeout: 10000, enableHighAccuracy: true});
  }

  function openPlan(unit) {
    htmx.ajax("GET", planUrl + (unit ? "?unit=" + encodeURIComponent(unit) : ""), {target: "#plan", swap: "innerHTML"});
  }

  document.getElementById("use-location").addEventListener("click", locate);
  document.getElementById("open-plan").addEventListener("click", function () { openPlan(""); });

  form.addEventListener("click", function (event) {
    var pick = event.target.closest(".pick-area");
    if (pick) {
      ask({area: pick.dataset.area});
      document.getElementById("area-results").innerHTML = "";
      document.getElementById("area-search").value = "";
      return;
    }
    var open = event.target.closest(".plan-open");
    if (open) { openPlan(open.dataset.unit); return; }
    var shape = event.target.closest(".plan-drill, .plan-leaf");
    if (!shape) return;
    if (shape.dataset.drill === "1") { openPlan(shape.dataset.unit); return; }
    var svg = shape.ownerSVGElement, point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var at = point.matrixTransform(svg.getScreenCTM().inverse());
    var mark = svg.querySelector(".plan-mark");
    mark.setAttribute("cx", at.x);
    mark.setAttribute("cy", at.y);
    placeAt(parseFloat(svg.dataset.maxLat) - at.y / parseFloat(svg.dataset.latScale),
            parseFloat(svg.dataset.minLon) + at.x / parseFloat(svg.dataset.scale));
  });

  // a new report without a place yet: ask the phone where we are
  if (!document.getElementById("id_area").value) locate();
})();
