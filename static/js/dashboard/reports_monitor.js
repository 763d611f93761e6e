// @ts-check
// Reports Monitor (admins): today's service quality per agent and their ranking (GET
// /api/v1/analytics/agents), today's figures, live: enquiry events and availability changes
// refresh it (debounced).
import { formatTime } from "../datetime.js";
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { chartCard, dataTable } from "./charts.js";
import { clear, field, h, toast } from "./dom.js";
import { fillFigures } from "./reports_home.js";
import { ENQUIRY_EVENTS, live } from "./reports_live.js";
import { agentName, agentsUrl, availabilityChart, COLORS, dateIn, figuresOf, rankingChart, rankingRows, rankingSorts, rankingTable, summaryUrlOf, tableOfChart } from "./reports_data.js";
import { app } from "./state.js";

/** @typedef {import("./reports_data.js").ChartSpec} ChartSpec */

/**
 * First response and handle time (p50) per agent, in ranking order.
 * @param {any[]} rows
 * @returns {ChartSpec}
 */
function qualityChart(rows) {
  const ranked = rankingRows(rows);
  const seconds = (/** @type {string} */ field) => ranked.map((row) => (row[field] === null || row[field] === undefined ? null : Number(row[field])));
  return {
    type: "bar",
    horizontal: true,
    labels: ranked.map(agentName),
    kind: "seconds",
    series: [
      { label: gettext("First response p50"), data: seconds("first_response_p50_s"), color: COLORS.blue },
      { label: gettext("Handle time p50"), data: seconds("handle_time_p50_s"), color: COLORS.purple },
    ],
  };
}

/**
 * @param {HTMLElement} body
 * @returns {Promise<() => void>}
 */
export async function render(body) {
  const zone = app.boot.business_time_zone || app.boot.time_zone;
  const figures = h("dl", { class: "counts report-figures", "aria-label": gettext("Today's figures") });
  const updated = h("p", { class: "small muted", role: "status" });
  const ranking = chartCard({ title: gettext("Handled and resolved today"), note: gettext("Enquiries opened today that each agent handled and resolved, in ranking order.") });
  const sort = /** @type {HTMLSelectElement} */ (h("select", { id: "monitor-sort", name: "sort" }, rankingSorts().map(([value, label]) => h("option", { value, text: label }))));
  sort.addEventListener("change", () => load());
  const quality = chartCard({ title: gettext("Service quality"), note: gettext("Medians of today: from the customer's first message to the first reply, and from pick-up to resolve.") });
  const states = chartCard({ title: gettext("Time in each availability state"), note: gettext("Today so far; offline time is left out of the chart (it is in the table).") });
  const csv = /** @type {HTMLAnchorElement} */ (h("a", { class: "small-button button-link", download: true, text: gettext("Download CSV") }));
  const tableBox = h("div", { class: "report-table-box" });
  clear(
    body,
    h("div", { class: "report-title" }, h("h1", { text: gettext("Monitor") }), h("a", { href: "/app/admin/overview", "data-nav": true, class: "small", text: gettext("Live queue: Overview") })),
    figures,
    updated,
    h("div", { class: "report-grid" }, ranking.el, quality.el, states.el),
    h(
      "section",
      { class: "report-table-section", "aria-labelledby": "monitor-table-title" },
      h("div", { class: "report-chart-head" }, h("h2", { id: "monitor-table-title", text: gettext("Agents today") }), field(gettext("Rank by"), sort), csv),
      tableBox,
    ),
  );

  let seq = 0;
  async function load({ background = false } = {}) {
    seq += 1;
    const mine = seq;
    const today = dateIn(zone);
    let summary, agents;
    try {
      [summary, agents] = await Promise.all([
        api("GET", summaryUrlOf({ from: today, to: today }), undefined, { background }),
        api("GET", agentsUrl({ from: today, to: today, sort: sort.value }), undefined, { background }),
      ]);
    } catch (err) {
      if (mine === seq) toast(err.message, "error");
      return;
    }
    if (mine !== seq) return;
    const rows = agents.rows || [];
    fillFigures(figures, figuresOf(summary.total));
    const rankSpec = rankingChart(rows);
    const qualitySpec = qualityChart(rows);
    const statesSpec = availabilityChart(rows);
    await Promise.all([
      ranking.update(rankSpec, tableOfChart(rankSpec, gettext("Agent"))),
      quality.update(qualitySpec, tableOfChart(qualitySpec, gettext("Agent"))),
      states.update(statesSpec, tableOfChart(statesSpec, gettext("Agent"))),
    ]);
    csv.href = agentsUrl({ from: today, to: today, sort: sort.value, format: "csv" });
    clear(tableBox, dataTable(rankingTable(rows), gettext("Agents' ranking today"), { rowHeader: 1, captionHidden: true }));
    updated.textContent = interpolate(gettext("Live · updated %(time)s · %(zone)s"), { time: formatTime(new Date()), zone });
  }

  const stop = live(() => load({ background: true }), { types: [...ENQUIRY_EVENTS, "staff.availability"] });
  await load();
  return () => {
    stop();
    seq += 1;
    [ranking, quality, states].forEach((c) => c.destroy());
  };
}
