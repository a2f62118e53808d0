/* Charts beside the dashboard's tables (Apache ECharts, static/vendor/echarts/echarts.custom.min.js).
 *
 * Each table with data-chart-bars / data-chart-rates is drawn above itself: counts as bars on
 * the left axis, rates (percent) as lines on the right axis. The table stays the source and
 * works without JavaScript: when the page names the dashboard API (data-api on #dash-charts),
 * the chart draws from the table's JSON there; otherwise, or if that fails, from the table
 * in the page. Both hold the same numbers.
 *
 * Readable: a legend, a tooltip (drawn on the canvas, so the Content Security Policy has no
 * inline style to refuse), a zoom bar when there are many rows, and a rate axis scaled to the
 * data (94-100% is not a flat line at the top of 0-100%), its lower bound named on the axis.
 * On the trend, a click on a month opens that month: its row's link when the table has one,
 * else the dashboard for that month.
 */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var MAX_ROWS = 60; // the table keeps them all; the chart's zoom bar shows ZOOM_WINDOW at a time
  var ZOOM_WINDOW = 12;
  var root = document.getElementById("dash-charts");
  // The words the charts show, translated in the page: data-word-<key without "_"> on #dash-charts.
  function word(key, fallback) {
    return (root && root.getAttribute("data-word-" + key.replace(/_/g, ""))) || fallback;
  }

  function number(cell) {
    var text = (cell.firstChild && cell.firstChild.nodeType === 3 ? cell.firstChild.nodeValue : cell.textContent) || "";
    var value = parseFloat(text.replace(/,/g, ""));
    return isNaN(value) ? null : value;
  }

  function indices(value) {
    return (value || "").split(",").filter(Boolean).map(function (v) { return parseInt(v, 10); });
  }

  /* {labels, links, columns, values: [[...per column]]} read from the table in the page. */
  function fromPage(table) {
    var columns = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent.trim(); });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows, 0, MAX_ROWS);
    return {
      columns: columns,
      labels: rows.map(function (r) { return r.cells[0].textContent.trim(); }),
      links: rows.map(function (r) {
        var a = r.cells[0].querySelector("a[href]");
        return a ? a.getAttribute("href") : null;
      }),
      cell: function (row, index) { return number(rows[row].cells[index]); }
    };
  }

  /* The same from the API's table JSON ({"columns", "rows": [{"cells": [{text, value, percent, link}], link}]}). */
  function fromJson(json) {
    var rows = (json.rows || []).slice(0, MAX_ROWS);
    return {
      columns: json.columns,
      labels: rows.map(function (r) { return r.cells[0].text; }),
      links: rows.map(function (r) { return r.link || r.cells[0].link || null; }),
      cell: function (row, index) {
        var c = rows[row].cells[index];
        if (!c || c.value === null || c.value === undefined) { return null; }
        return c.percent ? Math.round(c.value * 1000) / 10 : c.value;
      }
    };
  }

  function load(table, section) {
    var api = root && root.getAttribute("data-api");
    if (!api || !window.fetch || !section || !section.id) { return Promise.resolve(fromPage(table)); }
    var url = api.replace("__key__", encodeURIComponent(section.id)) + (root.getAttribute("data-query") || "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(fromJson)
      .catch(function () { return fromPage(table); });
  }

  /* The rate axis from just below the lowest rate shown, in steps of 5, so the lines use the height. */
  function rateFloor(values) {
    var seen = values.filter(function (v) { return v !== null && v !== undefined; });
    if (!seen.length) { return 0; }
    var low = Math.min.apply(null, seen);
    return Math.max(0, Math.floor((low - 1) / 5) * 5);
  }

  function formatValue(value, isRate) {
    if (value === null || value === undefined || value === "-") { return "—"; }
    return isRate ? value.toFixed(1) + "%" : String(value);
  }

  function monthLink(label) {
    if (!/^\d{4}-\d{2}$/.test(label) || !root) { return null; }
    return (root.getAttribute("data-month-url") || "?") + "kind=month&month=" + label;
  }

  function draw(table, data) {
    var bars = indices(table.getAttribute("data-chart-bars"));
    var rates = indices(table.getAttribute("data-chart-rates"));
    var n = data.labels.length;
    if (!n) { return; }
    var series = [];
    var rateValues = [];
    bars.forEach(function (i) {
      series.push({ name: data.columns[i], type: "bar", barMaxWidth: 28, data: data.labels.map(function (_, r) { return data.cell(r, i); }) });
    });
    rates.forEach(function (i) {
      var values = data.labels.map(function (_, r) { return data.cell(r, i); });
      rateValues = rateValues.concat(values);
      series.push({
        name: data.columns[i], type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 7,
        data: values
      });
    });
    var floor = rateFloor(rateValues);
    var section = table.closest("section");
    var box = document.createElement("div");
    box.className = "dash-chart";
    box.setAttribute("role", "img");
    var title = section && section.querySelector("h2");
    box.setAttribute("aria-label", (title ? title.textContent : "") + " — " + data.columns.slice(1).join(", "));
    box.setAttribute("data-rate-min", String(floor));
    var scroller = table.closest(".dash-scroll") || table;
    scroller.parentNode.insertBefore(box, scroller);
    var isTrend = section && section.id === "trend";
    var rateNames = {};
    rates.forEach(function (i) { rateNames[data.columns[i]] = true; });
    var zoom = n > ZOOM_WINDOW;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "inherit" },
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        confine: true,
        formatter: function (items) {
          var lines = [items.length ? items[0].axisValueLabel : ""];
          items.forEach(function (item) {
            lines.push(item.seriesName + ": " + formatValue(item.value, rateNames[item.seriesName]));
          });
          if (isTrend) { lines.push(word("open_month", "Click to open the month")); }
          var text = lines.join("\n");
          box.setAttribute("data-tip", text);
          return text;
        }
      },
      legend: { type: "scroll", top: 0, left: "center" },
      grid: { left: 56, right: 64, top: 44, bottom: zoom ? 86 : 56, containLabel: false },
      dataZoom: zoom ? [
        { type: "slider", xAxisIndex: 0, startValue: 0, endValue: ZOOM_WINDOW - 1, height: 18, bottom: 8 },
        { type: "inside", xAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true }
      ] : [],
      xAxis: {
        type: "category", data: data.labels,
        axisLabel: { rotate: !isTrend && n > 6 ? 30 : 0, interval: 0, width: 120, overflow: "truncate" }
      },
      yAxis: [
        { type: "value", name: word("count_axis", "Cases"), minInterval: 1 },
        {
          type: "value", min: floor, max: 100, splitLine: { show: false },
          name: floor > 0 ? word("rate_axis_from", "Rate (%%), from %s%%").replace("%s", floor).replace(/%%/g, "%")
            : word("rate_axis", "Rate (%)"),
          nameTextStyle: { align: "right" },
          axisLabel: { formatter: "{value}%" }
        }
      ],
      series: series
    });
    if (isTrend) {
      box.classList.add("dash-chart--clickable");
      var open = function (index) {
        var href = data.links[index] || monthLink(data.labels[index]);
        if (href) { window.location.assign(href); }
      };
      chart.on("click", function (params) { open(params.dataIndex); });
      // A click anywhere in a month's column, not only on its point or bar.
      chart.getZr().on("click", function (event) {
        if (event.target) { return; } // a point or bar: handled above
        var point = [event.offsetX, event.offsetY];
        if (!chart.containPixel("grid", point)) { return; }
        var index = chart.convertFromPixel({ seriesIndex: 0 }, point)[0];
        if (index >= 0 && index < n) { open(index); }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-chart-bars]"), function (table) {
      var section = table.closest("section");
      load(table, section).then(function (data) { draw(table, data); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
