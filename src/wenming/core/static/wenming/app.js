// Tree browser: a toggle fetches a unit's children once (htmx), then opens and closes them.
document.addEventListener("htmx:confirm", function (event) {
  var button = event.detail.elt;
  if (!button.classList || !button.classList.contains("toggle") || !button.dataset.open) return;
  event.preventDefault();
  var sub = button.parentElement.querySelector(":scope > .sub");
  if (button.dataset.open === "1") {
    sub.hidden = true; button.dataset.open = "0"; button.textContent = "▸";
    button.setAttribute("aria-expanded", "false");
  } else {
    sub.hidden = false; button.dataset.open = "1"; button.textContent = "▾";
    button.setAttribute("aria-expanded", "true");
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var button = event.detail.elt;
  if (button.classList && button.classList.contains("toggle") && event.detail.successful) {
    button.dataset.open = "1"; button.textContent = "▾"; button.setAttribute("aria-expanded", "true");
  }
});

// Unit pickers (org/_unit_picker.html): a unit is chosen by name; the hidden field gets its code.
document.addEventListener("click", function (event) {
  var picker = event.target.closest && event.target.closest(".unit-picker");
  if (!picker) return;
  var value = picker.querySelector(".unit-picker-value");
  var chosen = picker.querySelector(".unit-picker-chosen");
  var pick = event.target.closest(".pick-unit");
  if (pick) {
    value.value = pick.dataset.code;
    chosen.textContent = "已选：";
    var strong = document.createElement("strong");
    strong.textContent = pick.dataset.name;
    chosen.appendChild(strong);
    picker.querySelector(".unit-picker-results").innerHTML = "";
    picker.querySelector(".unit-picker-q").value = "";
    value.dispatchEvent(new Event("change", {bubbles: true}));
  } else if (event.target.closest(".unit-picker-clear")) {
    value.value = "";
    chosen.textContent = "";
    value.dispatchEvent(new Event("change", {bubbles: true}));
  }
});

// Form controls in Chinese whatever the browser's language: dates and times through flatpickr
// (its Chinese locale, also on phones), file inputs behind a Chinese button and status line.
(function () {
  function chineseDates(root) {
    if (!window.flatpickr) return;
    root.querySelectorAll("input[type=date], input[type=datetime-local]").forEach(function (input) {
      var withTime = input.type === "datetime-local";
      input.type = "text";
      input.setAttribute("placeholder", withTime ? "年-月-日 时:分" : "年-月-日");
      var picker = window.flatpickr(input, {
        locale: "zh", disableMobile: true, allowInput: true, enableTime: withTime, time_24hr: true,
        dateFormat: withTime ? "Y-m-d\\TH:i" : "Y-m-d", altInput: true,
        altFormat: withTime ? "Y年n月j日 H:i" : "Y年n月j日"
      });
      // the label names the field people see (the original is now a hidden field)
      var label = input.id && document.querySelector("label[for='" + input.id + "']");
      if (picker.altInput && label) picker.altInput.setAttribute("aria-label", label.textContent.trim());
    });
  }

  function chineseFiles(root) {
    root.querySelectorAll("input[type=file]:not([data-dressed])").forEach(function (input) {
      input.dataset.dressed = "1";
      var photos = (input.accept || "").indexOf("image") !== -1;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small file-button";
      button.textContent = photos ? (input.multiple ? "拍照或选择照片" : "拍照或选择一张照片") : "选择文件";
      var status = document.createElement("span");
      status.className = "muted file-status";
      status.textContent = "未选择" + (photos ? "照片" : "文件");
      input.classList.add("file-native");
      input.insertAdjacentElement("afterend", status);
      input.insertAdjacentElement("afterend", button);
      button.addEventListener("click", function () { input.click(); });
      input.addEventListener("change", function () {
        var n = input.files.length;
        status.textContent = n === 0 ? "未选择" + (photos ? "照片" : "文件")
          : n === 1 ? "已选择：" + input.files[0].name : "已选择" + n + (photos ? "张照片" : "个文件");
      });
    });
  }

  function dress(root) { chineseDates(root); chineseFiles(root); }
  if (window.htmx) htmx.onLoad(dress); else document.addEventListener("DOMContentLoaded", function () { dress(document); });
})();
