// @ts-check
// Reports Home (admins): today's figures, conversations and messages per hour against the
// same weekday last week, and the agents' new conversations today, live. The live queue
// (who waits, who handles what, Join and Take over) stays on the Overview page, linked here.
import { formatTime } from "../datetime.js";
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { chartCard } from "./charts.js";
import { clear, h, toast } from "./dom.js";
import { live } from "./reports_live.js";
import { addDays, agentsToday, dateIn, figuresOf, hourIn, messagesPerHour, summaryUrlOf, tableOfChart, todayVsLastWeek, weekdayName } from "./reports_data.js";
import { app } from "./state.js";

/**
 * @param {HTMLElement} dl
 * @param {Array<{label: string, value: string, hint?: string}>} figures
 */
export function fillFigures(dl, figures) {
  clear(
    dl,
    figures.map((f) => h("div", { class: "count", title: f.hint || null }, h("dt", { text: f.label }), h("dd", { text: f.value }))),
  );
}

/**
 * @param {HTMLElement} body
 * @returns {Promise<() => void>}
 */
export async function render(body) {
  const zone = app.boot.business_time_zone || app.boot.time_zone;
  const figures = h("dl", { class: "counts report-figures", "aria-label": gettext("Today's figures") });
  const liveCounts = h("dl", { class: "counts report-live", "aria-label": gettext("Right now") });
  const updated = h("p", { class: "small muted", role: "status" });
  const perHour = chartCard({ title: gettext("Conversations per hour"), note: gettext("Enquiries opened each hour, today and the same weekday last week.") });
  const messages = chartCard({ title: gettext("Messages per hour"), note: gettext("Messages of the conversations opened each hour, by customers and by staff.") });
  const agents = chartCard({ title: gettext("Agents' new conversations today"), note: gettext("Enquiries opened today, by the agent who handled them.") });
  clear(
    body,
    h(
      "div",
      { class: "report-title" },
      h("h1", { text: gettext("Today") }),
      h("a", { href: "/app/admin/overview", "data-nav": true, class: "small", text: gettext("Live queue: Overview") }),
    ),
    h("div", { class: "report-figures-row" }, figures, liveCounts),
    updated,
    h("div", { class: "report-grid" }, perHour.el, messages.el, agents.el),
  );

  let seq = 0;
  async function load({ background = false } = {}) {
    seq += 1;
    const mine = seq;
    const today = dateIn(zone);
    const lastWeek = addDays(today, -7);
    let todayHours, weekHours, agentRows, overview;
    try {
      [todayHours, weekHours, agentRows, overview] = await Promise.all([
        api("GET", summaryUrlOf({ from: today, to: today, group_by: "hour" }), undefined, { background }),
        api("GET", summaryUrlOf({ from: lastWeek, to: lastWeek, group_by: "hour" }), undefined, { background }),
        api("GET", summaryUrlOf({ from: today, to: today, group_by: "agent" }), undefined, { background }),
        api("GET", "/api/v1/monitoring/overview", undefined, { background }).catch(() => null),
      ]);
    } catch (err) {
      if (mine === seq) toast(err.message, "error");
      return;
    }
    if (mine !== seq) return;
    const hourNow = hourIn(zone);
    const weekday = weekdayName(lastWeek, app.boot.locale);
    fillFigures(figures, figuresOf(todayHours.total));
    if (overview && overview.today) {
      fillFigures(liveCounts, [
        { label: gettext("Waiting now"), value: String(overview.today.open) },
        { label: gettext("Handling now"), value: String(overview.today.handling) },
      ]);
    }
    const volume = todayVsLastWeek(todayHours.rows, weekHours.rows, hourNow, weekday);
    const msgs = messagesPerHour(todayHours.rows, weekHours.rows, hourNow, weekday);
    const byAgent = agentsToday(agentRows.rows);
    await Promise.all([
      perHour.update(volume, tableOfChart(volume, gettext("Hour"))),
      messages.update(msgs, tableOfChart(msgs, gettext("Hour"))),
      agents.update(byAgent, tableOfChart(byAgent, gettext("Agent"))),
    ]);
    updated.textContent = interpolate(gettext("Live · updated %(time)s · %(zone)s"), { time: formatTime(new Date()), zone });
  }

  const stop = live(() => load({ background: true }));
  await load();
  return () => {
    stop();
    seq += 1;
    [perHour, messages, agents].forEach((c) => c.destroy());
  };
}
