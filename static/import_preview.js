// Link checks on /manage/import's preview (issue 16): poll the checks' small JSON, fill in
// each row's verdict and unselect a broken link when its verdict arrives, unless the
// curator changed that check box. Only the final summary is announced (one polite live
// region). Without this script the page works the same through "Update the link checks".
(function () {
  "use strict";
  var INTERVAL = 1500;

  function start() {
    var box = document.getElementById("link-checks");
    if (!box || box.getAttribute("data-finished") === "1") { return; }
    var statusUrl = box.getAttribute("data-status");
    var next = parseInt(box.getAttribute("data-next") || "0", 10);
    var summary = document.getElementById("check-summary");
    var announce = document.getElementById("check-announce");
    var progress = document.getElementById("check-progress");
    var cells = {};
    var touched = {};
    Array.prototype.forEach.call(
      document.querySelectorAll(".import-rows .verdict[data-url]"),
      function (cell) {
        var url = cell.getAttribute("data-url");
        (cells[url] = cells[url] || []).push(cell);
      }
    );
    Array.prototype.forEach.call(
      document.querySelectorAll(".import-rows input[type=checkbox]"),
      function (checkbox) {
        checkbox.addEventListener("change", function () { touched[checkbox.id] = true; });
      }
    );

    function show(item) {
      (cells[item.url] || []).forEach(function (cell) {
        var prefix = cell.id.slice(0, cell.id.length - "verdict".length);
        var seen = document.querySelector("input[name='" + prefix + "seen']");
        if (seen && seen.value) { return; }
        var status = document.createElement("span");
        status.className = "status";
        status.textContent = item.label;
        cell.textContent = "";
        cell.appendChild(status);
        if (item.text && item.text !== item.label) {
          cell.appendChild(document.createTextNode(": " + item.text));
        }
        cell.className = "verdict status-" + item.status;
        if (seen) { seen.value = item.status; }
        var checkbox = document.getElementById(prefix + "import");
        if (item.status === "broken" && checkbox && !touched[checkbox.id]) {
          checkbox.checked = false;
        }
      });
    }

    function finish(text) {
      box.setAttribute("data-finished", "1");
      ["check-progress", "check-refresh", "check-refresh-hint"].forEach(function (id) {
        var element = document.getElementById(id);
        if (element && element !== document.activeElement) { element.hidden = true; }
      });
      announce.textContent = text;
    }

    function poll() {
      fetch(statusUrl + "?since=" + next, {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          data.verdicts.forEach(show);
          next = data.next;
          summary.textContent = data.summary;
          if (progress) {
            progress.max = data.total;
            progress.value = data.done;
          }
          if (data.finished) {
            finish(data.summary);
          } else {
            window.setTimeout(poll, INTERVAL);
          }
        })
        .catch(function () { /* the "Update the link checks" button still works */ });
    }
    window.setTimeout(poll, INTERVAL);
  }
  document.addEventListener("DOMContentLoaded", start);
})();
