// @ts-check
// Charts of the report pages, drawn by Chart.js (vendored from npm under static/vendor/chartjs/,
// loaded once as a static file when a report page first needs it: no CDN, no inline script).
// Every chart is also a table: its "Table" toggle shows the same figures as an HTML table with
// a caption and headers, and the canvas carries a one-sentence summary as its aria-label.
import { gettext } from "../i18n.js";
import { h, uid } from "./dom.js";
import { chartSummary, formatValue, timeStep } from "./reports_data.js";

/** @typedef {import("./reports_data.js").ChartSpec} ChartSpec */
/** @typedef {import("./reports_data.js").TableSpec} TableSpec */

const CHART_URL = new URL("../../vendor/chartjs/chart.umd.min.js", import.meta.url).href;

/** @type {Promise<any> | null} */
let loading = null;

/**
 * Chart.js, loaded on first use (a classic script: it sets window.Chart).
 * @returns {Promise<any>} the Chart class
 */
export function loadChart() {
  const g = /** @type {any} */ (globalThis);
  if (g.Chart) return Promise.resolve(g.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = CHART_URL;
      script.async = true;
      script.onload = () => {
        const Chart = g.Chart;
        if (!Chart) return reject(new Error("Chart.js did not load"));
        Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "system-ui, sans-serif";
        Chart.defaults.color = "#5f6b76";
        Chart.defaults.borderColor = "#e3e8ee";
        resolve(Chart);
      };
      script.onerror = () => {
        loading = null;
        reject(new Error("Chart.js could not be loaded"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

/**
 * An HTML table of figures: a caption, column headers, each row's first cell a row header.
 * @param {TableSpec} spec
 * @param {string} caption
 * @param {{captionHidden?: boolean, className?: string, rowHeader?: number}} [options] rowHeader: the
 *   column that names each row (the first, unless told)
 * @returns {HTMLTableElement}
 */
export function dataTable(spec, caption, { captionHidden = false, className = "", rowHeader = 0 } = {}) {
  const row = (/** @type {string[]} */ cells) => h("tr", {}, cells.map((text, i) => (i === rowHeader ? h("th", { scope: "row", text }) : h("td", { text, class: i < rowHeader ? "" : "num" }))));
  return h(
    "table",
    { class: `data-table report-table ${className}`.trim() },
    h("caption", { class: captionHidden ? "visually-hidden" : "", text: caption }),
    h("thead", {}, h("tr", {}, spec.head.map((text, i) => h("th", { scope: "col", class: i > rowHeader ? "num" : "", text })))),
    h("tbody", {}, spec.body.length ? spec.body.map((cells) => row(cells)) : h("tr", {}, h("td", { colspan: String(spec.head.length), class: "muted", text: gettext("No data for this period.") }))),
    spec.foot ? h("tfoot", {}, row(spec.foot)) : null,
  );
}

/**
 * @param {number} value
 * @param {string} kind
 * @returns {string}
 */
function tick(value, kind) {
  if (kind === "count" || kind === "score") return Number.isInteger(value) ? String(value) : "";
  return formatValue(value, /** @type {any} */ (kind));
}


/**
 * Chart.js's configuration of a spec.
 * @param {ChartSpec} spec
 * @returns {any}
 */
function configOf(spec) {
  const reduced = typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
  const line = spec.type === "line";
  const datasets = spec.series.map((s) => ({
    label: s.label,
    data: s.data,
    borderColor: s.color,
    backgroundColor: s.color,
    borderDash: s.dashed ? [6, 4] : [],
    borderWidth: line ? 2 : 0,
    // Counts are continuous lines; times and scores have gaps, where a lone point must show.
    pointRadius: line ? (spec.kind === "count" && spec.labels.length > 40 ? 0 : 2.5) : 0,
    tension: 0,
    spanGaps: false,
    stack: s.stack,
    maxBarThickness: 28,
  }));
  const valueAxis = {
    beginAtZero: true,
    stacked: !!spec.stacked,
    max: spec.kind === "score" ? 5 : undefined,
    ticks: { callback: (/** @type {number} */ v) => tick(v, spec.kind), maxTicksLimit: 7, stepSize: timeStep(spec) },
  };
  const categoryAxis = { stacked: !!spec.stacked, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 16 } };
  return {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      indexAxis: spec.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 250 },
      interaction: { mode: "index", intersect: false },
      scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
        tooltip: { callbacks: { label: (/** @type {any} */ ctx) => `${ctx.dataset.label}: ${formatValue(ctx.raw, spec.kind)}` } },
      },
    },
  };
}

/**
 * @param {ChartSpec} spec
 * @returns {string} what needs a new chart rather than new data when it changes
 */
function shapeOf(spec) {
  return JSON.stringify([spec.type, spec.kind, !!spec.horizontal, !!spec.stacked, spec.series.map((s) => [s.label, s.stack || ""])]);
}

/**
 * A chart with its table toggle. update() draws new figures (live refreshes reuse the chart);
 * destroy() lets go of Chart.js's listeners.
 * @param {{title: string, note?: string, className?: string}} options
 * @returns {{el: HTMLElement, update: (spec: ChartSpec, table: TableSpec) => Promise<void>, destroy: () => void}}
 */
export function chartCard({ title, note = "", className = "" }) {
  const titleId = uid("chart");
  const tableId = uid("chart-table");
  const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", { role: "img", "aria-label": title }));
  const box = h("div", { class: "chart-box" }, canvas);
  const tableBox = h("div", { class: "chart-table", id: tableId, hidden: true });
  const empty = h("p", { class: "muted small chart-empty", text: gettext("No data for this period."), hidden: true });
  const failed = h("p", { class: "small form-error", text: gettext("The chart could not be drawn; the table shows its figures."), hidden: true });
  const toggle = /** @type {HTMLButtonElement} */ (
    h("button", { type: "button", class: "small-button chart-toggle", "aria-pressed": "false", "aria-controls": tableId, text: gettext("Table") })
  );
  const el = h(
    "figure",
    { class: `report-chart ${className}`.trim(), "aria-labelledby": titleId },
    h("div", { class: "report-chart-head" }, h("h2", { id: titleId, text: title }), toggle),
    box,
    empty,
    failed,
    tableBox,
    note ? h("p", { class: "small muted chart-note", text: note }) : null,
  );
  let showTable = false;
  let drawable = true;
  let hasData = false;
  const layout = () => {
    toggle.setAttribute("aria-pressed", String(showTable));
    tableBox.hidden = !showTable && drawable;
    box.hidden = showTable || !drawable || !hasData;
    empty.hidden = showTable || !drawable || hasData;
    failed.hidden = drawable;
    toggle.hidden = !drawable;
  };
  toggle.addEventListener("click", () => {
    showTable = !showTable;
    layout();
  });

  /** @type {any} */
  let chart = null;
  let shape = "";

  return {
    el,
    async update(spec, table) {
      tableBox.replaceChildren(dataTable(table, title, { captionHidden: true }));
      canvas.setAttribute("aria-label", chartSummary(title, spec));
      hasData = spec.labels.length > 0 && spec.series.some((s) => s.data.some((v) => v !== null && v !== 0));
      // Horizontal bars grow with their number; the rest have the box's height (CSS).
      box.style.height = spec.horizontal ? `${Math.max(180, 26 * spec.labels.length + 70)}px` : "";
      layout();
      let Chart;
      try {
        Chart = await loadChart();
      } catch (err) {
        console.error(err);
        drawable = false;
        layout();
        return;
      }
      if (!el.isConnected && !chart) return;
      const config = configOf(spec);
      const newShape = shapeOf(spec);
      if (chart && shape === newShape) {
        chart.data.labels = config.data.labels;
        chart.data.datasets.forEach((/** @type {any} */ d, /** @type {number} */ i) => (d.data = config.data.datasets[i].data));
        chart.options.scales = config.options.scales;
        chart.update("none");
      } else {
        if (chart) chart.destroy();
        chart = new Chart(canvas, config);
        shape = newShape;
      }
    },
    destroy() {
      if (chart) chart.destroy();
      chart = null;
    },
  };
}
