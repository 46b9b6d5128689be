// The progress page of a background export: poll the job's status URL, move the bar, and fetch the
// file (the page's own address) once it is ready. Without script the page refreshes itself.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box) { return; }
  var bar = document.getElementById("export-bar");
  var stage = document.getElementById("export-stage");
  var error = document.getElementById("export-error");
  var download = document.getElementById("export-download");
  var delay = 1000;

  function poll() {
    fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job || job.state === "lost") { window.location.reload(); return; }
        bar.value = Math.round(job.progress * 100);
        bar.textContent = bar.value + " %";
        if (job.state === "done") {
          bar.value = 100;
          stage.textContent = box.dataset.ready;
          window.location.assign(download.href);
          return;
        }
        if (job.state === "failed") {
          stage.textContent = box.dataset.failed;
          error.textContent = job.error;
          error.hidden = false;
          return;
        }
        stage.textContent = job.stage;
        delay = Math.min(delay * 1.2, 4000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, delay);
}());
