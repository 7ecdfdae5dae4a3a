// Live progress on /manage/checks: while a run is going, fetch this page again every few
// seconds and swap in its runs section. The page works without this script (a Refresh link).
(function () {
  "use strict";
  var INTERVAL = 3000;
  function section(doc) { return doc.getElementById("runs"); }
  function poll() {
    var current = section(document);
    if (!current || current.getAttribute("data-running") === "0") { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = section(new DOMParser().parseFromString(html, "text/html"));
        if (!fresh) { return; }
        var wasRunning = current.getAttribute("data-running");
        var focused = document.activeElement && current.contains(document.activeElement);
        if (!focused) {
          var announce = current.querySelector("#runs-announce");
          var message = announce ? announce.textContent : "";
          current.replaceWith(fresh);
          if (wasRunning !== "0" && fresh.getAttribute("data-running") === "0") {
            fresh.querySelector("#runs-announce").textContent =
              fresh.querySelector("#runs-summary").textContent;
          } else if (message) {
            fresh.querySelector("#runs-announce").textContent = message;
          }
        }
        window.setTimeout(poll, INTERVAL);
      })
      .catch(function () { window.setTimeout(poll, INTERVAL * 5); });
  }
  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, INTERVAL); });
})();
