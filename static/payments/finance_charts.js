/*
 * Finance dashboard charts. The data comes from <script type="application/json"> elements
 * written by Django's json_script (never executed, so the CSP allows them); each
 * <canvas data-chart-source="ID"> is drawn from the element with that id. The same figures are
 * in the table beside each chart, so nothing depends on this script.
 */
(function () {
  "use strict";
  if (typeof window.Chart !== "function") {
    return;
  }
  var palette = ["#0a58ca", "#b02a37", "#146c43", "#9a6700", "#6f42c1", "#0f5132", "#495057"];
  document.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data.map(Number),
            backgroundColor: palette[index % palette.length]
          };
        })
      },
      options: {
        responsive: true,
        animation: false,
        plugins: { title: { display: true, text: spec.title } },
        scales: { y: { beginAtZero: true } }
      }
    });
  });
})();
