// The monthly trend charts of the compliance report. The figures come from the page's
// json_script element (no inline script); each chart has its data table beside it, so the
// page says everything without this file.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("report-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var charts = JSON.parse(source.textContent);
    charts.forEach(function (c) {
      var canvas = document.getElementById("chart-" + c.rule);
      if (!canvas) return;
      new window.Chart(canvas, {
        data: {
          labels: c.labels,
          datasets: [
            { type: "bar", label: "Opened", data: c.opened, yAxisID: "count", backgroundColor: "#9ec5fe" },
            { type: "bar", label: "Missed", data: c.missed, yAxisID: "count", backgroundColor: "#f1aeb5" },
            { type: "line", label: "On time (%)", data: c.rate, yAxisID: "rate", borderColor: "#198754", spanGaps: true }
          ]
        },
        options: {
          animation: false,
          responsive: true,
          scales: {
            count: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "Obligations" } },
            rate: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "On time (%)" } }
          }
        }
      });
      canvas.dataset.rendered = "yes";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
