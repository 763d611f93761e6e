// @ts-check
// History: finished conversations the staff member may see (admins: all; agents: those
// they owned or were ever a member of), with filters (dates, channel, tag, conversation
// tag, owner for admins, rating, customer), a table that grows with "Load more" (keyset
// pages from GET /api/v1/history), and one conversation's read-only transcript (GET
// /api/v1/history/{id}) with its files and the text/PDF downloads.
import { formatDateTime } from "../datetime.js";
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { channelIcon, clear, duration, field, fileSize, h, toast } from "./dom.js";
import { filtersFromParams, historyQuery, stars } from "./history_query.js";
import { app } from "./state.js";
import { transcriptDownloads } from "./transcript_links.js";

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

/**
 * The page size: ?limit= of the page's URL (1-200), else PAGE_SIZE.
 * @param {URLSearchParams} params
 * @returns {number}
 */
function pageSize(params) {
  const n = Number(params.get("limit"));
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE ? n : PAGE_SIZE;
}

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match match[1]: an enquiry id (the transcript) or undefined (the list)
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
export async function render(main, match, params) {
  if (match[1]) return renderTranscript(main, Number(match[1]));
  return renderList(main, params);
}

/**
 * @param {string} id
 * @param {Array<[string, string]>} options [value, label]
 * @param {string} anyLabel
 * @returns {HTMLSelectElement}
 */
function select(id, options, anyLabel) {
  return /** @type {HTMLSelectElement} */ (
    h("select", { id, name: id.replace(/^history-/, "") }, h("option", { value: "", text: anyLabel }), options.map(([value, label]) => h("option", { value, text: label })))
  );
}

/**
 * @param {string} url
 * @returns {Promise<any[]>} the results, or [] when the list cannot be had
 */
async function listOf(url) {
  try {
    const data = await api("GET", url);
    return (data && data.results) || [];
  } catch {
    return [];
  }
}

/**
 * @param {HTMLElement} main
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
async function renderList(main, params) {
  const isAdmin = app.me.is_admin;
  const limit = pageSize(params);
  const [channels, tags, staff, conversationTags] = await Promise.all([
    listOf("/api/v1/channels"),
    listOf("/api/v1/tags"),
    isAdmin ? listOf("/api/v1/staff") : Promise.resolve([]),
    listOf("/api/v1/conversation-tags"),
  ]);
  const inputs = {
    from: /** @type {HTMLInputElement} */ (h("input", { id: "history-from", name: "from", type: "date" })),
    to: /** @type {HTMLInputElement} */ (h("input", { id: "history-to", name: "to", type: "date" })),
    channel: select("history-channel", channels.map((c) => [String(c.id), c.name]), gettext("any channel")),
    tag: select("history-tag", tags.map((t) => [String(t.id), t.name]), gettext("any tag")),
    conversation_tag: select(
      "history-conversation_tag",
      conversationTags.map((t) => [String(t.id), t.path || t.name]),
      gettext("any conversation tag"),
    ),
    owner: select("history-owner", staff.map((s) => [String(s.id), s.display_name]), gettext("anyone")),
    rating: select("history-rating", [5, 4, 3, 2, 1].map((n) => [String(n), stars({ score: n })]), gettext("any rating")),
    customer: /** @type {HTMLInputElement} */ (h("input", { id: "history-customer", name: "customer", type: "number", min: "1", inputmode: "numeric", placeholder: gettext("customer id") })),
  };
  const initial = filtersFromParams(params);
  for (const [name, value] of Object.entries(initial)) inputs[name].value = value;

  const form = /** @type {HTMLFormElement} */ (
    h(
      "form",
      { class: "filters history-filters", "aria-label": gettext("Filters") },
      field(gettext("From"), inputs.from),
      field(gettext("To"), inputs.to),
      field(gettext("Channel"), inputs.channel),
      field(gettext("Tag"), inputs.tag),
      conversationTags.length ? field(gettext("Conversation tag"), inputs.conversation_tag) : null,
      isAdmin ? field(gettext("Owner"), inputs.owner) : null,
      field(gettext("Rating"), inputs.rating),
      field(gettext("Customer"), inputs.customer),
      h("button", { type: "submit", class: "primary small-button", text: gettext("Apply") }),
      h("button", { type: "reset", class: "small-button", text: gettext("Clear") }),
    )
  );
  const tbody = h("tbody", {});
  const table = h(
    "table",
    { class: "data-table history-list" },
    h("caption", { class: "visually-hidden", text: gettext("History") }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["#", gettext("Channel"), gettext("Customer"), gettext("Topic / first message"), gettext("Conversation tags"), gettext("Owner"), gettext("Started"), gettext("Duration"), gettext("Messages"), gettext("Rating"), gettext("Status")].map((t) =>
          h("th", { scope: "col", text: t }),
        ),
      ),
    ),
    tbody,
  );
  const summary = h("p", { class: "small muted", role: "status" });
  const more = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "small-button", "data-action": "load-more", text: gettext("Load more"), hidden: true }));
  clear(main, h("section", { class: "list-view history-view" }, h("h1", { text: gettext("History") }), form, summary, table, h("div", { class: "pager" }, more)));

  let gone = false;
  let cursor = /** @type {string | null} */ (null);
  let shown = 0;
  let seq = 0;

  function values() {
    /** @type {Record<string, string>} */
    const out = {};
    for (const [name, input] of Object.entries(inputs)) out[name] = input.value;
    return out;
  }

  /** @param {boolean} fresh a new search (else the page after the rows shown) */
  async function load(fresh) {
    seq += 1;
    const mine = seq;
    if (fresh) cursor = null;
    more.disabled = true;
    let data;
    try {
      data = await api("GET", `/api/v1/history?${historyQuery(values(), { cursor, limit })}`);
    } catch (err) {
      if (!gone && mine === seq) {
        toast(err.message, "error");
        more.disabled = false;
      }
      return;
    }
    if (gone || mine !== seq) return;
    if (fresh) {
      clear(tbody);
      shown = 0;
    }
    tbody.append(...data.results.map(row));
    shown += data.results.length;
    cursor = data.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    summary.textContent = shown
      ? interpolate(gettext("%(count)s conversations shown"), { count: shown }) + (cursor ? "" : ` · ${gettext("that is all")}`)
      : gettext("No conversation matches these filters.");
  }

  /** @param {any} e a row of History */
  function row(e) {
    const href = `/app/history/${e.id}`;
    const who = e.customer ? e.customer.name : e.visitor.name;
    return h(
      "tr",
      { dataset: { enquiry: String(e.id) } },
      h("td", {}, h("a", { href, "data-nav": "", text: `#${e.id}` })),
      h("td", {}, channelIcon(e.via), " ", e.channel.name),
      h("td", {}, h("a", { href, "data-nav": "", text: who })),
      h("td", { class: "clip", title: e.topic || e.first_message, text: e.topic || e.first_message }),
      h("td", { text: (e.tags || []).map((t) => t.path).join(", ") }),
      h("td", { text: e.owner ? e.owner.name : "—" }),
      h("td", { class: "nowrap", text: formatDateTime(e.created_at) }),
      h("td", { text: duration(e.duration_seconds) }),
      h("td", { text: e.message_count == null ? "" : String(e.message_count) }),
      h("td", { "aria-label": e.rating ? interpolate(gettext("%(score)s of 5"), { score: e.rating.score }) : "", text: stars(e.rating) }),
      h("td", { text: gettext(e.status) }),
    );
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load(true);
  });
  form.addEventListener("reset", () => setTimeout(() => load(true), 0));
  more.addEventListener("click", () => load(false));
  await load(true);
  return () => {
    gone = true;
  };
}

/**
 * @param {any} m a transcript message
 * @returns {HTMLElement}
 */
function messageItem(m) {
  const system = m.kind === "system";
  const file = m.data && m.data.file;
  const body = [];
  if (m.recalled_at) body.push(h("em", { class: "muted", text: gettext("(message recalled)") }));
  else {
    if (file) {
      body.push(
        h(
          "p",
          { class: "transcript-file" },
          h("a", { href: file.url, download: file.name, class: "file-doc", text: interpolate(gettext("File: %(name)s"), { name: file.name }) }),
          h("small", { class: "muted", text: ` ${fileSize(file.size)}` }),
        ),
      );
    }
    if (m.text) body.push(h("p", { class: "transcript-text", text: m.text }));
    if (m.edited_at) body.push(h("small", { class: "muted", text: gettext("(edited)") }));
  }
  return h(
    "li",
    { class: `transcript-message${system ? " system" : ""}${m.staff_only ? " staff-only" : ""}`, dataset: { message: String(m.id) } },
    h(
      "div",
      { class: "transcript-meta small muted" },
      h("strong", { text: system ? gettext("System") : m.author.name }),
      " · ",
      h("time", { datetime: m.created_at, text: formatDateTime(m.created_at) }),
      m.staff_only ? ` · ${gettext("staff only")}` : "",
    ),
    ...body,
  );
}

/**
 * One conversation's read-only transcript (the answer of GET /api/v1/history/{id}): its
 * facts, downloads and messages. Also shown by the Review page (review.js).
 * @param {any} data
 * @param {{back?: {href: string, label: string} | null, heading?: "h1" | "h2"}} [options]
 *   back: the link above the heading (default: to History; null: none); heading: h1 or h2
 * @returns {HTMLElement}
 */
export function transcriptView(data, { back = { href: "/app/history", label: gettext("← History") }, heading = "h1" } = {}) {
  const e = data.enquiry;
  const who = e.customer ? e.customer.name : e.visitor.name;
  /** @type {Array<[string, string]>} */
  const facts = [
    [gettext("Channel"), `${e.channel.name} (${e.via})`],
    [gettext("Customer"), who],
    [gettext("Owner"), e.owner ? e.owner.name : "—"],
    [gettext("Status"), gettext(e.status)],
    [gettext("Started"), formatDateTime(e.created_at)],
    [gettext("Ended"), e.ended_at ? formatDateTime(e.ended_at) : "—"],
    [gettext("Duration"), duration(e.duration_seconds)],
  ];
  if (e.topic) facts.push([gettext("Topic"), e.topic]);
  if (e.tags.length) facts.push([gettext("Conversation tags"), e.tags.map((t) => t.path).join(", ")]);
  if (e.rating) facts.push([gettext("Rating"), `${stars(e.rating)} ${e.rating.comment || ""}`.trim()]);
  return h(
    "section",
    { class: "transcript-view", "aria-label": gettext("Transcript") },
    back ? h("p", {}, h("a", { href: back.href, "data-nav": "", text: back.label })) : null,
    h(heading, { text: interpolate(gettext("Conversation #%(id)s with %(name)s"), { id: e.id, name: who }) }),
    h("dl", { class: "transcript-facts" }, facts.map(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })])),
    h("p", { class: "transcript-actions" }, transcriptDownloads(e.id)),
    h("ol", { class: "transcript-messages" }, data.messages.map(messageItem)),
  );
}

/**
 * @param {HTMLElement} main
 * @param {number} enquiryId
 * @returns {Promise<() => void>}
 */
async function renderTranscript(main, enquiryId) {
  const data = await api("GET", `/api/v1/history/${enquiryId}`);
  clear(main, transcriptView(data));
  return () => {};
}
