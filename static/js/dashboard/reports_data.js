// @ts-check
// The reports' data, without DOM: date ranges and presets in the business's time zone, the
// Analytics page's state <-> its URL and the API's query, and the analytics API's JSON
// (GET /api/v1/analytics/summary and /agents, README "Metrics") turned into chart series and
// tables. reports_home.js, reports_analytics.js and reports_monitor.js draw them;
// tests/js/reports_data.test.js tests them.
import { formatDuration } from "../datetime.js";
import { gettext, interpolate, pgettext } from "../i18n.js";

/**
 * @typedef {Record<string, any>} Row a row of the summary (key, label and the figures)
 * @typedef {{label: string, data: Array<number | null>, color: string, dashed?: boolean, stack?: string}} Series
 * @typedef {"count" | "seconds" | "score" | "rate" | "hours"} Kind how a figure is written
 * @typedef {{type: "bar" | "line", labels: string[], series: Series[], kind: Kind, horizontal?: boolean, stacked?: boolean}} ChartSpec
 * @typedef {{head: string[], body: string[][], foot?: string[]}} TableSpec
 * @typedef {{field: string, label: string, kind: Kind}} Column
 * @typedef {{preset: string, from: string, to: string, group_by: string, agent: string, channel: string, channel_kind: string, tag: string, conversation_tag: string}} AnalyticsState
 */

export const COLORS = {
  blue: "#1f6feb",
  green: "#1a7f37",
  red: "#cf222e",
  amber: "#9a6700",
  purple: "#8250df",
  teal: "#0e7c86",
  grey: "#8c959f",
  lightBlue: "#79a7f0",
  lightAmber: "#d4a72c",
};

// ------------------------------------------------------------------ dates

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * @param {string} value
 * @returns {boolean} a real calendar date written YYYY-MM-DD
 */
export function isDate(value) {
  const m = DATE_RE.exec(value || "");
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/**
 * The calendar date of an instant in a time zone.
 * @param {string} timeZone IANA name
 * @param {Date} [now]
 * @returns {string} YYYY-MM-DD
 */
export function dateIn(timeZone, now = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * The hour (0-23) of an instant in a time zone.
 * @param {string} timeZone
 * @param {Date} [now]
 * @returns {number}
 */
export function hourIn(timeZone, now = new Date()) {
  const hour = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", hourCycle: "h23" }).format(now);
  return Number(hour) % 24;
}

/**
 * @param {string} isoDate YYYY-MM-DD
 * @param {number} days
 * @returns {string}
 */
export function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** @type {Record<string, number>} days of each preset, today included */
const PRESET_DAYS = { today: 1, "7d": 7, "30d": 30, "90d": 90 };
export const PRESETS = Object.keys(PRESET_DAYS);

/** @returns {Array<[string, string]>} [value, label] of the period choices */
export function presetChoices() {
  return [
    ["today", gettext("Today")],
    ["7d", gettext("Last 7 days")],
    ["30d", gettext("Last 30 days")],
    ["90d", gettext("Last 90 days")],
    ["custom", gettext("Custom")],
  ];
}

/**
 * @param {string} preset today, 7d, 30d or 90d
 * @param {string} today YYYY-MM-DD in the business's time zone
 * @returns {{from: string, to: string}} both days included
 */
export function presetRange(preset, today) {
  const days = PRESET_DAYS[preset] || 7;
  return { from: addDays(today, -(days - 1)), to: today };
}

/**
 * @param {string} from
 * @param {string} to
 * @param {string} today
 * @returns {string} the preset these dates are, else "custom"
 */
export function presetOf(from, to, today) {
  for (const preset of PRESETS) {
    const range = presetRange(preset, today);
    if (range.from === from && range.to === to) return preset;
  }
  return "custom";
}

// ------------------------------------------------------------------ the analytics page's state

export const GROUPS = ["day", "hour", "agent", "channel", "channel_kind", "tag", "conversation_tag"];
export const FILTERS = ["agent", "channel", "channel_kind", "tag", "conversation_tag"];
const TIME_GROUPS = new Set(["day", "hour"]);

/**
 * @param {string} groupBy
 * @returns {string} how a group is named in a select and a table's first column
 */
export function groupLabel(groupBy) {
  /** @type {Record<string, string>} */
  const labels = {
    day: gettext("Day"),
    hour: gettext("Hour"),
    agent: gettext("Agent"),
    channel: gettext("Channel"),
    channel_kind: gettext("Channel kind"),
    tag: gettext("Tag"),
    conversation_tag: gettext("Conversation tag"),
  };
  return labels[groupBy] || groupBy;
}

/**
 * The page's state from its URL (?range=7d | ?from=&to=, group_by, filters); whatever is not
 * valid falls back to the last 7 days by day. Agents have no agent filter (the API answers
 * with their own figures only) and no grouping by agent.
 * @param {URLSearchParams} params
 * @param {{today: string, isAdmin: boolean}} options
 * @returns {AnalyticsState}
 */
export function stateFromParams(params, { today, isAdmin }) {
  let from = params.get("from") || "";
  let to = params.get("to") || "";
  let preset = params.get("range") || "";
  if (PRESETS.includes(preset)) ({ from, to } = presetRange(preset, today));
  else if (isDate(from) && isDate(to) && from <= to) preset = presetOf(from, to, today);
  else {
    preset = "7d";
    ({ from, to } = presetRange(preset, today));
  }
  let groupBy = params.get("group_by") || "day";
  if (!GROUPS.includes(groupBy) || (groupBy === "agent" && !isAdmin)) groupBy = "day";
  /** @param {string} name */
  const id = (name) => {
    const value = params.get(name) || "";
    return /^\d{1,18}$/.test(value) ? value : "";
  };
  const kind = params.get("channel_kind") || "";
  return {
    preset,
    from,
    to,
    group_by: groupBy,
    agent: isAdmin ? id("agent") : "",
    channel: id("channel"),
    channel_kind: /^[a-z_]{1,32}$/.test(kind) ? kind : "",
    tag: id("tag"),
    conversation_tag: id("conversation_tag"),
  };
}

/**
 * The page's URL query for a state (a preset by name, custom dates as dates).
 * @param {AnalyticsState} state
 * @returns {string} "" or "?..."
 */
export function stateToSearch(state) {
  const q = new URLSearchParams();
  if (state.preset !== "custom") q.set("range", state.preset);
  else {
    q.set("from", state.from);
    q.set("to", state.to);
  }
  if (state.group_by !== "day") q.set("group_by", state.group_by);
  for (const name of FILTERS) if (state[name]) q.set(name, state[name]);
  const text = q.toString();
  return text ? `?${text}` : "";
}

/**
 * The summary's URL for a state (JSON, or the CSV download).
 * @param {AnalyticsState} state
 * @param {{format?: string}} [options]
 * @returns {string}
 */
export function summaryUrl(state, { format = "" } = {}) {
  const q = new URLSearchParams({ from: state.from, to: state.to, group_by: state.group_by });
  for (const name of FILTERS) if (state[name]) q.set(name, state[name]);
  if (format) q.set("format", format);
  return `/api/v1/analytics/summary?${q}`;
}

/**
 * @param {{from?: string, to?: string, group_by?: string, format?: string}} [query] omitted: today
 * @returns {string}
 */
export function summaryUrlOf(query = {}) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) q.set(name, value);
  const text = q.toString();
  return `/api/v1/analytics/summary${text ? `?${text}` : ""}`;
}

/**
 * @param {{from?: string, to?: string, sort?: string, format?: string}} [query] omitted: today
 * @returns {string}
 */
export function agentsUrl(query = {}) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) q.set(name, value);
  const text = q.toString();
  return `/api/v1/analytics/agents${text ? `?${text}` : ""}`;
}

// ------------------------------------------------------------------ figures

/** @returns {Column[]} the summary's figures, in the table's order */
export function summaryColumns() {
  return [
    { field: "opened", label: gettext("Opened"), kind: "count" },
    { field: "handled", label: gettext("Handled"), kind: "count" },
    { field: "missed", label: gettext("Missed"), kind: "count" },
    { field: "missed_rate", label: gettext("Missed rate"), kind: "rate" },
    { field: "resolved", label: gettext("Resolved"), kind: "count" },
    { field: "reopened", label: gettext("Reopened"), kind: "count" },
    { field: "transferred", label: gettext("Transferred"), kind: "count" },
    { field: "wait_p50_s", label: gettext("Wait p50"), kind: "seconds" },
    { field: "wait_p90_s", label: gettext("Wait p90"), kind: "seconds" },
    { field: "first_response_p50_s", label: gettext("First response p50"), kind: "seconds" },
    { field: "first_response_p90_s", label: gettext("First response p90"), kind: "seconds" },
    { field: "handle_time_p50_s", label: gettext("Handle time p50"), kind: "seconds" },
    { field: "messages_customer", label: gettext("Customer messages"), kind: "count" },
    { field: "messages_staff", label: gettext("Staff messages"), kind: "count" },
    { field: "csat_avg", label: gettext("CSAT"), kind: "score" },
    { field: "csat_count", label: gettext("Ratings"), kind: "count" },
    { field: "csat_share_4_5", label: gettext("Rated 4-5"), kind: "rate" },
    { field: "csat_comments", label: gettext("Comments"), kind: "count" },
  ];
}

/**
 * @param {any} value
 * @param {Kind} kind
 * @returns {string} "—" when there is none
 */
export function formatValue(value, kind) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "—";
  const n = Number(value);
  if (kind === "seconds") return formatDuration(n);
  if (kind === "rate") return `${(n * 100).toFixed(1)}%`;
  if (kind === "score") return n.toFixed(2);
  if (kind === "hours") return formatDuration(n * 3600);
  return String(Math.round(n * 100) / 100);
}

/**
 * Today's figures of the Home and Monitor pages, from the summary's total.
 * @param {Row} total
 * @returns {Array<{label: string, value: string, hint?: string}>}
 */
export function figuresOf(total) {
  const t = total || {};
  const rate = t.missed_rate === null || t.missed_rate === undefined ? "" : ` (${formatValue(t.missed_rate, "rate")})`;
  return [
    { label: gettext("Opened"), value: formatValue(t.opened ?? 0, "count") },
    { label: gettext("Handled"), value: formatValue(t.handled ?? 0, "count") },
    { label: gettext("Missed"), value: `${formatValue(t.missed ?? 0, "count")}${rate}` },
    { label: gettext("Resolved"), value: formatValue(t.resolved ?? 0, "count") },
    { label: gettext("Wait p50"), value: formatValue(t.wait_p50_s, "seconds"), hint: gettext("Median time until an agent picked up") },
    { label: gettext("First response p50"), value: formatValue(t.first_response_p50_s, "seconds"), hint: gettext("Median time from the customer's first message to the first reply") },
    {
      label: gettext("CSAT"),
      value: t.csat_count ? `${formatValue(t.csat_avg, "score")} / 5` : "—",
      hint: interpolate(gettext("%(n)s ratings"), { n: t.csat_count ?? 0 }),
    },
  ];
}

// ------------------------------------------------------------------ rows and labels

/**
 * The hour (0-23) of an hour row's key: an ISO time in the business's time zone
 * ("2026-03-04T09:00:00+08:00"), "2026-03-04 09:00", or the hour itself.
 * @param {any} key
 * @returns {number | null}
 */
export function hourOf(key) {
  if (typeof key === "number") return key >= 0 && key < 24 ? key : null;
  const text = String(key ?? "");
  const m = /^\d{4}-\d{2}-\d{2}[T ](\d{2}):/.exec(text) || /^(\d{1,2})(?::00)?$/.exec(text);
  if (!m) return null;
  const hour = Number(m[1]);
  return hour < 24 ? hour : null;
}

/**
 * One figure per hour of the day (0 where no row), from hour rows of one day.
 * @param {Row[]} rows
 * @param {string} field
 * @returns {number[]}
 */
export function perHour(rows, field) {
  const out = Array(24).fill(0);
  for (const row of rows || []) {
    const hour = hourOf(row.key);
    if (hour !== null) out[hour] += Number(row[field] || 0);
  }
  return out;
}

/** @returns {string[]} "00:00" ... "23:00" */
export function hourLabels() {
  return Array.from({ length: 24 }, (_, hour) => `${String(hour).padStart(2, "0")}:00`);
}

/**
 * @param {string} isoDate
 * @param {string} [locale]
 * @returns {string} "Dec 3" in the locale (the date as it is: no time zone shift)
 */
export function shortDate(isoDate, locale) {
  if (!isDate(isoDate)) return isoDate;
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" }).format(new Date(`${isoDate}T12:00:00Z`));
}

/**
 * @param {string} isoDate
 * @param {string} [locale]
 * @returns {string} "Wednesday"
 */
export function weekdayName(isoDate, locale) {
  return new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" }).format(new Date(`${isoDate}T12:00:00Z`));
}

/**
 * How a row is named on a chart's axis and in the table's first column.
 * @param {Row} row
 * @param {string} groupBy
 * @param {{multiDay?: boolean, locale?: string}} [options] multiDay: hour rows of several days
 * @returns {string}
 */
export function rowLabel(row, groupBy, { multiDay = false, locale } = {}) {
  const key = row.key;
  if (groupBy === "day") return shortDate(String(key).slice(0, 10), locale);
  if (groupBy === "hour") {
    const hour = hourOf(key);
    const clock = hour === null ? String(key) : `${String(hour).padStart(2, "0")}:00`;
    const day = String(key).slice(0, 10);
    return multiDay && isDate(day) ? `${shortDate(day, locale)} ${clock}` : clock;
  }
  if (row.label) return String(row.label);
  if (key === null || key === undefined) {
    if (groupBy === "agent") return gettext("Unassigned");
    if (groupBy === "conversation_tag") return gettext("Untagged");
    return pgettext("no value", "None");
  }
  return String(key);
}

/**
 * @param {Row[]} rows
 * @param {string} field
 * @returns {Array<number | null>}
 */
function values(rows, field) {
  return rows.map((row) => (row[field] === null || row[field] === undefined ? null : Number(row[field])));
}

/**
 * @param {string} groupBy
 * @returns {"bar" | "line"} lines over time, bars across agents, channels and tags
 */
export function chartType(groupBy) {
  return TIME_GROUPS.has(groupBy) ? "line" : "bar";
}

/**
 * @param {{from: string, to: string}} range
 * @returns {boolean}
 */
export function spansDays(range) {
  return range.from !== range.to;
}

/** @returns {Array<[string, string, string]>} the reasons an enquiry is missed: [key, label, colour] */
export function missedReasons() {
  return [
    ["timeout", gettext("Nobody picked up in time"), COLORS.red],
    ["nobody_available", gettext("Nobody available"), COLORS.amber],
    ["out_of_hours", gettext("Out of hours"), COLORS.purple],
    ["all_rejected", gettext("All rejected"), COLORS.grey],
    ["note_left", gettext("Left a note"), COLORS.teal],
  ];
}

/**
 * The Analytics page's charts from the summary's rows.
 * @param {Row[]} rows
 * @param {string} groupBy
 * @param {{multiDay?: boolean, locale?: string}} [options]
 * @returns {{volume: ChartSpec, times: ChartSpec, csat: ChartSpec, missed: ChartSpec}}
 */
export function analyticsCharts(rows, groupBy, options = {}) {
  const labels = rows.map((row) => rowLabel(row, groupBy, options));
  const type = chartType(groupBy);
  const horizontal = type === "bar" && rows.length > 8;
  return {
    volume: {
      type,
      labels,
      kind: "count",
      horizontal,
      series: [
        { label: gettext("Opened"), data: values(rows, "opened"), color: COLORS.blue },
        { label: gettext("Handled"), data: values(rows, "handled"), color: COLORS.green },
        { label: gettext("Missed"), data: values(rows, "missed"), color: COLORS.red },
      ],
    },
    times: {
      type,
      labels,
      kind: "seconds",
      horizontal,
      series: [
        { label: gettext("Wait p50"), data: values(rows, "wait_p50_s"), color: COLORS.amber },
        { label: gettext("Wait p90"), data: values(rows, "wait_p90_s"), color: COLORS.lightAmber, dashed: true },
        { label: gettext("First response p50"), data: values(rows, "first_response_p50_s"), color: COLORS.blue },
        { label: gettext("First response p90"), data: values(rows, "first_response_p90_s"), color: COLORS.lightBlue, dashed: true },
      ],
    },
    csat: {
      type: "bar",
      labels,
      kind: "score",
      horizontal,
      series: [{ label: gettext("CSAT (average, 1-5)"), data: values(rows, "csat_avg"), color: COLORS.purple }],
    },
    missed: {
      type: "bar",
      labels,
      kind: "count",
      horizontal,
      stacked: true,
      series: missedReasons().map(([reason, label, color]) => ({
        label,
        data: rows.map((row) => Number((row.missed_by_reason || {})[reason] || 0)),
        color,
        stack: "missed",
      })),
    },
  };
}

/**
 * A table of some figures of the rows (first column: the group), with a total row.
 * @param {Row[]} rows
 * @param {string} groupBy
 * @param {Column[]} columns
 * @param {{total?: Row | null, multiDay?: boolean, locale?: string}} [options]
 * @returns {TableSpec}
 */
export function tableOf(rows, groupBy, columns, { total = null, multiDay = false, locale } = {}) {
  return {
    head: [groupLabel(groupBy), ...columns.map((c) => c.label)],
    body: rows.map((row) => [rowLabel(row, groupBy, { multiDay, locale }), ...columns.map((c) => formatValue(row[c.field], c.kind))]),
    foot: total ? [gettext("Total"), ...columns.map((c) => formatValue(total[c.field], c.kind))] : undefined,
  };
}

/**
 * The columns of a chart's own table: the figures it draws.
 * @param {string[]} fields
 * @returns {Column[]}
 */
export function columnsOf(fields) {
  const all = summaryColumns();
  return fields.map((field) => /** @type {Column} */ (all.find((c) => c.field === field)));
}

/**
 * A chart's table straight from its series (labels down, series across).
 * @param {ChartSpec} spec
 * @param {string} firstHead the first column's heading
 * @returns {TableSpec}
 */
export function tableOfChart(spec, firstHead) {
  return {
    head: [firstHead, ...spec.series.map((s) => s.label)],
    body: spec.labels.map((label, i) => [label, ...spec.series.map((s) => formatValue(s.data[i], spec.kind))]),
  };
}

/**
 * One sentence for a chart's aria-label: each series' highest point (and sum, for counts).
 * @param {string} title
 * @param {ChartSpec} spec
 * @returns {string}
 */
export function chartSummary(title, spec) {
  if (!spec.labels.length) return interpolate(gettext("%(title)s: no data."), { title });
  const parts = spec.series.map((s) => {
    let best = -1;
    s.data.forEach((v, i) => {
      if (v !== null && (best < 0 || v > /** @type {number} */ (s.data[best]))) best = i;
    });
    if (best < 0) return interpolate(gettext("%(series)s: none"), { series: s.label });
    const text = interpolate(gettext("%(series)s: highest %(value)s (%(at)s)"), { series: s.label, value: formatValue(s.data[best], spec.kind), at: spec.labels[best] });
    if (spec.kind !== "count") return text;
    const sum = s.data.reduce((a, v) => /** @type {number} */ (a) + (v || 0), 0);
    return `${text}, ${interpolate(gettext("%(n)s in all"), { n: sum })}`;
  });
  return `${title}. ${parts.join("; ")}.`;
}

/** Steps of a time axis, in seconds: round minutes and hours rather than 200 s. */
const TIME_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * The step of a time axis (seconds, or hours for "hours") that gives at most five ticks.
 * @param {ChartSpec} spec
 * @returns {number | undefined}
 */
export function timeStep(spec) {
  if (spec.kind !== "seconds" && spec.kind !== "hours") return undefined;
  const scale = spec.kind === "hours" ? 3600 : 1;
  let max = 0;
  if (spec.stacked) {
    spec.labels.forEach((_, i) => {
      max = Math.max(max, spec.series.reduce((sum, s) => sum + (s.data[i] || 0), 0));
    });
  } else {
    for (const s of spec.series) for (const v of s.data) max = Math.max(max, v || 0);
  }
  const seconds = max * scale;
  const step = TIME_STEPS.find((candidate) => seconds / candidate <= 5) || 86400 * Math.ceil(seconds / 86400 / 5);
  return step / scale;
}

// ------------------------------------------------------------------ Home

/**
 * Enquiries opened per hour today against the same weekday last week; today's line stops at
 * the current hour (the hours to come are not zeros).
 * @param {Row[]} todayRows hour rows of today
 * @param {Row[]} lastWeekRows hour rows of the same weekday last week
 * @param {number} hourNow 0-23 in the business's time zone
 * @param {string} lastWeekday "Tuesday"
 * @param {string} [field] opened, unless told
 * @returns {ChartSpec}
 */
export function todayVsLastWeek(todayRows, lastWeekRows, hourNow, lastWeekday, field = "opened") {
  const today = perHour(todayRows, field).map((v, hour) => (hour <= hourNow ? v : null));
  return {
    type: "bar",
    labels: hourLabels(),
    kind: "count",
    series: [
      { label: interpolate(gettext("Last %(weekday)s"), { weekday: lastWeekday }), data: perHour(lastWeekRows, field), color: COLORS.grey },
      { label: gettext("Today"), data: today, color: COLORS.blue },
    ],
  };
}

/**
 * Messages per hour today (of the conversations opened in that hour, README "Metrics"), by
 * customers and by staff, with last week's totals as a line.
 * @param {Row[]} todayRows
 * @param {Row[]} lastWeekRows
 * @param {number} hourNow
 * @param {string} lastWeekday
 * @returns {ChartSpec}
 */
export function messagesPerHour(todayRows, lastWeekRows, hourNow, lastWeekday) {
  const upToNow = (/** @type {number[]} */ data) => data.map((v, hour) => (hour <= hourNow ? v : null));
  const customer = perHour(todayRows, "messages_customer");
  const staff = perHour(todayRows, "messages_staff");
  const weekCustomer = perHour(lastWeekRows, "messages_customer");
  const weekStaff = perHour(lastWeekRows, "messages_staff");
  return {
    type: "bar",
    labels: hourLabels(),
    kind: "count",
    stacked: true,
    series: [
      { label: gettext("Customers today"), data: upToNow(customer), color: COLORS.teal, stack: "today" },
      { label: gettext("Staff today"), data: upToNow(staff), color: COLORS.blue, stack: "today" },
      {
        label: interpolate(gettext("All last %(weekday)s"), { weekday: lastWeekday }),
        data: weekCustomer.map((v, i) => v + weekStaff[i]),
        color: COLORS.grey,
        stack: "week",
      },
    ],
  };
}

/**
 * Agents' new conversations today: the enquiries opened today that each agent handled (their
 * owner), with how many were resolved and missed, most first; those nobody handled last, as
 * "Unassigned" (waiting, or missed).
 * @param {Row[]} agentRows group_by=agent rows
 * @returns {ChartSpec}
 */
export function agentsToday(agentRows) {
  const rows = [...(agentRows || [])].sort((a, b) => {
    if ((a.key === null) !== (b.key === null)) return a.key === null ? 1 : -1;
    return (b.opened || 0) - (a.opened || 0) || rowLabel(a, "agent").localeCompare(rowLabel(b, "agent"));
  });
  return {
    type: "bar",
    horizontal: true,
    labels: rows.map((row) => rowLabel(row, "agent")),
    kind: "count",
    series: [
      { label: gettext("Opened"), data: values(rows, "opened"), color: COLORS.blue },
      { label: gettext("Resolved"), data: values(rows, "resolved"), color: COLORS.teal },
      { label: gettext("Missed"), data: values(rows, "missed"), color: COLORS.red },
    ],
  };
}

// ------------------------------------------------------------------ Monitor (agents ranking)

/**
 * @param {Row} row a row of GET /api/v1/analytics/agents
 * @returns {string} the agent's name
 */
export function agentName(row) {
  const agent = row.agent && typeof row.agent === "object" ? row.agent : null;
  return String(row.label || row.name || row.display_name || (agent && (agent.display_name || agent.name)) || row.key || "?");
}

/** @returns {Array<[string, string]>} what the ranking may rank by (the API's sort), [value, label] */
export function rankingSorts() {
  return [
    ["handled", gettext("Handled")],
    ["resolved", gettext("Resolved")],
    ["csat_avg", gettext("CSAT")],
    ["first_response_p50_s", gettext("First response p50 (fastest first)")],
    ["handle_time_p50_s", gettext("Handle time p50 (fastest first)")],
    ["wait_p50_s", gettext("Wait p50 (shortest first)")],
    ["messages_staff", gettext("Messages sent")],
    ["active_s", gettext("Time active")],
    ["load_avg", gettext("Load (avg)")],
  ];
}

/** @returns {Column[]} the ranking's figures */
export function rankingColumns() {
  return [
    { field: "handled", label: gettext("Handled"), kind: "count" },
    { field: "resolved", label: gettext("Resolved"), kind: "count" },
    { field: "wait_p50_s", label: gettext("Wait p50"), kind: "seconds" },
    { field: "first_response_p50_s", label: gettext("First response p50"), kind: "seconds" },
    { field: "handle_time_p50_s", label: gettext("Handle time p50"), kind: "seconds" },
    { field: "csat_avg", label: gettext("CSAT"), kind: "score" },
    { field: "csat_count", label: gettext("Ratings"), kind: "count" },
    { field: "messages_staff", label: gettext("Messages sent"), kind: "count" },
    { field: "active_s", label: pgettext("availability", "Active"), kind: "seconds" },
    { field: "busy_s", label: pgettext("availability", "Busy"), kind: "seconds" },
    { field: "away_s", label: pgettext("availability", "Away"), kind: "seconds" },
    { field: "offline_s", label: pgettext("availability", "Offline"), kind: "seconds" },
    { field: "load_avg", label: gettext("Load (avg)"), kind: "score" },
    { field: "load_max", label: gettext("Load (max)"), kind: "count" },
  ];
}

/**
 * The ranking's rows, best first (the API's rank; ties by name).
 * @param {Row[]} rows
 * @returns {Row[]}
 */
export function rankingRows(rows) {
  return [...(rows || [])].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || agentName(a).localeCompare(agentName(b)));
}

/**
 * @param {Row[]} rows
 * @returns {TableSpec}
 */
export function rankingTable(rows) {
  const columns = rankingColumns();
  return {
    head: [gettext("Rank"), gettext("Agent"), ...columns.map((c) => c.label)],
    body: rankingRows(rows).map((row) => [row.rank === null || row.rank === undefined ? "—" : String(row.rank), agentName(row), ...columns.map((c) => formatValue(row[c.field], c.kind))]),
  };
}

/**
 * Handled and resolved per agent, in ranking order.
 * @param {Row[]} rows
 * @returns {ChartSpec}
 */
export function rankingChart(rows) {
  const ranked = rankingRows(rows);
  return {
    type: "bar",
    horizontal: true,
    labels: ranked.map(agentName),
    kind: "count",
    series: [
      { label: gettext("Handled"), data: values(ranked, "handled"), color: COLORS.green },
      { label: gettext("Resolved"), data: values(ranked, "resolved"), color: COLORS.teal },
    ],
  };
}

/**
 * Each agent's time in each availability state today, in hours, stacked.
 * @param {Row[]} rows
 * @returns {ChartSpec}
 */
export function availabilityChart(rows) {
  const ranked = rankingRows(rows);
  // To the second (not to 0.01 h): a few seconds active early in the day still show.
  const hours = (/** @type {string} */ field) => ranked.map((row) => Math.round(Number(row[field] || 0)) / 3600);
  return {
    type: "bar",
    horizontal: true,
    stacked: true,
    labels: ranked.map(agentName),
    kind: "hours",
    series: [
      { label: pgettext("availability", "Active"), data: hours("active_s"), color: COLORS.green, stack: "time" },
      { label: pgettext("availability", "Busy"), data: hours("busy_s"), color: COLORS.red, stack: "time" },
      { label: pgettext("availability", "Away"), data: hours("away_s"), color: COLORS.amber, stack: "time" },
    ],
  };
}
