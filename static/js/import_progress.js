// Polls a portfolio import's status while it runs and fills in its progress bar.
// A static file, not inline script, so it works under a strict Content-Security-Policy.
(function () {
  "use strict";

  var section = document.getElementById("import-progress");
  if (!section || section.dataset.finished === "true") {
    return;
  }
  var bar = section.querySelector("progress");
  var formatter = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function show(data) {
    if (data.total_rows > 0) {
      bar.max = Math.max(data.total_rows, data.processed_rows);
      bar.value = data.processed_rows;
    }
    section.querySelectorAll("[data-field]").forEach(function (node) {
      var value = data[node.dataset.field];
      if (value !== undefined) {
        node.textContent = typeof value === "number" ? formatter.format(value) : value;
      }
    });
  }

  function poll() {
    fetch(section.dataset.statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          // Reload once to show the rejected rows and the download link.
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 10000);
      });
  }

  poll();
})();
