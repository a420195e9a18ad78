// The questionnaire on a phone (入户 and 扫码自填). Questions whose 显示条件 is not met are hidden and
// cleared; a finished questionnaire is put in a queue kept in localStorage with a key made here, then
// sent; what could not be sent (no network) stays queued and is sent again when the phone is online
// or the page is opened again. The server counts a key once, so sending twice never counts twice.
(function () {
  "use strict";

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }

  function storeGet(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }

  function storeSet(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: no queue */ }
  }

  function valuesOf(box) {
    var seq = box.getAttribute("data-seq");
    var inputs = box.querySelectorAll("[name='q" + seq + "']");
    var kind = box.getAttribute("data-kind");
    var picked = Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (kind === "text") { return inputs[0].value.trim() ? [inputs[0].value.trim()] : []; }
    return picked;
  }

  function answerOf(box) {
    var kind = box.getAttribute("data-kind");
    var values = valuesOf(box);
    if (!values.length) { return null; }
    if (kind === "multiple") { return values; }
    if (kind === "rating") { return parseInt(values[0], 10); }
    if (kind === "yes_no") { return values[0] === "是"; }
    return values[0];
  }

  function applySkips(form) {
    var boxes = form.querySelectorAll(".survey-q");
    Array.prototype.forEach.call(boxes, function (box) {
      var on = box.getAttribute("data-show-seq");
      if (!on) { return; }
      var source = form.querySelector(".survey-q[data-seq='" + on + "']");
      var wanted = box.getAttribute("data-show-codes").split(",");
      var shown = source && !source.hidden && valuesOf(source).some(function (v) { return wanted.indexOf(v) >= 0; });
      box.hidden = !shown;
      if (!shown) {
        Array.prototype.forEach.call(box.querySelectorAll("input, textarea"), function (i) {
          if (i.type === "radio" || i.type === "checkbox") { i.checked = false; } else { i.value = ""; }
        });
      }
    });
  }

  function setup(form) {
    var url = form.getAttribute("data-submit");
    var selfFill = form.getAttribute("data-self") === "1";
    var queueKey = "wm-survey-queue:" + url;
    var status = form.querySelector(".survey-status");
    var queueNote = form.querySelector(".survey-queue");
    var started = new Date().toISOString();
    var sending = false;

    function device() {
      var id = storeGet("wm-device", "");
      if (!id) { id = randomKey(); storeSet("wm-device", id); }
      return id;
    }

    function showQueue() {
      var n = storeGet(queueKey, []).length;
      queueNote.textContent = n ? "本机还有 " + n + " 份答卷待发送，恢复网络后自动提交。" : "";
    }

    function flush() {
      var queue = storeGet(queueKey, []);
      if (sending || !queue.length) { showQueue(); return; }
      sending = true;
      var item = queue[0];
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
        body: JSON.stringify(item)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          sending = false;
          if (response.status >= 500 || response.status === 403 && !body.code) { throw new Error("server"); }
          var rest = storeGet(queueKey, []).filter(function (q) { return q.client_key !== item.client_key; });
          storeSet(queueKey, rest);
          status.textContent = response.ok ? (body.message || "已提交，谢谢！") : ("未能提交：" + (body.message || "请稍后重试"));
          status.className = "survey-status " + (response.ok ? "ok" : "error");
          if (response.ok && selfFill && !rest.length) { form.querySelector("button[type='submit']").disabled = true; }
          flush();
        });
      }).catch(function () {
        sending = false;
        status.textContent = "网络不通，答卷已保存在本机，恢复网络后自动提交。";
        status.className = "survey-status warning";
        showQueue();
      });
    }

    form.addEventListener("change", function () { applySkips(form); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      applySkips(form);
      var answers = {};
      var missing = [];
      Array.prototype.forEach.call(form.querySelectorAll(".survey-q"), function (box) {
        if (box.hidden) { return; }
        var value = answerOf(box);
        if (value === null) {
          if (box.getAttribute("data-required") === "1") { missing.push(box.getAttribute("data-seq")); }
          return;
        }
        answers[box.getAttribute("data-seq")] = value;
      });
      if (missing.length) {
        status.textContent = "第" + missing.join("、") + "题为必答题，请作答后再提交。";
        status.className = "survey-status error";
        return;
      }
      var household = form.querySelector("[name='household']");
      var item = { client_key: randomKey(), answers: answers, started_at: started,
                   submitted_at: new Date().toISOString(),
                   household: household && household.value ? parseInt(household.value, 10) : null,
                   device: selfFill ? device() : "" };
      var queue = storeGet(queueKey, []);
      queue.push(item);
      storeSet(queueKey, queue);
      form.reset();
      applySkips(form);
      started = new Date().toISOString();
      status.textContent = "正在提交……";
      status.className = "survey-status";
      window.scrollTo(0, 0);
      flush();
    });
    window.addEventListener("online", flush);
    applySkips(form);
    flush();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.survey-form"), setup);
  });
}());
