/* The inspection form on a phone (inspections/inspect.html): what was typed is kept in the browser
   until it is submitted; a counter says how many items are filled (in all and per indicator);
   "其余全部符合" marks every item not yet answered as 符合 — a verdict item 符合, a deduction item
   0 found — and leaves answered items, grades and counts to be measured as they are. */
(function () {
  "use strict";
  var form = document.getElementById("inspect-form");
  if (!form) return;
  var key = form.dataset.storageKey;
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.check-item"));
  var counter = document.getElementById("filled-count");
  var restPass = document.getElementById("rest-pass");
  var status = document.getElementById("rest-pass-status");
  var skip = {csrfmiddlewaretoken: 1, submit_key: 1, kept_photos: 1};

  function skipped(el) {
    return !el.name || skip[el.name] || el.name.indexOf("kept_new_") === 0 || el.type === "file" || el.type === "submit";
  }

  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (skipped(el) || el.type === "button") return;
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) (data[el.name] = data[el.name] || []).push(el.value); }
      else data[el.name] = el.value;
    });
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) {}
  }

  function restore() {
    var data; try { data = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { data = null; }
    if (!data) return;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (skipped(el) || !(el.name in data)) return;
      var value = data[el.name];
      if (el.type === "radio" || el.type === "checkbox") {
        var group = form.querySelectorAll('[name="' + el.name + '"]:checked');
        if (!group.length || group[0] === el) el.checked = value.indexOf(el.value) >= 0;
      } else if (!el.value) el.value = value;
    });
  }

  // answered as the server reads it: a verdict or 不适用, conditions ticked, a rate or a count
  function answered(item) {
    if (item.querySelector("input[type=radio]:checked, input[type=checkbox]:checked")) return true;
    return Array.prototype.some.call(item.querySelectorAll("input[type=number]"), function (input) {
      return input.value.trim() !== "";
    });
  }

  function count() {
    var filled = 0, groups = {};
    items.forEach(function (item) {
      var done = answered(item), group = groups[item.dataset.group] = groups[item.dataset.group] || [0, 0];
      group[1] += 1;
      if (done) { filled += 1; group[0] += 1; }
      item.classList.toggle("answered", done);
    });
    counter.textContent = "已填 " + filled + "/" + items.length;
    document.querySelectorAll("[data-group-count]").forEach(function (el) {
      var group = groups[el.dataset.groupCount];
      if (group) el.textContent = group[0] + "/" + group[1];
    });
  }

  function markRestPass() {
    var marked = 0, left = 0;
    items.forEach(function (item) {
      if (answered(item)) return;
      var pass = item.dataset.pass === "verdict" ? item.querySelector("input[type=radio][value=pass]") : null;
      var found = item.dataset.pass === "count" ? item.querySelector("input[type=number][name^=count_]") : null;
      if (pass) { pass.checked = true; marked += 1; }
      else if (found) { found.value = "0"; marked += 1; }
      else left += 1;
    });
    count();
    save();
    status.textContent = (marked ? "已将 " + marked + " 项标为符合，可逐项修改" : "没有可标为符合的未填项")
      + (left ? "；还有 " + left + " 项（等级或计数）须逐项填写" : "");
  }

  restore();
  count();
  form.addEventListener("input", function () { save(); count(); });
  form.addEventListener("change", function () { save(); count(); });
  restPass.hidden = false;
  restPass.addEventListener("click", markRestPass);

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("longitude").value = pos.coords.longitude.toFixed(6);
      document.getElementById("geo-status").textContent = "已记录位置：" + pos.coords.latitude.toFixed(5) + "，" + pos.coords.longitude.toFixed(5);
    }, function () {}, {timeout: 8000});
  }
})();
