/* 大屏: the wall screen (templates/disputes/staff/bigscreen.html), drawn from the dashboard API.
 *
 * Sources (data-source-* on <body>, same period as the page): the area's headline figures, its
 * children (a treemap sized by cases submitted, coloured by resolution rate or overdue count:
 * the toggle), the 12-month trend, the ranking one level down (top and bottom five) and the
 * colour table (overdue now by colour). Everything is fetched again every data-refresh seconds;
 * a failed refresh keeps the last figures and says so. Only this site is asked for anything.
 * Tooltips are drawn on the canvas (richText), so the Content Security Policy has no inline
 * style to refuse.
 */
(function () {
  "use strict";
  var body = document.body;
  var words = {};
  var tpl = document.getElementById("screen-words");
  if (tpl && tpl.content) {
    Array.prototype.forEach.call(tpl.content.querySelectorAll("[data-word]"), function (el) {
      words[el.getAttribute("data-word")] = el.textContent;
    });
  }
  var TEXT = "#e8eef7";
  var MUTED = "#9fb0c8";
  var GRID = "rgba(159, 176, 200, 0.2)";
  var colourBy = "rate";
  var last = null;
  var charts = {};
  var fetches = 0;

  function source(name) { return body.getAttribute("data-source-" + name); }

  function get(url) {
    fetches += 1;
    body.setAttribute("data-fetches", String(fetches));
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  function chart(id) {
    if (!window.echarts) { return null; }
    if (!charts[id]) {
      var el = document.getElementById(id);
      if (!el) { return null; }
      var made = window.echarts.init(el, null, { renderer: "canvas" });
      charts[id] = made;
      // The panels settle after the figures arrive (a card grows a line): follow the box's size.
      if (window.ResizeObserver) { new window.ResizeObserver(function () { made.resize(); }).observe(el); }
    }
    return charts[id];
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }

  function percent(value) { return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%"; }

  /* --- headline figures ------------------------------------------------------------------ */
  function figures(data) {
    var f = data.figures || {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-figure]"), function (box) {
      var figure = f[box.getAttribute("data-figure")];
      if (!figure) { return; }
      box.querySelector("[data-value]").textContent = figure.text !== undefined ? figure.text : String(figure.value);
      var note = box.querySelector("[data-note]");
      if (!note) { return; }
      if (box.getAttribute("data-figure") === "resolution_rate" && f.in_progress) {
        note.textContent = (words.in_progress || "%s").replace("%s", f.in_progress.value);
      } else if (figure.percent && figure.denominator !== null) {
        note.textContent = figure.numerator + " / " + figure.denominator;
      }
    });
    var asOf = document.querySelector("[data-as-of]");
    if (asOf && data.as_of) {
      var d = new Date(data.as_of);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
      asOf.textContent = (words.as_of || "%s").replace("%s", text);
      asOf.setAttribute("data-as-of", data.as_of);
    }
  }

  /* --- overdue by colour (the colour table's "overdue now" column) -------------------------- */
  function colours(table) {
    var list = document.querySelector("[data-colours]");
    if (!list) { return; }
    var column = (table.columns || []).indexOf(words.overdue_column);
    clear(list);
    if (column < 0) { return; }
    (table.rows || []).forEach(function (row, i) {
      var cell = row.cells[column];
      var li = document.createElement("li");
      li.className = "screen-colours__item screen-colours__item--" + (i + 1);
      var name = document.createElement("span");
      name.className = "screen-colours__name";
      name.textContent = row.cells[0].text;
      var n = document.createElement("strong");
      n.textContent = cell ? cell.text : "—";
      li.appendChild(name);
      li.appendChild(n);
      list.appendChild(li);
    });
  }

  /* --- the area tree as a treemap ------------------------------------------------------------ */
  function mix(a, b, t) {
    var r = [0, 1, 2].map(function (i) { return Math.round(a[i] + (b[i] - a[i]) * t); });
    return "rgb(" + r.join(",") + ")";
  }
  var RED = [200, 58, 50], AMBER = [214, 160, 40], GREEN = [46, 150, 90], NONE = "#4a5568";

  function scale(children) {
    var rates = children.map(function (c) { return c.resolution_rate; }).filter(function (v) { return v !== null && v !== undefined; });
    var low = rates.length ? Math.min.apply(null, rates) : 0;
    low = Math.max(0, Math.floor((low * 100 - 1) / 5) * 5) / 100;
    var high = Math.max.apply(null, [1].concat(children.map(function (c) { return c.overdue || 0; })));
    return { rateLow: low, overdueHigh: high };
  }

  function colourOf(child, s) {
    if (colourBy === "overdue") {
      var t = (child.overdue || 0) / s.overdueHigh;
      return t <= 0.5 ? mix(GREEN, AMBER, t * 2) : mix(AMBER, RED, (t - 0.5) * 2);
    }
    if (child.resolution_rate === null || child.resolution_rate === undefined) { return NONE; }
    var r = s.rateLow >= 1 ? 1 : (child.resolution_rate - s.rateLow) / (1 - s.rateLow);
    r = Math.max(0, Math.min(1, r));
    return r <= 0.5 ? mix(RED, AMBER, r * 2) : mix(AMBER, GREEN, (r - 0.5) * 2);
  }

  function legend(s) {
    var low = document.querySelector("[data-legend-low]");
    var high = document.querySelector("[data-legend-high]");
    var bar = document.querySelector("[data-legend-bar]");
    if (!low || !high || !bar) { return; }
    if (colourBy === "overdue") {
      low.textContent = "0"; high.textContent = String(s.overdueHigh);
      bar.className = "screen-legend__bar screen-legend__bar--overdue";
    } else {
      low.textContent = percent(s.rateLow); high.textContent = "100%";
      bar.className = "screen-legend__bar screen-legend__bar--rate";
    }
  }

  function leaf(child, s) {
    return { name: child.name, value: Math.max(child.submitted || 0, 1), child: child, itemStyle: { color: colourOf(child, s) } };
  }

  function treemap(data) {
    var c = chart("screen-map");
    if (!c) { return; }
    var children = data.results || [];
    // Two levels when the areas below have areas of their own (a city: its districts and their townships).
    var grand = [];
    children.forEach(function (child) { grand = grand.concat(child.children || []); });
    var s = scale(grand.length ? grand : children);
    legend(s);
    var screenUrl = body.getAttribute("data-screen-url") || "";
    c.setOption({
      animation: false,
      tooltip: {
        renderMode: "richText",
        formatter: function (p) {
          var d = p.data && p.data.child;
          if (!d) { return ""; }
          var text = d.name + "\n" + (words.submitted || "") + ": " + d.submitted + "\n" +
            (words.by_rate || "") + ": " + (d.resolution_rate_text || percent(d.resolution_rate)) + "\n" +
            (words.by_overdue || "") + ": " + d.overdue;
          document.getElementById("screen-map").setAttribute("data-tip", text);
          return text;
        }
      },
      series: [{
        type: "treemap",
        roam: false,
        nodeClick: false,
        breadcrumb: { show: false },
        width: "100%", height: "100%", top: 0, left: 0,
        itemStyle: { borderColor: "#0b1320", borderWidth: 3, gapWidth: 3 },
        levels: [
          { upperLabel: { show: false } }, // the area itself: its name is the page's title
          { itemStyle: { borderColor: "#0b1320", borderWidth: 4, gapWidth: 4 } },
          { itemStyle: { borderColor: "#0b1320", borderWidth: 1, gapWidth: 1 } }
        ],
        upperLabel: {
          show: true, height: 30, color: "#fff", fontSize: 20, backgroundColor: "#1d2b44",
          formatter: function (p) {
            var d = p.data && p.data.child;
            if (!d) { return p.name || ""; }
            var figure = colourBy === "overdue" ? String(d.overdue) : (d.resolution_rate_text || percent(d.resolution_rate));
            return d.name + "  " + figure;
          }
        },
        label: {
          show: true, color: "#fff", fontSize: 20, lineHeight: 28, overflow: "truncate",
          formatter: function (p) {
            var d = p.data && p.data.child;
            if (!d) { return p.name || ""; }
            var figure = colourBy === "overdue" ? String(d.overdue) : (d.resolution_rate_text || percent(d.resolution_rate));
            return d.name + "\n" + figure;
          }
        },
        data: children.map(function (child) {
          var node = leaf(child, s);
          if (child.children && child.children.length) {
            node.children = child.children.map(function (g) { var n = leaf(g, s); n.label = { fontSize: 15, lineHeight: 20 }; return n; });
            node.value = node.children.reduce(function (sum, n) { return sum + n.value; }, 0);
          }
          return node;
        })
      }]
    }, { notMerge: true });
    c.off("click");
    c.on("click", function (p) {
      if (p.data && p.data.child && screenUrl) {
        window.location.assign(screenUrl.replace("__code__", encodeURIComponent(p.data.child.code)));
      }
    });
  }

  /* --- the trend ------------------------------------------------------------------------------ */
  function column(table, title) { return (table.columns || []).indexOf(title); }

  function trend(table) {
    var c = chart("screen-trend");
    if (!c) { return; }
    var rows = table.rows || [];
    var labels = rows.map(function (r) { return r.cells[0].text; });
    var series = [];
    var rates = [];
    var bars = (table.chart && table.chart.bars) || [];
    var lines = (table.chart && table.chart.rates) || [];
    bars.slice(0, 1).forEach(function (i) {
      series.push({ name: table.columns[i], type: "bar", barMaxWidth: 36, itemStyle: { color: "#3b6ea8" },
        data: rows.map(function (r) { return r.cells[i] ? r.cells[i].value : null; }) });
    });
    var palette = ["#f2c14e", "#5ad19a", "#f08a5d"];
    lines.forEach(function (i, k) {
      var values = rows.map(function (r) {
        var v = r.cells[i] ? r.cells[i].value : null;
        return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
      });
      rates = rates.concat(values.filter(function (v) { return v !== null; }));
      series.push({ name: table.columns[i], type: "line", yAxisIndex: 1, symbolSize: 9, lineStyle: { width: 3 },
        itemStyle: { color: palette[k % palette.length] }, data: values });
    });
    var floor = rates.length ? Math.max(0, Math.floor((Math.min.apply(null, rates) - 1) / 5) * 5) : 0;
    document.getElementById("screen-trend").setAttribute("data-rate-min", String(floor));
    c.setOption({
      animation: false,
      textStyle: { color: TEXT, fontSize: 16 },
      tooltip: { trigger: "axis", renderMode: "richText", textStyle: { fontSize: 16 } },
      legend: { top: 0, left: 0, textStyle: { color: TEXT, fontSize: 16 }, type: "scroll", pageTextStyle: { color: TEXT } },
      grid: { left: 60, right: 70, top: 76, bottom: 36 },
      xAxis: { type: "category", data: labels, axisLabel: { color: MUTED, fontSize: 15 }, axisLine: { lineStyle: { color: MUTED } } },
      yAxis: [
        { type: "value", name: words.count_axis || "", nameTextStyle: { color: MUTED }, minInterval: 1,
          axisLabel: { color: MUTED, fontSize: 14 }, splitLine: { lineStyle: { color: GRID } } },
        { type: "value", min: floor, max: 100, splitLine: { show: false },
          name: floor > 0 ? (words.rate_axis_from || "%s").replace("%s", floor).replace(/%%/g, "%") : (words.rate_axis || ""),
          nameTextStyle: { color: MUTED, align: "right" }, axisLabel: { color: MUTED, fontSize: 14, formatter: "{value}%" } }
      ],
      series: series
    }, { notMerge: true });
  }

  /* --- the ranking: top and bottom five --------------------------------------------------------- */
  function ranking(table) {
    var title = document.querySelector("[data-ranking-title]");
    if (title && table.title) { title.textContent = table.title; }
    var ranked = (table.rows || []).filter(function (r) { return r.cells[0] && r.cells[0].value !== null; });
    var top = ranked.slice(0, 5);
    var bottom = ranked.length > 5 ? ranked.slice(Math.max(5, ranked.length - 5)).reverse() : [];
    [["[data-ranking-top]", top], ["[data-ranking-bottom]", bottom]].forEach(function (pair) {
      var list = document.querySelector(pair[0]);
      if (!list) { return; }
      clear(list);
      list.parentNode.hidden = !pair[1].length; // five ranked or fewer: no bottom five to show
      pair[1].forEach(function (row) {
        var li = document.createElement("li");
        var rank = document.createElement("span");
        rank.className = "screen-ranking__rank";
        rank.textContent = row.cells[0].text;
        var name = document.createElement("span");
        name.className = "screen-ranking__name";
        name.textContent = row.cells[1] ? row.cells[1].text : "";
        var score = document.createElement("strong");
        // The ranking's measure: the first figure after the area's name (the composite score).
        score.textContent = row.cells[2] ? row.cells[2].text : "";
        li.appendChild(rank); li.appendChild(name); li.appendChild(score);
        list.appendChild(li);
      });
    });
  }

  /* --- refresh -------------------------------------------------------------------------------- */
  function status(text) {
    var el = document.querySelector("[data-status]");
    if (el) { el.textContent = text || ""; }
  }

  var MAX_GRANDPARENTS = 12; // a second level for a few areas below (a city's districts), not for fifty villages

  /* The areas below, each with its own areas below when they are few (the children API of each). */
  function tree() {
    var url = source("children");
    return get(url).then(function (data) {
      var children = data.results || [];
      if (!children.length || children.length > MAX_GRANDPARENTS || !data.area) { return data; }
      var own = "/" + encodeURIComponent(data.area.code) + "/children/";
      if (url.indexOf(own) < 0) { return data; }
      return Promise.all(children.map(function (child) {
        return get(url.replace(own, "/" + encodeURIComponent(child.code) + "/children/")).then(function (below) {
          child.children = below.results || [];
        });
      })).then(function () { return data; });
    });
  }

  function refresh() {
    var parts = ["area", "children", "trend", "ranking", "colours"];
    return Promise.all(parts.map(function (p) { return p === "children" ? tree() : get(source(p)); })).then(function (got) {
      last = { area: got[0], children: got[1], trend: got[2], ranking: got[3], colours: got[4] };
      figures(last.area);
      treemap(last.children);
      trend(last.trend);
      ranking(last.ranking);
      colours(last.colours);
      status("");
      body.setAttribute("data-drawn", String(Date.now()));
    }).catch(function (error) {
      var asOf = document.querySelector("[data-as-of]");
      var shown = asOf ? asOf.textContent.replace(/^[^0-9]*/, "") : "";
      status((words.failed || "%s").replace("%s", shown));
      if (window.console) { window.console.warn(error); }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-colour-by]"), function (button) {
      button.addEventListener("click", function () {
        colourBy = button.getAttribute("data-colour-by");
        Array.prototype.forEach.call(document.querySelectorAll("[data-colour-by]"), function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        if (last) { treemap(last.children); }
      });
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
    refresh();
    var seconds = parseInt(body.getAttribute("data-refresh"), 10) || 300;
    window.setInterval(refresh, seconds * 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
