// Forms marked data-confirm ask before they submit (regenerating a QR code, deactivating a point).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
