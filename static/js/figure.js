// Figure views: draw each [data-figure] element from the JSON beside it, after page loads and
// after every htmx swap; "Copy link" and image downloads. No framework, no build step.
(function () {
  "use strict";

  function draw(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      var config = { responsive: true, displaylogo: false,
                     toImageButtonOptions: { filename: el.dataset.filename || "memdash" } };
      Plotly.react(el, figure.data, figure.layout, config);
    });
  }

  function graph() { return document.querySelector("[data-figure]"); }

  async function shareLink(button) {
    var path = button.dataset.path, query = button.dataset.query;
    var url = location.origin + path + (query ? "?" + query : "");
    if (url.length > 150 || button.dataset.always === "1") {
      var response = await fetch("/api/views", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: path, query: query }),
      });
      if (!response.ok) throw new Error("could not save the view: " + response.status);
      url = location.origin + (await response.json()).url;
    }
    var field = document.getElementById("share-url");
    field.value = url;
    field.hidden = false;
    try { await navigator.clipboard.writeText(url); button.textContent = "Link copied"; }
    catch (error) { field.select(); button.textContent = "Copy the link below"; }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action]");
    if (!target) return;
    var action = target.dataset.action;
    if (action === "share") { event.preventDefault(); shareLink(target); }
    if (action === "png" || action === "svg") {
      event.preventDefault();
      Plotly.downloadImage(graph(), { format: action, filename: target.dataset.filename,
                                      width: 1100, height: 600 });
    }
  });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt); });
})();
