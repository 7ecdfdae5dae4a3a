// The add form without a round trip (issue 16): when the address is left (or arrives from
// the bookmarklet), ask /api/v1/resources/lookup what the page says and fill the fields
// that are still empty. The form works without this script: "Fetch details" submits it.
(function () {
  "use strict";
  var FIELDS = ["title", "description", "publisher", "language"];

  function byId(id) { return document.getElementById(id); }

  function labelOf(name) {
    var label = document.querySelector("label[for='field-" + name + "']");
    return label ? label.firstChild.textContent.trim() : name;
  }

  function start() {
    var form = byId("add-form");
    var url = byId("field-url");
    var status = byId("lookup-status");
    var button = byId("lookup-button");
    if (!form || !url || !status || !button || !window.fetch) { return; }
    var lastAsked = null;
    var pending = false;

    function say(text) { status.textContent = text; }

    function fill(facts) {
      var filled = [];
      if (facts.url && url.value.trim() !== facts.url) { url.value = facts.url; }
      FIELDS.forEach(function (name) {
        var input = byId("field-" + name);
        var value = facts[name];
        if (!input || !value || input.value.trim() !== "") { return; }
        if (input.tagName === "SELECT" &&
            !Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
          return;
        }
        input.value = value;
        filled.push(labelOf(name));
      });
      say(filled.length
        ? form.getAttribute("data-filled").replace("%(fields)s", filled.join(", "))
        : form.getAttribute("data-nothing"));
    }

    function lookUp() {
      var address = url.value.trim();
      if (!address || address === lastAsked || pending) { return; }
      lastAsked = address;
      pending = true;
      button.disabled = true;
      say(form.getAttribute("data-fetching"));
      fetch("/api/v1/resources/lookup?url=" + encodeURIComponent(address), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; },
            function () { return { ok: false, body: {} }; });
        })
        .then(function (answer) {
          if (answer.ok) { fill(answer.body); } else {
            say(answer.body.detail || form.getAttribute("data-failed"));
          }
        })
        .catch(function () { say(form.getAttribute("data-failed")); })
        .then(function () { pending = false; button.disabled = false; });
    }

    url.addEventListener("change", lookUp);
    button.addEventListener("click", function (event) {
      event.preventDefault();
      lastAsked = null;
      lookUp();
    });
    // Enter saves the form from any one-line field (the first submit button is "Fetch
    // details", which Enter would otherwise press); in the address field it fetches.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || target.tagName !== "INPUT" || target.type === "checkbox") { return; }
      event.preventDefault();
      if (target === url) { lastAsked = null; lookUp(); } else { byId("save-button").click(); }
    });

    // Tag suggestions for every tag, not only the first: the options carry what is typed.
    var tags = byId("field-tags");
    var list = byId("known-tags");
    if (tags && list) {
      var known = Array.prototype.map.call(list.options, function (o) { return o.value; });
      tags.addEventListener("input", function () {
        var cut = tags.value.lastIndexOf(",");
        var before = cut < 0 ? "" : tags.value.slice(0, cut + 1) + " ";
        list.textContent = "";
        known.forEach(function (tag) {
          var option = document.createElement("option");
          option.value = before + tag;
          list.appendChild(option);
        });
      });
    }

    // From the bookmarklet: the address is there already; fetch what is still missing.
    var missing = FIELDS.some(function (name) {
      var input = byId("field-" + name);
      return input && input.value.trim() === "";
    });
    if (url.value.trim() && missing && !document.querySelector(".error-summary, #lookup-done")) {
      lookUp();
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
