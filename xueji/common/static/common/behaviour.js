/* 学籍: the few behaviours of the pages, without inline scripts (the
   Content-Security-Policy allows scripts from this site only).
   - data-confirm="…" on a button or link: ask before going on;
   - data-set-all on a submit button: set the form's "all" field to 1 first (全部…);
   - data-refresh-image on an image: click for a fresh one (the CAPTCHA);
   - data-check-all="name" on a checkbox: check or uncheck every checkbox of that name. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm], [data-set-all], [data-refresh-image], [data-check-all]");
    if (!target) {
      return;
    }
    if (target.hasAttribute("data-confirm") && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    if (target.hasAttribute("data-set-all") && target.form && target.form.elements.all) {
      target.form.elements.all.value = "1";
    }
    if (target.hasAttribute("data-check-all")) {
      var name = target.getAttribute("data-check-all");
      document.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.name === name) {
          box.checked = target.checked;
        }
      });
    }
    if (target.hasAttribute("data-refresh-image")) {
      target.src = target.src.split("?")[0] + "?r=" + Date.now();
    }
  });
})();
