/* Charts beside the dashboard's tables (Apache ECharts, static/vendor/echarts).
 *
 * The tables are the source: each table with data-chart-bars / data-chart-rates is
 * read from the page and drawn above itself, counts as bars and rates (percent) as
 * lines on a second axis. Without JavaScript, or if ECharts fails to load, the
 * tables alone remain, with every number.
 */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var MAX_ROWS = 20; // a chart of 160 departments is unreadable: the table keeps them all

  function number(cell) {
    var text = (cell.firstChild && cell.firstChild.nodeType === 3 ? cell.firstChild.nodeValue : cell.textContent) || "";
    var value = parseFloat(text.replace(/,/g, ""));
    return isNaN(value) ? null : value;
  }

  function indices(value) {
    return (value || "").split(",").filter(Boolean).map(function (v) { return parseInt(v, 10); });
  }

  function draw(table) {
    var bars = indices(table.getAttribute("data-chart-bars"));
    var rates = indices(table.getAttribute("data-chart-rates"));
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows, 0, MAX_ROWS);
    if (!rows.length) { return; }
    var labels = rows.map(function (r) { return r.cells[0].textContent.trim(); });
    var series = bars.map(function (i) {
      return { name: headers[i], type: "bar", data: rows.map(function (r) { return number(r.cells[i]); }) };
    }).concat(rates.map(function (i) {
      return {
        name: headers[i], type: "line", yAxisIndex: 1, connectNulls: false,
        data: rows.map(function (r) { return number(r.cells[i]); })
      };
    }));
    var box = document.createElement("div");
    box.className = "dash-chart";
    box.setAttribute("role", "img");
    var section = table.closest("section");
    var title = section && section.querySelector("h2");
    box.setAttribute("aria-label", (title ? title.textContent : "") + " — " + headers.slice(1).join(", "));
    var scroller = table.closest(".dash-scroll") || table;
    scroller.parentNode.insertBefore(box, scroller);
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 70 },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: labels.length > 6 ? 40 : 0, interval: 0 } },
      yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-chart-bars]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
