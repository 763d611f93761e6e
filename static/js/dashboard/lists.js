// @ts-check
// Inbox (all conversations I may see, with the open ones offered to me), Assigned (mine in
// hand) and Missed (with notes and their follow-up), with filters and paging. Live: every
// enquiry event that can change a row or a count redraws the page from the server (the REST
// API is the source of truth; the socket only says when). A whole row opens the room (its
// visitor's name is the link, for the keyboard); offered rows have Pick up / Reject
// (panel.js's, the one way to act on an offer); missed rows say whether they are handled
// and to whom they are assigned.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { api } from "./api.js";
import { channelIcon, clear, clockTime, duration, field, h, toast } from "./dom.js";
import { customerHref } from "./customers_format.js";
import { noteFiles } from "./note_files.js";
import { offerButtons } from "./panel.js";
import { app, on } from "./state.js";

const TITLES = () => ({ inbox: gettext("Inbox"), assigned: gettext("Assigned to me"), missed: gettext("Missed enquiries") });
const STATUSES = ["", "open", "handling", "resolved", "closed", "missed"];
const CHANNELS = ["", "widget", "weblink", "messenger", "whatsapp", "line", "wechat", "email", "sms"];
const PAGE_SIZE = 20;
// Events after which a list may have changed (new, taken, missed, note left, followed up...).
export const LIST_EVENTS = [
  "enquiry.opened",
  "enquiry.taken",
  "enquiry.picked_up",
  "enquiry.rejected",
  "enquiry.missed",
  "enquiry.note_left",
  "enquiry.follow_up",
  "enquiry.transferred",
  "enquiry.resolved",
  "enquiry.reopened",
  "enquiry.closed",
  "enquiry.updated", // topic and conversation tags (the Topic column)
  "room.taken_over",
  "room.member_joined",
  "socket.open",
];
const REDRAW_DELAY_MS = 150; // a burst of events (one pick-up sends several) redraws once

/**
 * Where a row's room opens: as a member; monitoring (admins); or looking before picking
 * it up / to follow it up (the server lets offered and missed enquiries be looked at).
 * @param {any} e an enquiry of the list
 * @returns {string | null}
 */
export function roomHref(e) {
  if (!e.room) return null;
  if (app.rooms.has(e.room)) return `/app/rooms/${e.room}`;
  if (app.me.is_admin && !e.offered && e.status !== "missed") return `/app/rooms/${e.room}?monitor=1`;
  if (e.offered || e.status === "missed") return `/app/rooms/${e.room}`;
  return null;
}

/**
 * A missed enquiry's follow-up, in words.
 * @param {any} e
 * @returns {string}
 */
export function followUpText(e) {
  const f = e.follow_up;
  if (!f) return "";
  const parts = [f.handled ? (f.handled_by ? interpolate(gettext("Handled by %(name)s"), { name: f.handled_by.display_name }) : gettext("Handled")) : gettext("Unhandled")];
  if (f.assignee) parts.push(interpolate(gettext("assigned to %(name)s"), { name: f.assignee.display_name }));
  return parts.join(" · ");
}

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match match[1]: inbox | assigned | missed
 * @returns {Promise<() => void>}
 */
export async function render(main, match) {
  const section = match[1];
  const title = TITLES()[section];
  let page = 1;
  const status = /** @type {HTMLSelectElement} */ (
    h("select", { id: "filter-status" }, STATUSES.map((s) => h("option", { value: s, text: s ? gettext(s) : gettext("any status") })))
  );
  const channel = /** @type {HTMLSelectElement} */ (
    h("select", { id: "filter-channel" }, CHANNELS.map((c) => h("option", { value: c, text: c || gettext("any channel") })))
  );
  const handled = /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { id: "filter-handled" },
      h("option", { value: "", text: gettext("all") }),
      h("option", { value: "no", text: gettext("unhandled") }),
      h("option", { value: "yes", text: gettext("handled") }),
    )
  );
  if (section === "assigned") status.value = "handling";
  if (section === "missed") status.value = "missed";
  const filters = h(
    "form",
    { class: "filters", "aria-label": gettext("Filters") },
    section === "inbox" ? field(gettext("Status"), status) : null,
    field(gettext("Channel"), channel),
    section === "missed" ? field(gettext("Follow-up"), handled) : null,
  );
  const table = h("table", { class: "data-table enquiry-list", dataset: { section } });
  const pager = h("nav", { class: "pager", "aria-label": gettext("Pages") });
  const summary = h("p", { class: "small muted", role: "status" });
  clear(main, h("section", { class: "list-view" }, h("h1", { text: title }), filters, summary, table, pager));

  let loading = null; // the request in flight, so that a redraw asked meanwhile runs after it
  let again = false;
  let gone = false;
  let drawn = ""; // what the table shows: an answer that changed nothing leaves it untouched

  async function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = fetchAndDraw().finally(() => {
      loading = null;
      if (again && !gone) {
        again = false;
        load();
      }
    });
    return loading;
  }

  async function fetchAndDraw() {
    const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
    if (status.value) params.set("status", status.value);
    if (channel.value) params.set("channel", channel.value);
    if (section === "missed" && handled.value) params.set("handled", handled.value);
    // Filtered by the server, so counts and pages are right.
    if (section === "assigned") params.set("owner", "me");
    let data;
    try {
      data = await api("GET", `/api/v1/enquiries?${params}`);
    } catch (err) {
      if (!gone) toast(err.message, "error");
      return;
    }
    if (gone) return;
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    if (page > pages) {
      // The last row of the last page went (picked up, handled...): show the page before.
      page = pages;
      again = true;
      return;
    }
    const key = JSON.stringify([page, data]);
    if (key === drawn) return; // nothing changed: no row is replaced under the pointer
    drawn = key;
    draw(data);
  }

  /** @param {any} data */
  function draw(data) {
    const rows = data.results || [];
    const showRating = rows.some((e) => "rating" in e);
    const head =
      section === "missed"
        ? ["#", gettext("Channel"), gettext("Visitor"), gettext("First message"), gettext("Missed"), gettext("Reason"), gettext("Note"), gettext("Contact"), gettext("Follow-up")]
        : [
            "#",
            gettext("Channel"),
            gettext("Visitor"),
            gettext("Topic / first message"),
            gettext("Status"),
            gettext("Owner"),
            gettext("Started"),
            gettext("First response"),
            gettext("Duration"),
            gettext("Messages"),
            ...(showRating ? [gettext("Rating")] : []),
            "",
          ];
    clear(
      table,
      h("caption", { class: "visually-hidden", text: title }),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, rows.map(row)),
    );
    summary.textContent = interpolate(ngettext("%(count)s enquiry · page %(page)s of %(pages)s", "%(count)s enquiries · page %(page)s of %(pages)s", data.count), {
      count: data.count,
      page,
      pages: Math.max(1, Math.ceil(data.count / PAGE_SIZE)),
    });
    clear(
      pager,
      h("button", {
        type: "button",
        class: "small-button",
        disabled: !data.previous,
        text: gettext("← Previous"),
        onclick: () => {
          page -= 1;
          load();
        },
      }),
      h("button", {
        type: "button",
        class: "small-button",
        disabled: !data.next,
        text: gettext("Next →"),
        onclick: () => {
          page += 1;
          load();
        },
      }),
    );
  }

  /**
   * One row; the whole row opens the room (clicks on its buttons and links do their own).
   * @param {any} e
   */
  function row(e) {
    const name = e.visitor ? e.visitor.name : "";
    const href = roomHref(e);
    const named = href ? h("a", { href, "data-nav": true, class: "row-link", text: name || gettext("Visitor") }) : name;
    // Their customer profile, for whoever served them (customers.js; agents see only those).
    const served = app.me.is_admin || (e.owner && e.owner.id === app.me.id) || (e.room && app.rooms.has(e.room));
    const customer = e.visitor && e.visitor.customer && served ? h("a", { href: customerHref(e.visitor.customer), "data-nav": true, class: "customer-link small", text: gettext("Customer profile") }) : null;
    const visitor = customer ? [named, " ", customer] : named;
    let cells;
    if (section === "missed") {
      const f = e.follow_up || {};
      cells = [
        h("td", { text: e.id }),
        h("td", {}, channelIcon(e.via || e.channel_kind), ` ${e.channel_name || ""}`),
        h("td", {}, visitor),
        h("td", { class: "clip", text: e.first_message, title: e.first_message }),
        h("td", { text: clockTime(e.missed_at) }),
        h("td", { text: (e.missed_reason || "").replaceAll("_", " ") }),
        // The note is what staff follow up on: shown whole, wrapped, never clipped.
        h("td", { class: "note-text" }, e.note ? e.note.text : "—", noteFiles(e.note)),
        h("td", { text: e.note ? e.note.contact : [e.visitor.email, e.visitor.phone].filter(Boolean).join(" · ") }),
        h("td", {}, h("span", { class: `follow-up ${f.handled ? "handled" : "unhandled"}`, text: followUpText(e) })),
      ];
    } else {
      // The server's figures (enquiries/selectors.py): both from the customer's first message.
      const firstResponse = e.first_response_seconds ?? null;
      cells = [
        h("td", { text: e.id }),
        h("td", {}, channelIcon(e.via || e.channel_kind), ` ${e.channel_name || ""}`),
        h("td", {}, visitor),
        h("td", { class: "clip", text: e.topic || e.first_message, title: e.topic || e.first_message }),
        h("td", {}, h("span", { class: `status status-${e.status}`, text: gettext(e.status) })),
        h("td", { text: e.owner ? e.owner.display_name : "—" }),
        h("td", { text: clockTime(e.created_at) }),
        h("td", { text: firstResponse === null ? "—" : duration(firstResponse) }),
        h("td", { text: duration(e.duration_seconds) }),
        h("td", { text: e.message_count ?? "—" }),
      ];
      if (showRatingOf(e)) cells.push(h("td", { text: e.rating ? `${"★".repeat(e.rating.score)} ${e.rating.comment || ""}` : "—" }));
      const transfer = Boolean(e.transfer && e.transfer.to_staff === app.me.id);
      cells.push(h("td", { class: "row-actions" }, e.offered ? offerButtons(e, { transfer, onDone: load }) : null));
    }
    const tr = h("tr", { dataset: { enquiry: e.id, status: e.status }, class: href ? "clickable" : "" }, cells);
    if (href) {
      tr.addEventListener("click", (event) => {
        const target = /** @type {HTMLElement} */ (event.target);
        if (target.closest("a, button, input, select, textarea")) return;
        if (window.getSelection && String(window.getSelection()).length) return; // selecting text
        app.navigate(href);
      });
    }
    return tr;
  }

  /** @param {any} e */
  function showRatingOf(e) {
    return "rating" in e;
  }

  for (const select of [status, channel, handled]) {
    select.addEventListener("change", () => {
      page = 1;
      load();
    });
  }
  let timer = 0;
  const redraw = () => {
    clearTimeout(timer);
    timer = window.setTimeout(load, REDRAW_DELAY_MS);
  };
  const offs = LIST_EVENTS.map((type) => on(type, redraw));
  await load();
  return () => {
    gone = true;
    clearTimeout(timer);
    offs.forEach((off) => off());
  };
}
