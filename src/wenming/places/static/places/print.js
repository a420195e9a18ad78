// The QR sheet's print button.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
});
