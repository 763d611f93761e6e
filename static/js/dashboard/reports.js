// @ts-check
// Reports: one entry in the main navigation, sub-tabs Home | Analytics | Monitor | Review | VOC.
// Home and Monitor are admins' (today's figures and the agents' ranking, live); Analytics is
// everyone's (agents see only their own figures); Review and VOC are routes of their own
// (/app/reports/review, /app/reports/voc) that show the same tabs with reportsNav().
import { gettext } from "../i18n.js";
import { clear, h } from "./dom.js";
import { app } from "./state.js";

/**
 * The report pages this staff member has, as [slug, path, label].
 * @param {boolean} isAdmin
 * @returns {Array<[string, string, string]>}
 */
export function reportTabs(isAdmin) {
  /** @type {Array<[string, string, string]>} */
  const tabs = [
    ["home", "/app/reports", gettext("Home")],
    ["analytics", "/app/reports/analytics", gettext("Analytics")],
    ["monitor", "/app/reports/monitor", gettext("Monitor")],
    ["review", "/app/reports/review", gettext("Review")],
    ["voc", "/app/reports/voc", gettext("VOC")],
  ];
  const agentTabs = new Set(["analytics", "review"]);
  return isAdmin ? tabs : tabs.filter(([slug]) => agentTabs.has(slug));
}

/**
 * The reports' sub-navigation, the current page marked.
 * @param {string} current slug: home, analytics, monitor, review or voc
 * @returns {HTMLElement}
 */
export function reportsNav(current) {
  return h(
    "nav",
    { class: "report-tabs", "aria-label": gettext("Reports") },
    reportTabs(!!(app.me && app.me.is_admin)).map(([slug, href, label]) => h("a", { href, "data-nav": true, "aria-current": slug === current ? "page" : null, text: label })),
  );
}

/** @type {Record<string, () => Promise<any>>} */
const PAGES = {
  home: () => import("./reports_home.js"),
  analytics: () => import("./reports_analytics.js"),
  monitor: () => import("./reports_monitor.js"),
};
const ADMIN_ONLY = new Set(["home", "monitor"]);

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match match[1]: home, analytics, monitor, or undefined (/app/reports)
 * @param {URLSearchParams} params
 * @returns {Promise<(() => void) | null>}
 */
export async function render(main, match, params) {
  const isAdmin = !!app.me.is_admin;
  // /app/reports is the admins' Home and the agents' Analytics.
  const page = match[1] || (isAdmin ? "home" : "analytics");
  const body = h("div", { class: "report-body" });
  clear(main, h("section", { class: `reports reports-${page}` }, reportsNav(page), body));
  if (ADMIN_ONLY.has(page) && !isAdmin) {
    clear(body, h("h1", { text: gettext("Reports") }), h("p", { class: "form-error", role: "alert", text: gettext("Only admins can open this page.") }));
    return null;
  }
  const module = await PAGES[page]();
  return (await module.render(body, params)) || null;
}
