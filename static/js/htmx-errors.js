// Says in place when an htmx request failed, so a debtor page never fails silently.
// Answers with a form (400, 422) are swapped by the htmx-config in base.html; anything else
// (403 after a lost session, 5xx, no network) lands here. The texts come translated from
// data attributes on <body>; a static file, so it runs under the page's CSP.
(function () {
  "use strict";

  var BOX = "data-htmx-error";

  function container(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    return form || document.getElementById("main") || document.body;
  }

  function clear(elt) {
    var box = container(elt).querySelector("[" + BOX + "]");
    if (box) {
      box.remove();
    }
  }

  function show(elt, text) {
    var where = container(elt);
    var box = where.querySelector("[" + BOX + "]");
    if (!box) {
      box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.setAttribute(BOX, "");
      where.insertBefore(box, where.firstChild);
    }
    box.textContent = text;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    clear(event.detail.elt);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var data = document.body.dataset;
    show(event.detail.elt, status >= 500 ? data.errorServer : data.errorRefused);
  });

  document.addEventListener("htmx:sendError", function (event) {
    show(event.detail.elt, document.body.dataset.errorNetwork);
  });
})();
