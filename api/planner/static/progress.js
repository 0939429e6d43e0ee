// Live progress of a run: polls the run's small JSON endpoint every two seconds while
// it is queued or running, updates the bar and the counts, and reloads the page once
// the run has ended (its results are then on the page).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var live = ["queued", "running"];
  if (live.indexOf(box.dataset.state) < 0) { return; }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        document.getElementById("run-state").textContent = job.state_label;
        document.getElementById("run-done").textContent = job.done;
        document.getElementById("run-total").textContent = job.total;
        document.getElementById("run-bar").value = job.progress;
        if (live.indexOf(job.state) < 0) { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
