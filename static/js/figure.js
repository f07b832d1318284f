// Figures: each [data-figure] element arrives as a box of reserved height (app/figures), so
// nothing on the page moves when its figure is drawn. This script fetches plotly.js (from its
// immutable, versioned URL: a repeat visit reads it from the browser's cache) as soon as a page
// has a figure, and draws each one from the JSON beside its box; after every htmx swap it draws
// the new figures, keeping the reader's zoom and legend choices across live refreshes. "Copy
// link" and image downloads on figure views. No framework, no build step.
(function () {
  "use strict";

  var plotlySrc = document.currentScript.dataset.plotly;
  var plotlyLoading = null;

  // plotly.js, loaded once, when the first figure needs drawing.
  function loadPlotly() {
    if (window.Plotly) return Promise.resolve();
    if (!plotlyLoading) {
      plotlyLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = plotlySrc;
        script.onload = function () { resolve(); };
        script.onerror = function () { reject(new Error("could not load plotly.js")); };
        document.head.appendChild(script);
      });
    }
    return plotlyLoading;
  }

  // What the reader did to a figure (zoom or pan on an axis, traces hidden from the legend),
  // by element id, saved before an htmx swap replaces the figure and applied to the new one, so
  // a live refresh updates the data without undoing it. An axis whose type changed (log ↔
  // linear, from the controls) keeps the new figure's own range.
  var readerState = {};

  function remember(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-figure]").forEach(function (el) {
      if (!el.id || !el.layout) return;
      var state = { axes: {}, hidden: {} };
      Object.keys(el.layout).forEach(function (key) {
        var axis = el.layout[key];
        if (/^[xy]axis[0-9]*$/.test(key) && axis && axis.autorange === false && axis.range) {
          state.axes[key] = { range: axis.range.slice(), type: axis.type };
        }
      });
      (el.data || []).forEach(function (trace) {
        if (trace.name && (trace.visible === "legendonly" || trace.visible === false)) {
          state.hidden[trace.name] = trace.visible;
        }
      });
      readerState[el.id] = state;
    });
  }

  function restore(el, figure) {
    var state = readerState[el.id];
    figure.layout.uirevision = el.id;  // Plotly.react on the same element keeps UI state too
    if (!state) return;
    Object.keys(state.axes).forEach(function (key) {
      var axis = figure.layout[key] || (figure.layout[key] = {});
      if (axis.type && state.axes[key].type && axis.type !== state.axes[key].type) return;
      axis.range = state.axes[key].range;
      axis.autorange = false;
    });
    figure.data.forEach(function (trace) {
      if (trace.name && state.hidden[trace.name]) trace.visible = state.hidden[trace.name];
    });
  }

  function drawOne(el) {
    var source = document.getElementById(el.dataset.figure);
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    restore(el, figure);
    var waiting = el.querySelector(":scope > .figure-loading");
    if (waiting) waiting.remove();
    var config = { responsive: true, displaylogo: false,
                   toImageButtonOptions: { filename: el.dataset.filename || "memdash" } };
    Plotly.react(el, figure.data, figure.layout, config);
    if (el.id === "figure" && !el.dataset.zoomWatched) {
      el.dataset.zoomWatched = "1";
      el.on("plotly_relayout", function () { keepZoomInAddress(el); });
    }
  }

  // The reader's zoom as the view's x_range / y_range parameters (plotly's axis units: log10
  // of the value on a log axis), so the address and "Copy link" hold it (app/views/state.py).
  function zoomParams(el) {
    var params = {};
    ["x", "y"].forEach(function (letter) {
      var axis = el && el.layout && el.layout[letter + "axis"];
      if (axis && axis.autorange === false && axis.range) {
        params[letter + "_range"] = axis.range.map(function (v) { return +(+v).toPrecision(6); }).join(",");
      }
    });
    return params;
  }

  function withZoom(query, el) {
    var params = new URLSearchParams(query || "");
    params.delete("x_range");
    params.delete("y_range");
    var zoom = zoomParams(el);
    Object.keys(zoom).forEach(function (key) { params.set(key, zoom[key]); });
    return params.toString();
  }

  function keepZoomInAddress(el) {
    var query = withZoom(location.search.replace(/^\?/, ""), el);
    history.replaceState(history.state, "", location.pathname + (query ? "?" + query : ""));
  }

  function draw(root) {
    var figures = root.querySelectorAll("[data-figure]");
    if (!figures.length) return Promise.resolve();
    return loadPlotly().then(function () {
      figures.forEach(drawOne);
      performance.mark("memdash-figures-drawn");  // read by bench/first_visit.py
    }, function () {
      figures.forEach(function (el) {
        var waiting = el.querySelector(":scope > .figure-loading");
        if (waiting) waiting.textContent = "plotly.js could not be loaded: the data is in this view's CSV and JSON.";
      });
    });
  }

  function graph() { return document.querySelector("#figure[data-figure]"); }

  async function shareLink(button) {
    var path = button.dataset.path, query = withZoom(button.dataset.query, graph());
    var url = location.origin + path + (query ? "?" + query : "");
    var frozen = button.dataset.frozen === "1";
    if (url.length > 150 || frozen || button.dataset.always === "1") {
      var response = await fetch("/api/views", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: path, query: query, frozen: frozen }),
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

  // An exported image carries its title (figure, sweeps, date) and the page's labels.
  async function exportImage(format, filename, title) {
    var gd = graph();
    if (!gd) return;
    await loadPlotly();
    if (!gd.data) drawOne(gd);  // not drawn yet: draw it first
    var margin = Object.assign({}, gd.layout.margin, { t: 80 });
    var layout = Object.assign({}, gd.layout, { title: { text: title || "" }, margin: margin });
    var url = await Plotly.toImage({ data: gd.data, layout: layout },
                                   { format: format, width: 1100, height: 600 });
    var link = document.createElement("a");
    link.href = url;
    link.download = filename + "." + format;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action]");
    if (!target) return;
    var action = target.dataset.action;
    if (action === "share") { event.preventDefault(); shareLink(target); }
    if (action === "png" || action === "svg") {
      event.preventDefault();
      exportImage(action, target.dataset.filename, target.dataset.title);
    }
  });
  // The sweep picker's filter narrows the list as one types; it is not a control of the view.
  document.addEventListener("input", function (event) {
    if (!event.target.matches(".picker-filter")) return;
    var needle = event.target.value.trim().toLowerCase();
    event.target.closest(".picker").querySelectorAll(".pick").forEach(function (item) {
      item.hidden = needle !== "" && item.dataset.text.indexOf(needle) < 0;
    });
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches(".picker-filter")) event.stopPropagation();
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  document.addEventListener("htmx:beforeSwap", function (event) { remember(event.detail.target); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.elt); });
})();
