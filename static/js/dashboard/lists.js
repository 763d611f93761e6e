// Inbox (all conversations I may see), Assigned (mine in hand) and Missed (with notes),
// with status and channel filters and paging.
import { api } from "./api.js";
import { channelIcon, clear, clockTime, duration, field, h, toast } from "./dom.js";
import { app } from "./state.js";

const TITLES = { inbox: "Inbox", assigned: "Assigned to me", missed: "Missed enquiries" };
const STATUSES = ["", "open", "handling", "resolved", "closed", "missed"];
const CHANNELS = ["", "widget", "weblink", "messenger", "whatsapp", "line", "wechat", "email"];
const PAGE_SIZE = 20;

export async function render(main, match) {
  const section = match[1];
  let page = 1;
  const status = h("select", { id: "filter-status" }, STATUSES.map((s) => h("option", { value: s, text: s || "any status" })));
  const channel = h("select", { id: "filter-channel" }, CHANNELS.map((c) => h("option", { value: c, text: c || "any channel" })));
  if (section === "assigned") status.value = "handling";
  if (section === "missed") status.value = "missed";
  const filters = h("form", { class: "filters", "aria-label": "Filters" }, section === "inbox" ? field("Status", status) : null, field("Channel", channel));
  const table = h("table", { class: "data-table" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const summary = h("p", { class: "small muted", role: "status" });
  clear(main, h("section", { class: "list-view" }, h("h1", { text: TITLES[section] }), filters, summary, table, pager));

  async function load() {
    const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
    if (status.value) params.set("status", status.value);
    if (channel.value) params.set("channel", channel.value);
    // Filtered by the server, so counts and pages are right.
    if (section === "assigned") params.set("owner", "me");
    let data;
    try {
      data = await api("GET", `/api/v1/enquiries?${params}`);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    const rows = data.results || [];
    const showRating = rows.some((e) => "rating" in e);
    const head =
      section === "missed"
        ? ["#", "Channel", "Visitor", "First message", "Missed", "Reason", "Note", "Contact"]
        : ["#", "Channel", "Visitor", "Topic / first message", "Status", "Owner", "Started", "First response", "Duration", "Messages", ...(showRating ? ["Rating"] : []), ""];
    clear(
      table,
      h("caption", { class: "visually-hidden", text: TITLES[section] }),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))),
      h(
        "tbody",
        {},
        rows.map((e) => {
          const visitor = e.visitor ? e.visitor.name : "";
          if (section === "missed") {
            return h(
              "tr",
              {},
              h("td", { text: e.id }),
              h("td", {}, channelIcon(e.via || e.channel_kind), ` ${e.channel_name || ""}`),
              h("td", { text: visitor }),
              h("td", { class: "clip", text: e.first_message, title: e.first_message }),
              h("td", { text: clockTime(e.missed_at) }),
              h("td", { text: (e.missed_reason || "").replaceAll("_", " ") }),
              // The note is what staff follow up on: shown whole, wrapped, never clipped.
              h("td", { class: "note-text", text: e.note ? e.note.text : "—" }),
              h("td", { text: e.note ? e.note.contact : [e.visitor.email, e.visitor.phone].filter(Boolean).join(" · ") }),
            );
          }
          // The server's figures (enquiries/selectors.py): both from the customer's first message.
          const firstResponse = e.first_response_seconds ?? null;
          const cells = [
            h("td", { text: e.id }),
            h("td", {}, channelIcon(e.via || e.channel_kind), ` ${e.channel_name || ""}`),
            h("td", { text: visitor }),
            h("td", { class: "clip", text: e.topic || e.first_message, title: e.topic || e.first_message }),
            h("td", {}, h("span", { class: `status status-${e.status}`, text: e.status })),
            h("td", { text: e.owner ? e.owner.display_name : "—" }),
            h("td", { text: clockTime(e.created_at) }),
            h("td", { text: firstResponse === null ? "—" : duration(firstResponse) }),
            h("td", { text: duration(e.duration_seconds) }),
            h("td", { text: e.message_count ?? "—" }),
          ];
          if (showRating) cells.push(h("td", { text: e.rating ? `${"★".repeat(e.rating.score)} ${e.rating.comment || ""}` : "—" }));
          const member = e.room && (app.rooms.has(e.room) || app.me.is_admin);
          cells.push(h("td", {}, member ? h("a", { href: `/app/rooms/${e.room}${app.rooms.has(e.room) ? "" : "?monitor=1"}`, "data-nav": true, text: "Open" }) : ""));
          return h("tr", {}, cells);
        }),
      ),
    );
    summary.textContent = `${data.count} ${data.count === 1 ? "enquiry" : "enquiries"} · page ${page} of ${Math.max(1, Math.ceil(data.count / PAGE_SIZE))}`;
    clear(
      pager,
      h("button", { type: "button", class: "small-button", disabled: !data.previous, text: "← Previous", onclick: () => { page -= 1; load(); } }),
      h("button", { type: "button", class: "small-button", disabled: !data.next, text: "Next →", onclick: () => { page += 1; load(); } }),
    );
  }
  status.addEventListener("change", () => {
    page = 1;
    load();
  });
  channel.addEventListener("change", () => {
    page = 1;
    load();
  });
  await load();
  return null;
}
