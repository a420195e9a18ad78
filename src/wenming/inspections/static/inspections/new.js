/* 新建轮次: "复制上一轮" asks for the latest round of the kind and organiser chosen in the form
   (the link works without this script too, for the choices the page came with). */
(function () {
  "use strict";
  var link = document.getElementById("copy-previous");
  var kind = document.getElementById("id_kind"), owner = document.getElementById("id_owner");
  if (!link || !kind || !owner) return;
  var base = link.getAttribute("href").split("?")[0];

  function update() {
    link.setAttribute("href", base + "?" + new URLSearchParams({copy: "1", kind: kind.value, owner: owner.value}).toString());
  }

  kind.addEventListener("change", update);
  owner.addEventListener("change", update);
  update();
})();
