// @ts-check
// Reports Analytics: any date range (presets or custom) cut by day, hour, agent, channel,
// channel kind, tag or conversation tag, with filters; charts of volume (opened, handled,
// missed), of wait and first response times (p50, p90) and of CSAT, the whole table and its
// CSV. Agents see only their own figures (the API answers so) and have no agent filter. The
// page's state lives in its URL (?range=7d&group_by=channel&tag=3), so it can be shared.
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { chartCard, dataTable } from "./charts.js";
import { clear, field, h, toast } from "./dom.js";
import { fillFigures } from "./reports_home.js";
import {
  analyticsCharts,
  columnsOf,
  dateIn,
  figuresOf,
  GROUPS,
  groupLabel,
  presetChoices,
  presetRange,
  spansDays,
  stateFromParams,
  stateToSearch,
  summaryColumns,
  summaryUrl,
  tableOf,
  tableOfChart,
} from "./reports_data.js";
import { app } from "./state.js";

/** @typedef {import("./reports_data.js").AnalyticsState} AnalyticsState */

/** @returns {Record<string, string>} the channel kinds' names */
function channelKinds() {
  return {
    widget: gettext("Web widget"),
    weblink: gettext("Web link"),
    messenger: "Messenger",
    whatsapp: "WhatsApp",
    line: "LINE",
    wechat: "WeChat",
    email: gettext("Email"),
  };
}

/**
 * @param {string} url
 * @returns {Promise<any[]>} the results, or [] when the list cannot be had
 */
async function listOf(url) {
  try {
    const data = await api("GET", url);
    return (data && (data.results || data)) || [];
  } catch {
    return [];
  }
}

/**
 * @param {string} name
 * @param {Array<[string, string]>} options [value, label]
 * @param {string | null} anyLabel the empty choice, if any
 * @returns {HTMLSelectElement}
 */
function select(name, options, anyLabel) {
  return /** @type {HTMLSelectElement} */ (
    h("select", { id: `analytics-${name}`, name }, anyLabel === null ? null : h("option", { value: "", text: anyLabel }), options.map(([value, label]) => h("option", { value, text: label })))
  );
}

/**
 * @param {HTMLElement} body
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
export async function render(body, params) {
  const isAdmin = !!app.me.is_admin;
  const zone = app.boot.business_time_zone || app.boot.time_zone;
  const today = () => dateIn(zone);
  let state = stateFromParams(params, { today: today(), isAdmin });

  const [channels, tags, staff, conversationTags] = await Promise.all([
    listOf("/api/v1/channels"),
    listOf("/api/v1/tags"),
    isAdmin ? listOf("/api/v1/staff") : Promise.resolve([]),
    listOf("/api/v1/conversation-tags"),
  ]);
  const kinds = [...new Set(channels.map((c) => String(c.kind)))].sort();
  const kindNames = channelKinds();

  const inputs = {
    preset: select("range", presetChoices(), null),
    from: /** @type {HTMLInputElement} */ (h("input", { id: "analytics-from", name: "from", type: "date", required: true })),
    to: /** @type {HTMLInputElement} */ (h("input", { id: "analytics-to", name: "to", type: "date", required: true })),
    group_by: select(
      "group_by",
      GROUPS.filter((g) => isAdmin || g !== "agent").map((g) => [g, groupLabel(g)]),
      null,
    ),
    agent: select("agent", staff.map((s) => [String(s.id), s.display_name || s.email]), gettext("all agents")),
    channel: select("channel", channels.map((c) => [String(c.id), c.name]), gettext("all channels")),
    channel_kind: select("channel_kind", kinds.map((k) => [k, kindNames[k] || k]), gettext("all kinds")),
    tag: select("tag", tags.map((t) => [String(t.id), t.name]), gettext("all tags")),
    conversation_tag: select("conversation_tag", conversationTags.map((t) => [String(t.id), t.path || t.name]), gettext("all conversation tags")),
  };
  const form = /** @type {HTMLFormElement} */ (
    h(
      "form",
      { class: "filters report-filters", "aria-label": gettext("Period, grouping and filters") },
      field(gettext("Period"), inputs.preset),
      field(gettext("From"), inputs.from),
      field(gettext("To"), inputs.to),
      field(gettext("Group by"), inputs.group_by),
      isAdmin ? field(gettext("Agent"), inputs.agent) : null,
      field(gettext("Channel"), inputs.channel),
      field(gettext("Channel kind"), inputs.channel_kind),
      field(gettext("Tag"), inputs.tag),
      conversationTags.length ? field(gettext("Conversation tag"), inputs.conversation_tag) : null,
      h("button", { type: "submit", class: "small-button", text: gettext("Apply") }),
    )
  );
  const figures = h("dl", { class: "counts report-figures", "aria-label": gettext("Totals of the period") });
  const status = h("p", { class: "small muted", role: "status" });
  const volume = chartCard({ title: gettext("Conversations"), note: gettext("Enquiries opened, and how many of them were handled and missed.") });
  const times = chartCard({ title: gettext("Wait and first response"), note: gettext("Median (p50) and 90th percentile (p90): wait until pick-up; from the customer's first message to the first reply.") });
  const csat = chartCard({ title: gettext("Customer satisfaction"), note: gettext("Average rating (1-5) of the enquiries opened.") });
  const missed = chartCard({ title: gettext("Missed, by reason"), note: gettext("Why the enquiries opened were missed (each missed enquiry counted once, under its reason).") });
  const csv = /** @type {HTMLAnchorElement} */ (h("a", { class: "small-button button-link", download: true, text: gettext("Download CSV") }));
  const tableBox = h("div", { class: "report-table-box" });
  clear(
    body,
    h("div", { class: "report-title" }, h("h1", { text: gettext("Analytics") }), isAdmin ? null : h("span", { class: "muted small", text: gettext("Your own figures") })),
    form,
    figures,
    status,
    h("div", { class: "report-grid" }, volume.el, times.el, csat.el, missed.el),
    h("section", { class: "report-table-section", "aria-labelledby": "analytics-table-title" }, h("div", { class: "report-chart-head" }, h("h2", { id: "analytics-table-title", text: gettext("All figures") }), csv), tableBox),
  );

  function show() {
    inputs.preset.value = state.preset;
    inputs.from.value = state.from;
    inputs.to.value = state.to;
    inputs.group_by.value = state.group_by;
    for (const name of /** @type {const} */ (["agent", "channel", "channel_kind", "tag", "conversation_tag"])) inputs[name].value = state[name];
    csv.href = summaryUrl(state, { format: "csv" });
  }

  /** @returns {AnalyticsState} the form's state */
  function read() {
    const q = new URLSearchParams();
    if (inputs.preset.value !== "custom") q.set("range", inputs.preset.value);
    else {
      q.set("from", inputs.from.value);
      q.set("to", inputs.to.value);
    }
    for (const name of ["group_by", "agent", "channel", "channel_kind", "tag", "conversation_tag"]) if (inputs[name].value) q.set(name, inputs[name].value);
    return stateFromParams(q, { today: today(), isAdmin });
  }

  let seq = 0;
  async function load() {
    seq += 1;
    const mine = seq;
    show();
    status.textContent = gettext("Loading…");
    let data;
    try {
      data = await api("GET", summaryUrl(state));
    } catch (err) {
      if (mine !== seq) return;
      status.textContent = "";
      toast(err.message, "error");
      return;
    }
    if (mine !== seq) return;
    const options = { multiDay: spansDays(state), locale: app.boot.locale };
    const rows = data.rows || [];
    fillFigures(figures, figuresOf(data.total));
    const charts = analyticsCharts(rows, state.group_by, options);
    const head = { ...options, total: null };
    await Promise.all([
      volume.update(charts.volume, tableOf(rows, state.group_by, columnsOf(["opened", "handled", "missed", "missed_rate"]), head)),
      times.update(charts.times, tableOf(rows, state.group_by, columnsOf(["wait_p50_s", "wait_p90_s", "first_response_p50_s", "first_response_p90_s"]), head)),
      csat.update(charts.csat, tableOf(rows, state.group_by, columnsOf(["csat_avg", "csat_count", "csat_share_4_5"]), head)),
      missed.update(charts.missed, tableOfChart(charts.missed, groupLabel(state.group_by))),
    ]);
    clear(tableBox, dataTable(tableOf(rows, state.group_by, summaryColumns(), { ...options, total: data.total }), interpolate(gettext("All figures, grouped by: %(group)s"), { group: groupLabel(state.group_by) }), { captionHidden: true }));
    status.textContent = interpolate(gettext("%(from)s to %(to)s, %(zone)s"), { from: state.from, to: state.to, zone: data.time_zone || zone });
  }

  function apply() {
    state = read();
    history.replaceState(history.state, "", `${location.pathname}${stateToSearch(state)}`);
    load();
  }
  inputs.preset.addEventListener("change", () => {
    if (inputs.preset.value !== "custom") {
      const range = presetRange(inputs.preset.value, today());
      inputs.from.value = range.from;
      inputs.to.value = range.to;
      apply();
    }
  });
  for (const input of [inputs.from, inputs.to]) {
    input.addEventListener("change", () => {
      inputs.preset.value = "custom";
      if (inputs.from.value && inputs.to.value && inputs.from.value <= inputs.to.value) apply();
    });
  }
  for (const name of ["group_by", "agent", "channel", "channel_kind", "tag", "conversation_tag"]) inputs[name].addEventListener("change", apply);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (inputs.from.value > inputs.to.value) {
      toast(gettext("The period must start before it ends."), "error");
      return;
    }
    inputs.preset.value = "custom";
    apply();
  });

  await load();
  return () => {
    seq += 1;
    [volume, times, csat, missed].forEach((c) => c.destroy());
  };
}
