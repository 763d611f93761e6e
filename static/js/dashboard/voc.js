// @ts-check
// Voice of the customer (/app/reports/voc): the sentiment index of customers and of agents
// per day (a line chart and the same figures as a table), the most frequent keywords and
// phrases of customers' messages, and a keyword's messages and conversations with links to
// History. Admins see every enquiry; agents those they served (GET /api/v1/analytics/voc).
import { svg } from "../h.js";
import { formatDate, formatDateTime, formatShortDate } from "../datetime.js";
import { gettext, interpolate, ngettext } from "../i18n.js";
import { api } from "./api.js";
import { clear, field, h, toast } from "./dom.js";
import { reportsNav } from "./reports.js";
import { FILTER_KEYS, indexTone, polyline, sentimentRows, sentimentSummary, seriesPoints, vocQuery } from "./voc_chart.js";

const CHART_WIDTH = 560;
const CHART_HEIGHT = 140;
const PAGE = 20;

/** @param {string} day */
function dayLabel(day) {
  // Noon UTC of that calendar day: the same day in every time zone within ±12 h.
  return formatShortDate(`${day}T12:00:00Z`);
}

/** @param {number | null | undefined} index */
function indexText(index) {
  return index === null || index === undefined ? "–" : (index > 0 ? "+" : "") + index.toFixed(1);
}

/** @param {string} label */
function labelText(label) {
  return { positive: gettext("positive"), negative: gettext("negative"), neutral: gettext("neutral") }[label] || label;
}

/** @param {string} kind */
function authorText(kind) {
  return kind === "staff" ? gettext("Agent") : gettext("Customer");
}

/**
 * @param {string} url
 * @returns {Promise<any[]>}
 */
async function options(url) {
  try {
    const got = await api("GET", url);
    return Array.isArray(got) ? got : got.results || [];
  } catch {
    return [];
  }
}

/**
 * The chart: y from -100 to 100 with its zero line, one polyline and dots per series.
 * @param {import("./voc_chart.js").VocSentiment} sentiment
 */
function chart(sentiment) {
  const rows = sentimentRows(sentiment);
  const summary = sentimentSummary(sentiment);
  if (!rows.length) return h("p", { class: "muted", text: gettext("No scored messages in this range yet.") });
  const series = /** @type {const} */ ([
    ["customers", "voc-customers", gettext("Customers")],
    ["agents", "voc-agents", gettext("Agents")],
  ]);
  const drawn = series.map(([key, cls, who]) => {
    const points = seriesPoints(rows, key, CHART_WIDTH, CHART_HEIGHT);
    return svg(
      "g",
      { class: cls },
      points.length > 1 ? svg("polyline", { points: polyline(points), fill: "none" }) : null,
      points.map((p) =>
        svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: 3 }, svg("title", { text: interpolate(gettext("%(who)s, %(day)s: index %(index)s (%(count)s messages)"), { who, day: dayLabel(p.day), index: indexText(p.index), count: String(p.count) }) })),
      ),
    );
  });
  const slot = CHART_WIDTH / rows.length;
  const step = Math.max(1, Math.ceil(rows.length / 8));
  const ticks = rows.map((r, i) => (i % step === 0 ? svg("text", { x: (i * slot + slot / 2).toFixed(1), y: CHART_HEIGHT + 14, "text-anchor": "middle", text: dayLabel(r.day) }) : null));
  const yLabels = [100, 0, -100].map((v) => svg("text", { x: -4, y: ((100 - v) / 200) * CHART_HEIGHT + 4, "text-anchor": "end", text: String(v) }));
  return h(
    "figure",
    { class: "voc-chart-box" },
    h(
      "figcaption",
      {},
      h("strong", { text: gettext("Sentiment index per day") }),
      " ",
      h("span", { class: "legend legend-customers", text: gettext("Customers") }),
      " ",
      h("span", { class: "legend legend-agents", text: gettext("Agents") }),
    ),
    svg(
      "svg",
      { class: "voc-chart", viewBox: `-30 -6 ${CHART_WIDTH + 36} ${CHART_HEIGHT + 24}`, role: "img", "aria-label": summary },
      svg("line", { class: "voc-zero", x1: 0, x2: CHART_WIDTH, y1: CHART_HEIGHT / 2, y2: CHART_HEIGHT / 2 }),
      svg("line", { class: "voc-axis", x1: 0, x2: 0, y1: 0, y2: CHART_HEIGHT }),
      yLabels,
      drawn,
      ticks,
    ),
    h("p", { class: "small muted", text: summary }),
    h(
      "details",
      { class: "voc-table" },
      h("summary", { text: gettext("Show as a table") }),
      h(
        "table",
        { class: "table" },
        h("caption", { class: "small muted", text: gettext("The index is the messages' mean sentiment × 100: from -100 (negative) through 0 (neutral) to 100 (positive).") }),
        h(
          "thead",
          {},
          h("tr", {}, [gettext("Day"), gettext("Customers' index"), gettext("Customers' messages"), gettext("Agents' index"), gettext("Agents' messages")].map((t) => h("th", { scope: "col", text: t }))),
        ),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              {},
              h("th", { scope: "row", text: dayLabel(r.day) }),
              h("td", { text: indexText(r.customers && r.customers.index) }),
              h("td", { text: r.customers ? String(r.customers.count) : "0" }),
              h("td", { text: indexText(r.agents && r.agents.index) }),
              h("td", { text: r.agents ? String(r.agents.count) : "0" }),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * A table of keywords or phrases, each a button that opens its messages.
 * @param {string} title
 * @param {any[]} items
 * @param {(keyword: string) => void} open
 */
function keywordTable(title, items, open) {
  const id = `voc-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return h(
    "section",
    { class: "voc-words", "aria-labelledby": id },
    h("h2", { id, text: title }),
    items.length
      ? h(
          "table",
          { class: "table" },
          h("thead", {}, h("tr", {}, [gettext("Keyword"), gettext("Messages"), gettext("Language"), gettext("Sentiment")].map((t) => h("th", { scope: "col", text: t })))),
          h(
            "tbody",
            {},
            items.map((k) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, h("button", { type: "button", class: "link voc-keyword", text: k.keyword, onclick: () => open(k.keyword) })),
                h("td", { text: String(k.count) }),
                h("td", { text: k.language }),
                h("td", { class: `voc-tone voc-${indexTone(k.sentiment)}`, text: indexText(k.sentiment) }),
              ),
            ),
          ),
        )
      : h("p", { class: "muted", text: gettext("None in this range.") }),
  );
}

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} _match
 * @param {URLSearchParams} params
 */
export async function render(main, _match, params) {
  const [channels, tags] = await Promise.all([options("/api/v1/channels"), options("/api/v1/tags")]);
  /** @type {Record<string, string>} */
  const values = {};
  for (const key of FILTER_KEYS) values[key] = params.get(key) || "";
  const from = h("input", { type: "date", name: "from", value: values.from });
  const to = h("input", { type: "date", name: "to", value: values.to });
  const channel = h("select", { name: "channel" }, h("option", { value: "", text: gettext("any channel") }), channels.map((c) => h("option", { value: String(c.id), text: c.name, selected: String(c.id) === values.channel })));
  const tag = h("select", { name: "tag" }, h("option", { value: "", text: gettext("any tag") }), tags.map((t) => h("option", { value: String(t.id), text: t.name, selected: String(t.id) === values.tag })));
  const form = h(
    "form",
    { class: "filters", "aria-label": gettext("Filters") },
    field(gettext("From"), from),
    field(gettext("To"), to),
    field(gettext("Channel"), channel),
    field(gettext("Tag"), tag),
    h("button", { type: "submit", class: "primary", text: gettext("Show") }),
  );
  const status = h("p", { class: "small muted", role: "status" });
  const overview = h("div", { class: "voc-overview" });
  const drill = h("section", { class: "voc-drill", "aria-live": "polite" });
  clear(
    main,
    h(
      "section",
      { class: "voc" },
      reportsNav("voc"),
      h("h1", { text: gettext("Voice of the customer") }),
      h("p", { class: "small muted", text: gettext("Sentiment and frequent words of the messages of customers and agents, scored in the background as they arrive.") }),
      form,
      status,
      overview,
      drill,
    ),
  );

  const filters = () => ({ from: /** @type {HTMLInputElement} */ (from).value, to: /** @type {HTMLInputElement} */ (to).value, channel: /** @type {HTMLSelectElement} */ (channel).value, tag: /** @type {HTMLSelectElement} */ (tag).value });

  /**
   * @param {string} keyword
   * @param {number} page
   */
  async function openKeyword(keyword, page = 1) {
    const url = `/api/v1/analytics/voc/keywords/${encodeURIComponent(keyword)}${vocQuery(filters(), { page, limit: PAGE })}`;
    let data;
    try {
      data = await api("GET", url);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    const heading = h("h2", { id: "voc-drill-title", tabindex: "-1", text: interpolate(gettext("Messages with “%(keyword)s”"), { keyword }) });
    const messages = h(
      "ul",
      { class: "voc-messages", "aria-labelledby": "voc-drill-title" },
      data.messages.map((m) =>
        h(
          "li",
          { class: "voc-message" },
          h("span", { class: `voc-tone voc-${m.sentiment.label}`, text: labelText(m.sentiment.label) }),
          " ",
          h("span", { class: "small muted", text: `${authorText(m.author_kind)} · ${formatDateTime(m.created_at)}` }),
          h("p", { class: "voc-text", text: m.text }),
          h("a", { href: `/app/history/${m.enquiry}`, "data-nav": "", text: interpolate(gettext("Conversation #%(id)s in History"), { id: String(m.enquiry) }) }),
        ),
      ),
    );
    const conversations = h(
      "section",
      { class: "voc-conversations" },
      h("h3", { text: gettext("Conversations") }),
      h(
        "ul",
        {},
        data.conversations.map((c) =>
          h(
            "li",
            {},
            h("a", { href: `/app/history/${c.enquiry}`, "data-nav": "", text: `#${c.enquiry}` }),
            " ",
            h("span", { class: "small muted", text: interpolate(ngettext("%(count)s message, index %(index)s, last %(when)s", "%(count)s messages, index %(index)s, last %(when)s", c.count), { count: String(c.count), index: indexText(c.sentiment), when: formatDateTime(c.last_at) }) }),
          ),
        ),
      ),
    );
    const pager = h(
      "div",
      { class: "voc-pager" },
      h("span", { class: "small muted", text: interpolate(ngettext("%(count)s message · page %(page)s", "%(count)s messages · page %(page)s", data.count), { count: String(data.count), page: String(data.page) }) }),
      data.page > 1 ? h("button", { type: "button", text: gettext("Newer"), onclick: () => openKeyword(keyword, data.page - 1) }) : null,
      data.next_page ? h("button", { type: "button", text: gettext("Older"), onclick: () => openKeyword(keyword, data.next_page) }) : null,
      h("button", { type: "button", text: gettext("Close"), onclick: () => clear(drill) }),
    );
    clear(drill, heading, h("div", { class: "voc-drill-body" }, h("div", {}, messages, pager), conversations));
    heading.focus();
  }

  async function load() {
    status.textContent = gettext("Loading…");
    let data;
    try {
      data = await api("GET", `/api/v1/analytics/voc${vocQuery(filters(), { limit: 30 })}`);
    } catch (err) {
      status.textContent = "";
      clear(overview, h("p", { class: "form-error", role: "alert", text: err.message }));
      return;
    }
    // "to" is the end of the range, excluded: the last day shown is the one before it.
    const last = new Date(new Date(data.to).getTime() - 1000);
    status.textContent = interpolate(gettext("From %(from)s to %(to)s"), { from: formatDate(data.from), to: formatDate(last) });
    clear(
      overview,
      chart(data.sentiment),
      h("div", { class: "voc-lists" }, keywordTable(gettext("Top keywords"), data.keywords, openKeyword), keywordTable(gettext("Top phrases"), data.phrases, openKeyword)),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = vocQuery(filters());
    history.replaceState({}, "", `/app/reports/voc${query}`);
    clear(drill);
    load();
  });
  await load();
}
