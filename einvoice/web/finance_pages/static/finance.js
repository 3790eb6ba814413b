/* The export job's page, enhanced: poll the job resource with back-off, move the progress bar, and reload the page
   once the job has finished so the server shows the download. Without it, the page's reload link does the same. */
(function () {
  "use strict";
  var box = document.getElementById("tien-do");
  if (!box || !window.fetch) { return; }
  var finished = ["done", "cancelled", "failed"];
  if (finished.indexOf(box.getAttribute("data-state")) >= 0) { return; }
  var bar = document.getElementById("thanh-tien-do");
  var count = document.getElementById("so-dong");
  var pause = 300;

  function show(job) {
    bar.value = job.percent;
    bar.textContent = job.percent + "%";
    count.textContent = job.percent + "% · " + job.done + (job.total === null ? "" : " / " + job.total) + " chứng từ";
  }

  function poll() {
    fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { if (!answer.ok) { throw new Error(String(answer.status)); } return answer.json(); })
      .then(function (job) {
        show(job);
        if (finished.indexOf(job.state) >= 0) { window.location.reload(); return; }
        pause = Math.min(pause * 1.5, 5000);
        window.setTimeout(poll, pause);
      })
      .catch(function () { pause = Math.min(pause * 2, 10000); window.setTimeout(poll, pause); });
  }
  window.setTimeout(poll, pause);
}());
