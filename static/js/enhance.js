// Small conveniences on top of pages that work without them (no inline script: the CSP).
//
// - A button with data-copy="<id>" copies that element's text (the return address). It stays
//   hidden without JavaScript or a clipboard; the text itself can always be selected.
// - A file field (the photos of a request, a message, a rating) shows the chosen photos as
//   thumbnails, with the name of any other file, before the form is sent.
(function () {
  "use strict";

  function copyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copy);
      if (!source) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(
          function () {
            button.textContent = button.dataset.copied || label;
            setTimeout(function () { button.textContent = label; }, 2000);
          },
          function () { /* refused: the address stays there to select by hand */ }
        );
      });
    });
  }

  function previews() {
    document.querySelectorAll("input[type=file]").forEach(function (input) {
      var list = document.createElement("ul");
      list.className = "file-preview";
      list.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", list);
      var urls = [];
      input.addEventListener("change", function () {
        urls.forEach(URL.revokeObjectURL);
        urls = [];
        list.replaceChildren();
        Array.prototype.forEach.call(input.files, function (file) {
          var item = document.createElement("li");
          if (file.type.indexOf("image/") === 0) {
            var image = document.createElement("img");
            var url = URL.createObjectURL(file);
            urls.push(url);
            image.src = url;
            image.alt = file.name;
            image.width = 72;
            image.height = 72;
            item.append(image);
          }
          var name = document.createElement("span");
          name.textContent = file.name;
          item.append(name);
          list.append(item);
        });
      });
    });
  }

  copyButtons();
  previews();
})();
