// Live progress of a run: polls the run's small JSON endpoint every second while it is
// queued or running, updates the bar, the simulated days, the replications and the time
// left (worded by the server in the page's language), and reloads the page once the run
// has ended (its results are then on the page).
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
        document.getElementById("run-days").textContent = job.days_text;
        document.getElementById("run-replications").textContent = job.replications_text;
        var left = document.getElementById("run-left");
        left.textContent = "· " + job.left_text;
        left.hidden = !job.left_text;
        document.getElementById("run-bar").value = job.progress;
        if (live.indexOf(job.state) < 0) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
