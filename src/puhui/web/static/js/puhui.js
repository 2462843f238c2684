// puhui pages: the little behaviour that is not htmx. Loaded as a file (CSP: script-src 'self').
(function () {
  "use strict";

  // A form marked data-once is sent once: a second tap while the first is on its way is
  // ignored. (The server's idempotency key already makes a second send harmless; this spares
  // the borrower a confusing wait.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) {
      return;
    }
    if (form.getAttribute("data-sent") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-busy", "true");
    });
  });

  // Coming back with the browser's Back button restores a page from cache: let it send again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[aria-busy]").forEach(function (button) {
        button.removeAttribute("aria-busy");
      });
    });
  });
})();
