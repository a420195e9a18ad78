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
