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
