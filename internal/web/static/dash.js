/* Hotline 12345 dashboards: draws the ECharts charts from the JSON islands
   next to each .chart element; the tables under them stay the source of
   truth (and what a browser without JavaScript shows). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var charts = [];
  var palette = ["#0f5fb0", "#e07b00", "#1e8a4c", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4a017"];

  function pct(v) { return v == null ? "—" : (v * 100).toFixed(1) + "%"; }

  function options(spec, dark) {
    var ink = dark ? "#d9e6f5" : "#37414e", line = dark ? "#2b4a6f" : "#e3e8ee";
    var horizontal = spec.kind === "hbar";
    var cat = { type: "category", data: spec.x, axisLabel: { color: ink, hideOverlap: true }, axisLine: { lineStyle: { color: line } } };
    var val = { type: "value", axisLabel: { color: ink }, splitLine: { lineStyle: { color: line } } };
    if (!spec.pct) { val.minInterval = 1; }
    if (spec.pct) { val.max = 1; val.axisLabel.formatter = function (v) { return Math.round(v * 100) + "%"; }; }
    if (horizontal) { cat.inverse = true; cat.axisLabel.width = 110; cat.axisLabel.overflow = "truncate"; }
    var series = spec.series.map(function (s) {
      var o = { name: s.name, data: s.data, type: spec.kind === "line" ? "line" : "bar", connectNulls: false };
      if (spec.kind === "line") { o.symbolSize = 5; o.smooth = false; }
      if (spec.kind === "stack") { o.stack = "all"; }
      if (spec.kind !== "line" && spec.series.length === 1) { o.barMaxWidth = 28; o.label = { show: true, position: horizontal ? "right" : "top", color: ink, fontSize: 11, formatter: function (p) { return p.value == null || p.value === 0 ? "" : spec.pct ? pct(p.value) : p.value; } }; }
      return o;
    });
    return {
      color: palette,
      animation: !dark,
      textStyle: { fontFamily: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif" },
      grid: { left: horizontal ? 120 : 44, right: 24, top: spec.series.length > 1 ? 36 : 16, bottom: 28, containLabel: !horizontal },
      legend: spec.series.length > 1 ? { top: 0, textStyle: { color: ink }, type: "plain" } : undefined,
      tooltip: { trigger: "axis", valueFormatter: spec.pct ? pct : undefined },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: series,
      aria: { enabled: true }
    };
  }

  function init(root) {
    if (typeof echarts === "undefined") { return; }
    // Fold the tables first: the charts take the room they leave.
    root.querySelectorAll("details[data-js-close]").forEach(function (d) { d.open = false; });
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-drawn")) { return; }
      var src = document.getElementById(el.getAttribute("data-chart") + "-data");
      if (!src) { return; }
      var spec = JSON.parse(src.textContent);
      if (!spec.x || spec.x.length === 0) { el.classList.add("empty-chart"); return; }
      var dark = !!el.closest(".bigscreen");
      var c = echarts.init(el, null, { renderer: "canvas" });
      c.setOption(options(spec, dark));
      el.setAttribute("data-drawn", "1");
      charts.push(c);
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("htmx:beforeSwap", function () { charts.forEach(function (c) { c.dispose(); }); charts = []; });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-fullscreen]");
    if (b && document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else { init(document); }
})();
