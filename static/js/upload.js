// Upload forms ([data-upload]): show the bytes sent while a large file uploads, then that the
// server is validating it; a 422 page (the error beside the field) is shown like any page.
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest("[data-upload]");
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector("progress.upload"), note = form.querySelector(".upload-note");
    bar.hidden = false;
    bar.value = event.detail.loaded / event.detail.total;
    note.textContent = event.detail.loaded < event.detail.total
      ? "uploading " + (event.detail.loaded / 1e6).toFixed(1) + " of " + (event.detail.total / 1e6).toFixed(1) + " MB"
      : "uploaded; validating (unpacking and loading the model takes a few seconds)";
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422 || event.detail.xhr.status === 413) {
      event.detail.shouldSwap = true;  // the page with the error beside the field
      event.detail.isError = false;
    }
  });
})();
