// Show only the guidance for the chosen reason. Without JavaScript, all guidance stays visible.
(function () {
  var select = document.getElementById("id_reason");
  var guides = document.querySelectorAll("#guidance .guide");
  if (!select || !guides.length) return;
  function show() {
    guides.forEach(function (guide) {
      guide.hidden = select.value !== "" && guide.dataset.reason !== select.value;
    });
  }
  select.addEventListener("change", show);
  show();
})();
